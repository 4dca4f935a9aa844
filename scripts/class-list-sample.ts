// A made-up class list CSV for tests and benches: N pupils with valid ИИНs (makeIin; real ones are
// issued by the state), Kazakh and Russian names, classes 1А..11В, two guardians each with Kazakh
// mobile numbers, and bad rows at chosen 0-based row indexes (each kind of mistake in turn). The
// file's line of row i is i + 2 (the header is line 1). Deterministic: the same N gives the same file.
import { makeIin } from '../hub/console/iin.js';

const SURNAMES = ['Ғалымова', 'Өмірзақов', 'Үсенова', 'Сейітқали', 'Ахметов', 'Иванова', 'Нұрланов', 'Құдайбергенова', 'Петров', 'Жұмабаев'];
const NAMES = ['Әсел', 'Қуаныш', 'Ұлжан', 'Іңкәр', 'Дана', 'Айбек', 'Мария', 'Ерлан', 'Аружан', 'Тимур'];
const PATRONYMICS = ['Ержанқызы', 'Серікұлы', 'Маратовна', '', 'Бекұлы'];
const LETTERS = ['А', 'Ә', 'Б', 'В'];

export const SAMPLE_HEADER = 'ИИН;Фамилия;Имя;Отчество;Класс;Представитель1;Представитель1 телефон;Представитель2;Представитель2 телефон';

/** The mistakes a bad row carries, in turn, and the problem each must be reported with. */
export const BAD_KINDS = [
  { problem: 'iin_checksum', spoil: (cells: string[]) => { cells[0] = `${cells[0]?.slice(0, 11)}${(Number(cells[0]?.charAt(11)) + 1) % 10}`; } },
  { problem: 'iin_date', spoil: (cells: string[]) => { cells[0] = `${cells[0]?.slice(0, 2)}0231${cells[0]?.slice(6)}`; } },
  { problem: 'guardian_phone_invalid', spoil: (cells: string[]) => { cells[6] = '12345'; } },
  { problem: 'class_invalid', spoil: (cells: string[]) => { cells[4] = '15Ж'; } },
  { problem: 'surname_missing', spoil: (cells: string[]) => { cells[1] = ''; } },
] as const;

export interface SampleRow {
  iin: string;
  surname: string;
  name: string;
  group: string;
}

function pupilCells(i: number): string[] {
  const grade = 1 + (i % 11);
  const birthYear = 2025 - 6 - grade;
  const birth = `${birthYear}-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`;
  let iin: string | null = null;
  for (let serial = i % 9000; iin === null; serial++) iin = makeIin(birth, i % 2 === 0 ? 'female' : 'male', serial);
  const surname = `${SURNAMES[i % SURNAMES.length] ?? ''}${i >= SURNAMES.length ? `-${i}` : ''}`;
  const phone = (n: number): string => `+7 7${String(n % 100).padStart(2, '0')} ${String(1_000_000 + n).slice(-7, -4)} ${String(n).padStart(7, '0').slice(-4, -2)} ${String(n).padStart(7, '0').slice(-2)}`;
  return [iin, surname, NAMES[(i * 7) % NAMES.length] ?? '', PATRONYMICS[i % PATRONYMICS.length] ?? '', `${grade}${LETTERS[Math.floor(i / 11) % LETTERS.length] ?? ''}`, `Ата-ана ${i}`, phone(2 * i), `Ата-ана ${i}b`, phone(2 * i + 1)];
}

/** The CSV text, and the rows as they must be imported (bad rows left out). */
export function sampleClassList(rows: number, badRows: readonly number[] = []): { csv: string; good: SampleRow[]; badLines: Array<{ line: number; problem: string }> } {
  const lines = [SAMPLE_HEADER];
  const good: SampleRow[] = [];
  const badLines: Array<{ line: number; problem: string }> = [];
  for (let i = 0; i < rows; i++) {
    const cells = pupilCells(i);
    const bad = badRows.indexOf(i);
    const kind = bad >= 0 ? BAD_KINDS[bad % BAD_KINDS.length] : undefined;
    if (kind) {
      kind.spoil(cells);
      badLines.push({ line: i + 2, problem: kind.problem });
    } else {
      good.push({ iin: cells[0] ?? '', surname: cells[1] ?? '', name: cells[2] ?? '', group: cells[4] ?? '' });
    }
    lines.push(cells.join(';'));
  }
  return { csv: `${lines.join('\r\n')}\r\n`, good, badLines };
}
