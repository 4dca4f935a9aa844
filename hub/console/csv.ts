// A small RFC 4180 reader for the class-list import: quoted fields (with "" and line breaks inside),
// comma or semicolon as the separator (a spreadsheet in a Russian or Kazakh locale saves with ';'),
// CRLF or LF, a UTF-8 byte-order mark. Each record keeps the file line it starts on, so a bad row is
// reported where a person finds it in an editor. Pure and bounded by its caller's input size.

export interface CsvRecord {
  /** 1-based line of the file on which the record starts. */
  line: number;
  fields: string[];
}

export type CsvResult = { ok: true; records: CsvRecord[] } | { ok: false; line: number; problem: 'csv_quote' };

/** The separator of the header line: the one of ',' and ';' it holds more of outside quotes. */
export function detectSeparator(text: string): ',' | ';' {
  const firstLine = text.split(/\r?\n/, 1)[0] ?? '';
  const unquoted = firstLine.replace(/"[^"]*"/g, '');
  return (unquoted.match(/;/g)?.length ?? 0) > (unquoted.match(/,/g)?.length ?? 0) ? ';' : ',';
}

interface Cursor {
  text: string;
  at: number;
  line: number;
}

/** One field from `c.at`; returns the character that ended it ('' at the end of the text), null for a broken quote. */
function readField(c: Cursor, separator: string, out: string[]): string | null {
  if (c.text[c.at] === '"') {
    let value = '';
    c.at++;
    for (;;) {
      const quote = c.text.indexOf('"', c.at);
      if (quote < 0) return null;
      const chunk = c.text.slice(c.at, quote);
      c.line += chunk.split('\n').length - 1;
      value += chunk;
      c.at = quote + 1;
      if (c.text[c.at] === '"') {
        value += '"';
        c.at++;
        continue;
      }
      break;
    }
    out.push(value);
    const next = c.text[c.at] ?? '';
    if (next !== separator && next !== '\n' && next !== '\r' && next !== '') return null;
    return next;
  }
  let end = c.at;
  while (end < c.text.length && c.text[end] !== separator && c.text[end] !== '\n' && c.text[end] !== '\r') end++;
  out.push(c.text.slice(c.at, end));
  c.at = end;
  return c.text[end] ?? '';
}

export function parseCsv(input: string, separator: ',' | ';' = detectSeparator(input)): CsvResult {
  const c: Cursor = { text: input.startsWith('\uFEFF') ? input.slice(1) : input, at: 0, line: 1 };
  const records: CsvRecord[] = [];
  while (c.at < c.text.length) {
    const line = c.line;
    const fields: string[] = [];
    for (;;) {
      const ended = readField(c, separator, fields);
      if (ended === null) return { ok: false, line, problem: 'csv_quote' };
      if (ended === separator) {
        c.at++;
        continue;
      }
      if (ended === '\r') c.at++;
      if (c.text[c.at] === '\n') c.at++;
      if (ended !== '') c.line++;
      break;
    }
    // Blank lines (an editor's trailing newline, a gap between blocks) are not rows.
    if (fields.some((f) => f.trim() !== '')) records.push({ line, fields });
  }
  return { ok: true, records };
}

/** One CSV cell: quoted when needed, and a leading = + - @ made text so a spreadsheet runs no formula. */
export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",;\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
