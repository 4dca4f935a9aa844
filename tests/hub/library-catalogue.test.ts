// The library catalogue on SQLite and PostgreSQL: a 5,000-row CSV with bad ISBN check digits (and a
// few other faults) has every bad row reported by its line and nothing written, unless skipping is
// asked for; ISBN-10 and ISBN-13 of one book are one title; a re-import updates in place.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { importCatalogue, parseCatalogueCsv } from '../../hub/library/index.js';
import { ean13CheckDigit, isbn10CheckChar } from '../../lib/index.js';
import { libraryBackends, type LibraryBackend, type LibraryHandle } from './library-backends.js';

/** A seeded generator, so a failure names the same file again. */
function rng(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

function isbn13(n: number): string {
  const first12 = `978601${String(n).padStart(6, '0')}`;
  return `${first12}${ean13CheckDigit(first12)}`;
}

function breakCheck(code: string): string {
  const last = code.slice(-1);
  return `${code.slice(0, -1)}${last === '9' || last === 'X' ? '0' : String(Number(last) + 1)}`;
}

/** 5,000 copies of 1,250 titles; every 97th row has a broken ISBN check digit. Returns the bad lines. */
function bigCatalogue(): { csv: string; badLines: number[]; titles: number } {
  const random = rng(20);
  const lines = ['barcode,isbn,title,author,year,reading_room'];
  const badLines: number[] = [];
  for (let i = 0; i < 5000; i += 1) {
    const titleNo = i % 1250;
    let isbn = isbn13(titleNo);
    const line = i + 2;
    if (i % 97 === 5) {
      isbn = breakCheck(isbn);
      badLines.push(line);
    }
    const title = random() < 0.1 ? `"Ертегілер, ""таңдамалы"" ${titleNo}"` : `Оқулық ${titleNo}`;
    lines.push(`LIB-${String(i).padStart(6, '0')},${isbn},${title},Автор ${titleNo % 40},${1990 + (titleNo % 30)},${i % 50 === 0 ? 'yes' : ''}`);
  }
  return { csv: `${lines.join('\r\n')}\r\n`, badLines, titles: 1250 };
}

describe('catalogue CSV', () => {
  it('reports each bad row by the line it starts on, quoted line breaks counted', () => {
    const isbn10 = `600000001${isbn10CheckChar('600000001')}`;
    const csv = [
      'title,barcode,isbn,author,year,reading_room', // 1
      '"Абай жолы, 1 том",C-1,978-601-000001-9,Әуезов,1942,', // 2: bad check digit (should be …-1-?)
      `"Көп жолды` + '\n' + `атау",C-2,${isbn10},,,no`, // 3-4: fine, starts on 3
      ',C-3,,,,', // 5: no title
      'Кітап,C-2,,,,', // 6: barcode twice
      `Кітап,${isbn13(7)},,,,`, // 7: an ISBN as a copy barcode
      'Кітап,C-8,12345,,abc,maybe', // 8: isbn, year, reading_room
      'Кітап,C-9', // 9: field count
      `Сөздік,C-10,${isbn13(9)},,2001,иә`, // 10: fine, reading room
    ].join('\n');
    const { rows, errors } = parseCatalogueCsv(csv);
    expect(errors.map((e) => e.line)).toEqual([2, 5, 6, 7, 8, 9]);
    expect(errors[0]?.message).toMatch(/check digit/);
    expect(errors[1]?.message).toMatch(/title is empty/);
    expect(errors[2]?.message).toMatch(/already on line 3/);
    expect(errors[3]?.message).toMatch(/is an ISBN/);
    expect(errors[4]?.message).toMatch(/isbn "12345".*; year "abc".*|year "abc"/);
    expect(rows.map((r) => [r.line, r.copy.barcode, r.title.title, r.copy.readingRoomOnly])).toEqual([
      [3, 'C-2', 'Көп жолды\nатау', false],
      [10, 'C-10', 'Сөздік', true],
    ]);
    // The ISBN-10 is kept as its ISBN-13.
    expect(rows[0]?.title.isbn13).toMatch(/^978600000001\d$/);
  });

  it('refuses a file without the required columns, or with an unclosed quote, naming the line', () => {
    expect(parseCatalogueCsv('isbn,title\n9786010000011,X\n').errors).toEqual([{ line: 1, message: 'the header has no "barcode" column' }]);
    expect(parseCatalogueCsv('barcode,title\nC-1,"never closed\nC-2,x\n').errors).toEqual([{ line: 2, message: 'a quoted field is never closed' }]);
  });
});

describe.each(libraryBackends)('catalogue import: %s', (_name, makeBackend) => {
  const backend: LibraryBackend = makeBackend();
  const opened: LibraryHandle[] = [];
  beforeAll(() => backend.start(), 60_000);
  afterEach(async () => {
    for (const handle of opened.splice(0)) await handle.close();
  });
  afterAll(() => backend.stop());

  it('5,000 rows with bad check digits: every bad line reported, nothing written; skipping writes the rest', async () => {
    const handle = await backend.open();
    opened.push(handle);
    const { csv, badLines, titles } = bigCatalogue();
    expect(badLines.length).toBeGreaterThan(40);

    const refused = await importCatalogue(handle.library, csv, { skipBadRows: false, dryRun: false }, 1000);
    expect(refused.imported).toBe(false);
    expect(refused.rows).toBe(5000);
    expect(refused.errors.map((e) => e.line)).toEqual(badLines);
    expect(refused.errors.every((e) => /check digit/.test(e.message))).toBe(true);
    expect(await handle.library.counts()).toEqual({ titles: 0, copies: 0 });

    const skipped = await importCatalogue(handle.library, csv, { skipBadRows: true, dryRun: false }, 2000);
    expect(skipped).toMatchObject({ imported: true, copies: 5000 - badLines.length });
    // Every title still has a good row (each appears 4 times, at most one of them bad).
    expect(await handle.library.counts()).toEqual({ titles, copies: 5000 - badLines.length });
    expect(await handle.library.copy(`LIB-${String((badLines[0] ?? 0) - 2).padStart(6, '0')}`)).toBeNull();
    expect(await handle.library.copy('LIB-000000')).toEqual({ barcode: 'LIB-000000', titleId: `isbn:${isbn13(0)}`, readingRoomOnly: true, status: 'available' });
    expect(await handle.library.title(`isbn:${isbn13(3)}`)).toMatchObject({ isbn13: isbn13(3), author: 'Автор 3', year: 1993 });
  }, 60_000);

  it('re-imports in place: one title for ISBN-10 and ISBN-13, copies moved, no duplicates', async () => {
    const handle = await backend.open();
    opened.push(handle);
    const first12 = '978600000001';
    const thirteen = `${first12}${ean13CheckDigit(first12)}`;
    const ten = `600000001${isbn10CheckChar('600000001')}`;
    const csv = `barcode,isbn,title\nA-1,${ten},Old name\nA-2,${thirteen},Old name\n`;
    expect(await importCatalogue(handle.library, csv, { skipBadRows: false, dryRun: false }, 1)).toMatchObject({ imported: true, titles: 1, copies: 2 });
    await importCatalogue(handle.library, `barcode,isbn,title\nA-1,${thirteen},New name\nA-3,,Local pamphlet\n`, { skipBadRows: false, dryRun: false }, 2);
    expect(await handle.library.counts()).toEqual({ titles: 2, copies: 3 });
    expect(await handle.library.title(`isbn:${thirteen}`)).toMatchObject({ title: 'New name' });
    expect((await handle.library.copy('A-3'))?.titleId).toMatch(/^local:[0-9a-f]{20}$/);
    expect(await importCatalogue(handle.library, `barcode,isbn,title\nA-4,${thirteen},X\n`, { skipBadRows: false, dryRun: true }, 3)).toMatchObject({ imported: false, errors: [] });
    expect(await handle.library.copy('A-4')).toBeNull();
  });
});
