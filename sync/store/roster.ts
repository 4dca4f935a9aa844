// The persisted roster. Every page is one transaction including its cursor. Changes of the same
// kind are written as multi-row statements (prepared once per chunk), awaited in order, so 50,000
// people apply in a few seconds; interleaved upserts (person, template, person, ...) are grouped by
// type first where that cannot change the result (batchedOrder), and deletes keep their place.
//
// Privacy rules enforced here, as the last line before the disk: a template is stored only for a
// person who exists, is not blocked and has biometric consent; blocking a person or withdrawing
// consent deletes their templates (secure_delete zeroes the pages; a TRUNCATE checkpoint after
// the commit clears the WAL).
//
// Full re-pull (410 Gone) is mark-and-sweep: every roster row carries seen_gen. The first
// replace page bumps the generation; upserts stamp rows with it; the complete page deletes
// every row the re-pull did not mention. Until then the old roster stays in use.
import type { Logger } from 'pino';
import type { FieldCipher } from './cipher.js';
import type { Person, RosterApplyResult, RosterChange, RosterSnapshot, RosterStore, TemplateRecord } from './types.js';
import { type SqlRunner, type SqlValue, type SqliteConnection, chunk, num, placeholders, text } from './db.js';
import { ConsentError } from './errors.js';
import { kvGet, kvSet } from './kv.js';
import {
  CREDENTIAL_COLUMNS, PERSON_COLUMNS, TEMPLATE_COLUMNS, credentialParams, personParams,
  rowToCredential, rowToPerson, rowToSchedule, rowToTemplate, templateParams,
} from './roster-rows.js';

const ROWS_PER_STATEMENT = 200;
const CURSOR_KEY = 'roster.cursor';
const GEN_KEY = 'roster.gen';
const REPLACING_KEY = 'roster.replacing';

type Upsert = Extract<RosterChange, { op: 'upsert' }>;
type Delete = Extract<RosterChange, { op: 'delete' }>;

const DELETE_TARGET: Record<Delete['type'], { table: string; key: string }> = {
  person: { table: 'people', key: 'id' },
  credential: { table: 'credentials', key: 'id' },
  template: { table: 'templates', key: 'id' },
  schedule: { table: 'schedules', key: 'id' },
  holiday: { table: 'holidays', key: 'date' },
  setting: { table: 'settings', key: 'key' },
};
const SWEEP_ORDER = ['templates', 'credentials', 'people', 'schedules', 'holidays', 'settings'] as const;

function upsertSql(table: string, columns: readonly string[], key: string, rows: number): string {
  const updates = columns.filter((c) => c !== key).map((c) => `${c} = excluded.${c}`).join(', ');
  return `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${placeholders(rows, columns.length)} ON CONFLICT(${key}) DO UPDATE SET ${updates}`;
}

function inList(count: number): string {
  return `(${new Array<string>(count).fill('?').join(', ')})`;
}

/** Splits a page into runs of consecutive changes with the same op and type. */
function runsOf(changes: readonly RosterChange[]): RosterChange[][] {
  const runs: RosterChange[][] = [];
  for (const change of changes) {
    const current = runs[runs.length - 1];
    const head = current?.[0];
    if (current && head && head.op === change.op && head.type === change.type) current.push(change);
    else runs.push([change]);
  }
  return runs;
}

/** The key an upsert writes: two upserts of one key must keep their page order. */
function upsertKey(change: Upsert): string {
  switch (change.type) {
    case 'holiday': return `holiday:${change.data.date}`;
    case 'setting': return `setting:${change.data.key}`;
    default: return `${change.type}:${change.data.id}`;
  }
}

const UPSERT_ORDER: readonly Upsert['type'][] = ['person', 'credential', 'template', 'schedule', 'holiday', 'setting'];

/**
 * Reorders a page so that runsOf finds long runs. The hub sends a person and their template
 * interleaved, which as written would be two multi-row statements of one row each per person.
 * Within a segment of upserts, types are applied people first; this gives the page-order result
 * because a segment ends before any delete, before a second upsert of the same key, and before a
 * person whose credential or template already appears in it (whose fate depends on that order).
 */
function batchedOrder(changes: readonly RosterChange[]): RosterChange[] {
  const out: RosterChange[] = [];
  let buckets = new Map<Upsert['type'], Upsert[]>();
  let keys = new Set<string>();
  let owners = new Set<string>();
  const flush = (): void => {
    for (const type of UPSERT_ORDER) out.push(...(buckets.get(type) ?? []));
    buckets = new Map();
    keys = new Set();
    owners = new Set();
  };
  for (const change of changes) {
    if (change.op === 'delete') {
      flush();
      out.push(change);
      continue;
    }
    const key = upsertKey(change);
    if (keys.has(key) || (change.type === 'person' && owners.has(change.data.id))) flush();
    keys.add(key);
    if (change.type === 'credential' || change.type === 'template') owners.add(change.data.personId);
    const bucket = buckets.get(change.type);
    if (bucket) bucket.push(change);
    else buckets.set(change.type, [change]);
  }
  flush();
  return out;
}

class PageWriter {
  readonly purged = new Set<string>();
  applied = 0;

  constructor(
    private readonly sql: SqlRunner,
    private readonly cipher: FieldCipher,
    private readonly gen: number,
    private readonly log: Logger,
    /** Local enrolment refuses a template without consent; an upstream page skips it and goes on. */
    private readonly refuseWithoutConsent = false,
  ) {}

  async write(changes: readonly RosterChange[]): Promise<void> {
    for (const run of runsOf(batchedOrder(changes))) {
      const head = run[0];
      if (head === undefined) continue;
      if (head.op === 'delete') await this.deleteRun(head.type, run.flatMap((c) => (c.op === 'delete' ? [c.id] : [])));
      else await this.upsertRun(head.type, run);
    }
  }

  /** One run holds changes of a single op and type (runsOf); the flatMaps narrow without casts. */
  private async upsertRun(type: Upsert['type'], run: RosterChange[]): Promise<void> {
    const gen = this.gen;
    switch (type) {
      case 'person':
        return this.upsertPeople(run.flatMap((c) => (c.op === 'upsert' && c.type === 'person' ? [c.data] : [])));
      case 'credential':
        return this.upsertRows('credentials', CREDENTIAL_COLUMNS, 'id',
          run.flatMap((c) => (c.op === 'upsert' && c.type === 'credential' ? [credentialParams(c.data, gen)] : [])));
      case 'template':
        return this.upsertTemplates(run.flatMap((c) => (c.op === 'upsert' && c.type === 'template' ? [c.data] : [])));
      case 'schedule':
        return this.upsertRows('schedules', ['id', 'body', 'seen_gen'], 'id',
          run.flatMap((c) => (c.op === 'upsert' && c.type === 'schedule' ? [[c.data.id, JSON.stringify(c.data), gen]] : [])));
      case 'holiday':
        return this.upsertRows('holidays', ['date', 'name', 'seen_gen'], 'date',
          run.flatMap((c) => (c.op === 'upsert' && c.type === 'holiday' ? [[c.data.date, c.data.name, gen]] : [])));
      case 'setting':
        return this.upsertRows('settings', ['key', 'value', 'seen_gen'], 'key',
          run.flatMap((c) => (c.op === 'upsert' && c.type === 'setting' ? [[c.data.key, JSON.stringify(c.data.value) ?? 'null', gen]] : [])));
    }
  }

  private async upsertRows(table: string, columns: readonly string[], key: string, rows: SqlValue[][]): Promise<void> {
    for (const part of chunk(rows, ROWS_PER_STATEMENT)) {
      await this.sql.run(upsertSql(table, columns, key, part.length), part.flat());
      this.applied += part.length;
    }
  }

  private async upsertPeople(people: Person[]): Promise<void> {
    const groups = [...new Set(people.map((p) => p.group).filter((g): g is string => g !== null))];
    for (const part of chunk(groups, ROWS_PER_STATEMENT)) {
      await this.sql.run(`INSERT OR IGNORE INTO groups (name) VALUES ${placeholders(part.length, 1)}`, part);
    }
    await this.upsertRows('people', PERSON_COLUMNS, 'id', people.map((p) => personParams(p, this.cipher, this.gen)));
    const blocked = people.filter((p) => p.status === 'blocked').map((p) => p.id);
    const withoutConsent = people.filter((p) => p.status !== 'blocked' && !p.biometricConsent).map((p) => p.id);
    for (const id of blocked) this.purged.add(id);
    for (const part of chunk([...blocked, ...withoutConsent], ROWS_PER_STATEMENT)) {
      const holders = await this.sql.all(`SELECT DISTINCT person_id FROM templates WHERE person_id IN ${inList(part.length)}`, part);
      for (const row of holders) this.purged.add(text(row, 'person_id'));
      await this.sql.run(`DELETE FROM templates WHERE person_id IN ${inList(part.length)}`, part);
    }
  }

  private async upsertTemplates(templates: TemplateRecord[]): Promise<void> {
    const owners = [...new Set(templates.map((t) => t.personId))];
    const allowed = new Set<string>();
    const known = new Set<string>();
    for (const part of chunk(owners, ROWS_PER_STATEMENT)) {
      const rows = await this.sql.all(`SELECT id, status, biometric_consent FROM people WHERE id IN ${inList(part.length)}`, part);
      for (const row of rows) {
        known.add(text(row, 'id'));
        if (text(row, 'status') !== 'blocked' && num(row, 'biometric_consent') === 1) allowed.add(text(row, 'id'));
      }
    }
    // Unknown owners are passed through so the foreign key fails the page, as for credentials.
    const kept = templates.filter((t) => allowed.has(t.personId) || !known.has(t.personId));
    if (kept.length < templates.length && this.refuseWithoutConsent) {
      const refused = templates.find((t) => !kept.includes(t));
      throw new ConsentError(`person ${refused?.personId ?? '?'} is blocked or has no biometric consent: template not stored`);
    }
    if (kept.length < templates.length) {
      this.log.warn({ skipped: templates.length - kept.length }, 'templates skipped: person blocked or without biometric consent');
    }
    await this.upsertRows('templates', TEMPLATE_COLUMNS, 'id', kept.map((t) => templateParams(t, this.cipher, this.gen)));
  }

  private async deleteRun(type: Delete['type'], ids: string[]): Promise<void> {
    const target = DELETE_TARGET[type];
    if (type === 'person') for (const id of ids) this.purged.add(id);
    for (const part of chunk(ids, ROWS_PER_STATEMENT)) {
      await this.sql.run(`DELETE FROM ${target.table} WHERE ${target.key} IN ${inList(part.length)}`, part);
      this.applied += part.length;
    }
  }

  /** Deletes every roster row the finished re-pull did not stamp with this generation. */
  async sweep(): Promise<void> {
    const gone = await this.sql.all('SELECT id FROM people WHERE seen_gen < ?', [this.gen]);
    for (const row of gone) this.purged.add(text(row, 'id'));
    for (const table of SWEEP_ORDER) {
      await this.sql.run(`DELETE FROM ${table} WHERE seen_gen < ?`, [this.gen]);
    }
  }
}

async function currentGen(sql: SqlRunner): Promise<number> {
  const gen = await kvGet(sql, GEN_KEY);
  return typeof gen === 'number' ? gen : 0;
}

export class SqliteRosterStore implements RosterStore {
  private readonly log: Logger;

  constructor(
    private readonly db: SqliteConnection,
    private cipher: FieldCipher,
    logger: Logger,
    /** Called after a commit that removed someone's data, to clear it from the WAL too. */
    private readonly afterPurge: () => Promise<void>,
  ) {
    this.log = logger.child({ ns: 'store.roster' });
  }

  /** Rekey swaps the cipher after its transaction commits. */
  useCipher(next: FieldCipher): void {
    this.cipher = next;
  }

  async applyPage(
    changes: readonly RosterChange[],
    cursor: string,
    opts: { replace?: boolean; complete?: boolean } = {},
  ): Promise<RosterApplyResult> {
    const result = await this.db.transaction('apply roster page', async (sql) => {
      let gen = await currentGen(sql);
      const replacing = (await kvGet(sql, REPLACING_KEY)) === true;
      if (opts.replace === true && !replacing) {
        gen += 1;
        await kvSet(sql, GEN_KEY, gen);
        await kvSet(sql, REPLACING_KEY, true);
        this.log.info({ gen }, 'full roster re-pull started');
      }
      const writer = new PageWriter(sql, this.cipher, gen, this.log);
      await writer.write(changes);
      if (opts.replace === true && opts.complete === true) {
        await writer.sweep();
        await kvSet(sql, REPLACING_KEY, false);
        this.log.info({ gen }, 'full roster re-pull complete');
      }
      await kvSet(sql, CURSOR_KEY, cursor);
      return { applied: writer.applied, purgedPersonIds: [...writer.purged] };
    });
    if (result.purgedPersonIds.length > 0) await this.afterPurge();
    return result;
  }

  async applyLocal(changes: readonly RosterChange[]): Promise<RosterApplyResult> {
    const result = await this.db.transaction('apply local roster change', async (sql) => {
      const writer = new PageWriter(sql, this.cipher, await currentGen(sql), this.log, true);
      await writer.write(changes);
      return { applied: writer.applied, purgedPersonIds: [...writer.purged] };
    });
    if (result.purgedPersonIds.length > 0) await this.afterPurge();
    return result;
  }

  async cursor(): Promise<string | null> {
    const value = await this.db.read('read roster cursor', (sql) => kvGet(sql, CURSOR_KEY));
    return typeof value === 'string' ? value : null;
  }

  /** True between the first replace page of a full re-pull and its complete page. */
  async replaceInProgress(): Promise<boolean> {
    return (await this.db.read('read roster state', (sql) => kvGet(sql, REPLACING_KEY))) === true;
  }

  load(): Promise<RosterSnapshot> {
    return this.db.read('load roster', async (sql) => {
      const people = new Map((await sql.all(`SELECT ${PERSON_COLUMNS.join(', ')} FROM people`)).map((row) => {
        const person = rowToPerson(row, this.cipher);
        return [person.id, person] as const;
      }));
      const credentials = new Map((await sql.all(`SELECT ${CREDENTIAL_COLUMNS.join(', ')} FROM credentials`)).map((row) => {
        const credential = rowToCredential(row);
        return [`${credential.kind}:${credential.value}`, credential] as const;
      }));
      const templates = (await sql.all('SELECT id, person_id, modality, algo, vector_sealed FROM templates ORDER BY rowid')).map((row) =>
        rowToTemplate(row, this.cipher),
      );
      const schedules = (await sql.all('SELECT id, body FROM schedules ORDER BY id')).map(rowToSchedule);
      const holidays = new Set((await sql.all('SELECT date FROM holidays')).map((row) => text(row, 'date')));
      const settings = new Map((await sql.all('SELECT key, value FROM settings')).map((row) => [text(row, 'key'), JSON.parse(text(row, 'value')) as unknown] as const));
      return { people, credentials, templates, schedules, holidays, settings };
    });
  }
}
