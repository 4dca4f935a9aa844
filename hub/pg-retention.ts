// Retention on PostgreSQL: events live in month partitions of the hub's receipt time (pg-schema.ts),
// so removing old months is a DROP of whole partitions, not a DELETE of millions of rows (no bloat,
// no long VACUUM, and the rows' bytes leave the data files at once). event_keys, the narrow table
// of ids and (device, seq), is kept: a replay of a dropped event is still a duplicate, and
// device_seqs keeps each device's next expected seq, so the seq rule is untouched.
import type { PgDb } from './pg-db.js';
import { monthOf } from './pg-schema.js';

/** A partition's name as monthOf() makes it: events_YYYY_MM. */
const PARTITION_NAME = /^events_(\d{4})_(\d{2})$/;

/**
 * How long a DROP may wait for the partitioned table's lock. Dropping a partition locks the parent
 * briefly, and a DROP queued behind a long reader would queue every push behind itself: better to
 * give up and try at the next run.
 */
const LOCK_TIMEOUT_MS = 2_000;

/** Month partitions of `events` that end at or before `cutoffMs`, oldest first. */
export async function monthsBefore(db: PgDb, cutoffMs: number): Promise<string[]> {
  const rows = await db.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i
       JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
      WHERE p.relname = 'events' AND p.relnamespace = current_schema()::regnamespace`,
  );
  const names: string[] = [];
  for (const { name } of rows) {
    const match = PARTITION_NAME.exec(name);
    if (!match) continue; // not ours: an operator's detached archive or another scheme, left alone
    const month = monthOf(Date.UTC(Number(match[1]), Number(match[2]) - 1, 1));
    if (month.name === name && month.to <= cutoffMs) names.push(name);
  }
  return names.sort();
}

/** Drops one month partition; false when its lock could not be had in time (tried again next run). */
export async function dropMonth(db: PgDb, name: string): Promise<boolean> {
  if (!PARTITION_NAME.test(name)) throw new Error(`not an event month partition: ${name}`);
  try {
    await db.transaction(async (tx) => {
      await tx.query(`SET LOCAL lock_timeout = ${LOCK_TIMEOUT_MS}`);
      await tx.query(`DROP TABLE IF EXISTS ${name}`);
    }, 1);
    return true;
  } catch (error) {
    if ((error as { code?: unknown }).code === '55P03') return false; // lock_not_available
    throw error;
  }
}
