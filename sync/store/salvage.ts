// Recovery from a damaged database at boot. The damaged files are moved once, straight into the
// caller's quarantine folder (never deleted: they are evidence and may hold more than we can read), every unsent event that can still be read is
// carried into a fresh database with its id and seq, and the seq high-water mark is kept so no seq
// is ever issued twice. The roster is not salvaged: the fresh store has no cursor, so the sync
// client pulls the whole roster from upstream again, and no template leaves the damaged file.
import { access, mkdir, rename } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { type SqlRunner, SqliteConnection, num } from './db.js';
import { EVENT_SELECT, rowToEvent } from './event-codec.js';
import { kvGet } from './kv.js';
import { type SalvagedEvent, type Store, type StoreOptions, openSqliteStore } from './store.js';
import { PRIVATE_DIR_MODE, fsyncPath } from '../../lib/index.js';

const SALVAGE_SELECT = EVENT_SELECT.replace(' FROM events', ', sync_state, sync_error FROM events NOT INDEXED');
const RANGE = 256;
/** Added to the high-water mark when the table's tail could not be read. */
export const UNCERTAIN_SEQ_MARGIN = 10_000;

export interface SalvageReport {
  /** Where the damaged database now lives, in the quarantine folder (its -wal and -shm beside it with the same prefix). */
  quarantinedAs: string;
  salvagedEvents: number;
  /** Seq the fresh store continues above: the damaged file's highest, plus a margin if uncertain. */
  highWaterSeq: number;
  /** False when the table's last row was unreadable and UNCERTAIN_SEQ_MARGIN was added. */
  highWaterCertain: boolean;
  /** Seqs whose rows raised an error when read. */
  unreadableRanges: Array<[number, number]>;
  /**
   * Seq ranges up to highWaterSeq with no row at all: pruned synced events, or rows on a damaged
   * page that SQLite could not even locate (it does not verify pages on read; quick_check does).
   */
  gaps: Array<[number, number]>;
}

function rangesOf(seqs: readonly number[]): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (const seq of seqs) {
    const last = ranges[ranges.length - 1];
    if (last && last[1] === seq - 1) last[1] = seq;
    else ranges.push([seq, seq]);
  }
  return ranges;
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(() => true, () => false);
}

/**
 * Moves the database and its WAL/shm (those that exist) into `folder` as `<name>.corrupt-<time>`,
 * in one rename each, and makes the moves durable in both folders; returns the new path. The WAL
 * goes first: a power cut midway leaves the damaged main file to be quarantined at the next boot,
 * never a stray WAL that SQLite would replay into the fresh database.
 */
export async function quarantineDatabase(file: string, folder: string, now = new Date()): Promise<string> {
  await mkdir(folder, { recursive: true, mode: PRIVATE_DIR_MODE });
  const target = join(folder, `${basename(file)}.corrupt-${now.toISOString().replace(/[:.]/g, '-')}`);
  for (const suffix of ['-wal', '-shm', '']) {
    if (await exists(`${file}${suffix}`)) await rename(`${file}${suffix}`, `${target}${suffix}`);
  }
  await fsyncPath(folder);
  if (resolve(folder) !== resolve(dirname(file))) await fsyncPath(dirname(file));
  return target;
}

function toSalvaged(row: Record<string, unknown>): SalvagedEvent {
  return {
    event: rowToEvent(row),
    state: row.sync_state === 'quarantined' ? 'quarantined' : 'pending',
    error: typeof row.sync_error === 'string' ? row.sync_error : null,
  };
}

/** A row whose bytes survived but decode to nonsense counts as unreadable, not as an event. */
function toChecked(row: Record<string, unknown>): Record<string, unknown> {
  rowToEvent(row);
  return row;
}

async function attempt<T>(fn: () => Promise<T>): Promise<T | null> {
  try {
    return await fn();
  } catch {
    return null;
  }
}

/** Every place a seq is written down besides the table's own b-tree (indexes carry the rowid). */
const SEQ_WITNESSES = [
  'SELECT max(seq) AS top FROM events INDEXED BY sqlite_autoindex_events_1',
  'SELECT max(seq) AS top FROM events INDEXED BY events_wall',
  `SELECT max(seq) AS top FROM events INDEXED BY events_pending WHERE sync_state = 'pending'`,
  'SELECT max(event_seq) AS top FROM credential_uses',
];

/**
 * A seq strictly above anything the damaged file may have issued. The table's rightmost row is the
 * answer when it can be read; otherwise the indexes and the pruning floor are asked, and a margin
 * is added because the lost tail may have held more (a jump in seq is visible and harmless; a seq
 * issued twice is rejected upstream as a conflict).
 */
async function highWater(sql: SqlRunner): Promise<{ seq: number; certain: boolean }> {
  const top = await attempt(() => sql.get('SELECT seq FROM events ORDER BY seq DESC LIMIT 1'));
  const floor = await attempt(() => kvGet(sql, 'events.seqFloor'));
  let seq = Math.max(top ? num(top, 'seq') : 0, typeof floor === 'number' ? floor : 0);
  for (const query of SEQ_WITNESSES) {
    const row = await attempt(() => sql.get(query));
    const value = row?.top;
    if (typeof value === 'number') seq = Math.max(seq, value);
  }
  return { seq, certain: top !== null };
}

/**
 * Reads unsent events by seq range straight from the table b-tree (NOT INDEXED: a damaged index
 * must not hide rows), then row by row for every seq a range did not return.
 */
async function readUnsent(sql: SqlRunner, top: number, report: SalvageReport): Promise<SalvagedEvent[]> {
  const out: SalvagedEvent[] = [];
  const seen = new Set<number>();
  const keep = (row: Record<string, unknown>): void => {
    seen.add(num(row, 'seq'));
    if (row.sync_state !== 'synced') out.push(toSalvaged(row));
  };
  for (let from = 1; from <= top; from += RANGE) {
    const to = Math.min(top, from + RANGE - 1);
    const rows = await attempt(async () => (await sql.all(`${SALVAGE_SELECT} WHERE seq BETWEEN ? AND ? ORDER BY seq`, [from, to])).map(toChecked));
    rows?.forEach(keep);
    // A range scan over a damaged leaf can end early without an error: look up every seq the
    // range did not return one by one (pruned seqs simply come back empty).
    for (let seq = from; seq <= to; seq++) {
      if (seen.has(seq)) continue;
      const row = await attempt(async () => {
        const found = await sql.get(`${SALVAGE_SELECT} WHERE seq = ?`, [seq]);
        return found === undefined ? undefined : toChecked(found);
      });
      if (row === null) report.unreadableRanges.push([seq, seq]);
      else if (row !== undefined) keep(row);
    }
  }
  const unreadable = new Set(report.unreadableRanges.map(([seq]) => seq));
  const missing: number[] = [];
  for (let seq = 1; seq <= top; seq++) if (!seen.has(seq) && !unreadable.has(seq)) missing.push(seq);
  report.unreadableRanges = rangesOf([...unreadable].sort((a, b) => a - b));
  report.gaps = rangesOf(missing);
  return out;
}

async function salvageFrom(file: string, report: SalvageReport, log: Logger): Promise<SalvagedEvent[]> {
  const db = await attempt(() => SqliteConnection.open(file));
  if (db === null) {
    log.error({ file }, 'quarantined database cannot be opened at all; no events salvaged');
    report.highWaterSeq = UNCERTAIN_SEQ_MARGIN;
    report.highWaterCertain = false;
    return [];
  }
  try {
    return await db.exclusive(async (sql) => {
      const known = await highWater(sql);
      // With an unreadable tail, look past the known mark too: rows there may still be reachable.
      const events = await readUnsent(sql, known.seq + (known.certain ? 0 : UNCERTAIN_SEQ_MARGIN), report);
      const rowMax = events.reduce((m, e) => Math.max(m, e.event.seq), 0);
      report.highWaterSeq = Math.max(known.seq, rowMax) + (known.certain ? 0 : UNCERTAIN_SEQ_MARGIN);
      report.highWaterCertain = known.certain;
      return events;
    });
  } finally {
    await db.close().catch(() => undefined);
  }
}

/**
 * For a database openStore refused with StoreCorruptError: moves it into `quarantineFolder`,
 * salvages unsent events into a fresh store at the same path and returns that store (open, ready
 * for appends). The caller raises the alarm (an alarm.raised event) and lets sync re-pull the roster.
 */
export async function recoverCorruptStore(opts: StoreOptions, quarantineFolder: string): Promise<{ store: Store; report: SalvageReport }> {
  const log = opts.logger.child({ ns: 'store.salvage' });
  const quarantinedAs = await quarantineDatabase(opts.path, quarantineFolder);
  const report: SalvageReport = { quarantinedAs, salvagedEvents: 0, highWaterSeq: 0, highWaterCertain: true, unreadableRanges: [], gaps: [] };
  const salvaged = await salvageFrom(quarantinedAs, report, log);
  const store = await openSqliteStore(opts);
  await store.adoptSalvaged(salvaged, report.highWaterSeq);
  report.salvagedEvents = salvaged.length;
  log.warn(report, 'damaged database quarantined; unsent events salvaged');
  return { store, report };
}
