// The class-list check (hub/console/class-import.ts, csv.ts): headers in three languages and either
// separator, quoted cells, every problem of a row reported on its file line, file-level refusals,
// and properties: bad rows put anywhere in a generated list are reported at exactly their lines and
// every other row comes through; any cells survive a write and a read of the CSV.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normaliseClass, normalisePhone, parseClassList, parseClassListBytes } from '../../hub/console/class-import.js';
import { csvCell, parseCsv } from '../../hub/console/csv.js';
import { makeIin } from '../../hub/console/iin.js';
import { BAD_KINDS, sampleClassList } from '../../scripts/class-list-sample.js';

const IIN_A = makeIin('2014-05-17', 'female', 12) ?? '';
const IIN_B = makeIin('2013-11-02', 'male', 40) ?? '';

describe('class list import', () => {
  it('reads an English header with commas and quoted cells, and a Kazakh header with semicolons', () => {
    const en = parseClassList(`iin,surname,name,patronymic,class,guardian1,guardian1_phone\r\n${IIN_A},"Ғалымова, Ә.",Әсел,,5 а,"Ержан ""Ержеке"" Ғалымов",8 (707) 123-45-67\r\n`);
    expect(en).toEqual({ ok: true, errors: [], rows: [{ line: 2, iin: IIN_A, birthDate: '2014-05-17', surname: 'Ғалымова, Ә.', name: 'Әсел', patronymic: null, group: '5А', guardians: [{ name: 'Ержан "Ержеке" Ғалымов', phone: '+77071234567' }] }] });
    const kk = parseClassList(`\uFEFFЖСН;Тегі;Аты;Әкесінің аты;Сынып;Өкіл1;Өкіл1 телефоны\n${IIN_B};Өмірзақов;Қуаныш;Серікұлы;6Б;;\n`);
    expect(kk.ok && kk.rows.map((r) => [r.line, r.group, r.guardians.length])).toEqual([[2, '6Б', 0]]);
  });

  it('reports every problem of every bad row on the file line where the row starts', () => {
    const text = [
      'ИИН;Фамилия;Имя;Отчество;Класс;Представитель1;Представитель1 телефон',
      `${IIN_A};"Фамилия на""\nдвух строках";Имя;;5А;;`,
      `123;;Имя;;13А;Мама;`,
      `${IIN_A};Повтор;Имя;;5А;;`,
      `${IIN_B};Ок;Имя;;5А;Папа;+7 707 123 45 67`,
      `${IIN_B.slice(0, 11)}${(Number(IIN_B.charAt(11)) + 1) % 10};X;Y;;5А;Папа;8 123`,
    ].join('\n');
    const result = parseClassList(text);
    if (!result.ok) throw new Error('file refused');
    expect(result.rows.map((r) => r.line)).toEqual([2, 6]);
    expect(result.rows[0]?.surname).toBe('Фамилия на" двух строках');
    expect(result.errors).toEqual([
      { line: 4, problems: ['iin_format', 'surname_missing', 'class_invalid', 'guardian_incomplete'] },
      { line: 5, problems: ['iin_duplicate'] },
      { line: 7, problems: ['iin_checksum', 'guardian_phone_invalid'] },
    ]);
  });

  it('refuses a file without a required column, with a broken quote, too many rows, or not UTF-8', () => {
    expect(parseClassList('surname,name,class\nA,B,5А\n')).toEqual({ ok: false, fileProblem: 'missing_column:iin', line: 1 });
    expect(parseClassList(`iin,surname,name,class\n${IIN_A},"A,B,5А\n`)).toEqual({ ok: false, fileProblem: 'csv_quote', line: 2 });
    expect(parseClassList('')).toEqual({ ok: false, fileProblem: 'empty', line: 1 });
    expect(parseClassList(sampleClassList(5001).csv)).toMatchObject({ ok: false, fileProblem: 'too_many_rows' });
    expect(parseClassListBytes(Buffer.from([0x49, 0x49, 0x4e, 0x3b, 0xc8, 0xc8, 0xcd, 0x0a]))).toEqual({ ok: false, fileProblem: 'encoding', line: 0 });
  });

  it('normalises phones and classes the way schools write them', () => {
    expect(['+7 707 123 45 67', '87071234567', '7071234567', '+7 (707) 123-45-67'].map(normalisePhone)).toEqual(Array(4).fill('+77071234567'));
    expect(['12345', '+7 307 123 45 67', '+1 707 123 45 67'].map(normalisePhone)).toEqual([null, null, null]);
    expect(['5 а', '11Ә', '0', '1б'].map(normaliseClass)).toEqual(['5А', '11Ә', '0', '1Б']);
    expect(['13А', 'А5', '5АБ', ''].map(normaliseClass)).toEqual([null, null, null, null]);
  });

  it('property: bad rows anywhere are reported at exactly their lines with their problem; the rest is imported', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 120 }).chain((n) => fc.tuple(fc.constant(n), fc.uniqueArray(fc.integer({ min: 0, max: n - 1 }), { maxLength: Math.min(n, 8) }))), ([n, bad]) => {
        const sample = sampleClassList(n, bad);
        const result = parseClassList(sample.csv);
        if (!result.ok) throw new Error(result.fileProblem);
        expect(result.errors.map((e) => ({ line: e.line, problem: e.problems[0] }))).toEqual([...sample.badLines].sort((a, b) => a.line - b.line));
        expect(result.rows.map((r) => ({ iin: r.iin, surname: r.surname, name: r.name, group: r.group }))).toEqual(sample.good);
      }),
      { numRuns: 200 },
    );
    expect(BAD_KINDS.length).toBeGreaterThanOrEqual(3);
  });

  it('property: any cells survive csvCell and parseCsv (formula-looking cells aside)', () => {
    const cell = fc.string({ unit: 'grapheme', maxLength: 12 }).filter((s) => !/^[=+\-@\t\r]/.test(s));
    fc.assert(
      fc.property(fc.array(fc.array(cell, { minLength: 2, maxLength: 5 }), { minLength: 1, maxLength: 6 }), fc.constantFrom(',' as const, ';' as const), (rows, sep) => {
        const nonBlank = rows.filter((r) => r.some((c) => c.trim() !== ''));
        const text = nonBlank.map((r) => r.map(csvCell).join(sep)).join('\r\n');
        const parsed = parseCsv(text, sep);
        expect(parsed.ok && parsed.records.map((r) => r.fields)).toEqual(nonBlank);
      }),
      { numRuns: 500 },
    );
  });
});
