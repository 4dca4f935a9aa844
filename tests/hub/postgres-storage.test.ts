// What only the PostgreSQL storage has: forward-only migrations applied once however many hubs
// start together, monthly event partitions, and a hub that outlives its database going away.
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHub, PgHubStorage, type HubStorage } from '../../hub/index.js';
import { MIGRATIONS } from '../../hub/pg-schema.js';
import { startPostgres, type TempPostgres } from '../helpers/postgres.js';
import { pushEvents, registerDevice, silentLogger, TEST_ADMIN_TOKEN, wireEvent } from '../sync/helpers.js';
import { event, items } from './backends.js';

async function sql<T extends pg.QueryResultRow>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}

describe('PostgreSQL hub storage', () => {
  let server: TempPostgres;

  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(() => server?.stop());

  it('applies each migration once, also when two hubs start together, and refuses a newer schema', async () => {
    const url = await server.createDatabase();
    const both = await Promise.all([PgHubStorage.open(url, silentLogger), PgHubStorage.open(url, silentLogger)]);
    for (const storage of both) await storage.close();
    const again = await PgHubStorage.open(url, silentLogger);
    await again.close();
    expect(await sql(url, 'SELECT version FROM schema_migrations ORDER BY version')).toEqual(MIGRATIONS.map((_, i) => ({ version: i + 1 })));
    await sql(url, 'INSERT INTO schema_migrations (version, applied_ms) VALUES (99, 0)');
    await expect(PgHubStorage.open(url, silentLogger)).rejects.toThrow(/newer than this hub/);
  });

  it('upgrades forward: a database at schema 1 gets the later migrations and its hub seqs carry on', async () => {
    const url = await server.createDatabase();
    await sql(url, 'CREATE TABLE schema_migrations (version integer PRIMARY KEY, applied_ms bigint NOT NULL)');
    await sql(url, MIGRATIONS[0] ?? '');
    await sql(url, "INSERT INTO schema_migrations VALUES (1, 0); UPDATE hub_counters SET value = 41 WHERE name = 'events'");
    const storage = await PgHubStorage.open(url, silentLogger);
    try {
      await storage.ingest('kiosk-1', items(event(1), event(2)), null, null, Date.now());
      expect((await storage.readEvents(0, 10)).events.map((e) => e.hubSeq)).toEqual([42, 43]);
      expect((await sql<{ version: number }>(url, 'SELECT max(version) AS version FROM schema_migrations'))[0]?.version).toBe(MIGRATIONS.length);
    } finally {
      await storage.close();
    }
  });

  it('hands a consumer no hub seq while a lower block is still in flight, so paging by after= cannot skip it', async () => {
    const url = await server.createDatabase();
    const storage = await PgHubStorage.open(url, silentLogger);
    const slow = new pg.Client(url);
    await slow.connect();
    try {
      // A push on another process that has taken its block and not yet committed.
      await slow.query('BEGIN');
      const block = (await slow.query<{ first: string }>('SELECT hub_take_events_block(1) AS first')).rows[0];
      const later = event(1);
      await storage.ingest('kiosk-fast', items(later), null, null, Date.now()); // commits a higher block
      expect(await storage.readEvents(0, 10)).toMatchObject({ events: [], lastHubSeq: null });
      await slow.query('COMMIT');
      const read = await storage.readEvents(0, 10);
      expect(read.events.map((e) => [e.event.id, e.hubSeq])).toEqual([[later.id, Number(block?.first) + 1]]);
    } finally {
      await slow.end();
      await storage.close();
    }
  });

  it('answers 503 "contended" when a transaction keeps losing to other processes, after trying it five times', async () => {
    const storage = await PgHubStorage.open(await server.createDatabase(), silentLogger);
    let tries = 0;
    const losing = storage.database.transaction(async (tx) => {
      tries += 1;
      await tx.query("DO $$ BEGIN RAISE EXCEPTION 'lost to another process' USING ERRCODE = 'serialization_failure'; END $$");
    });
    await expect(losing).rejects.toMatchObject({ status: 503, code: 'contended', headers: { 'retry-after': '1' } });
    expect(tries).toBe(5);
    // Any other database error is the caller's to see, after one try.
    tries = 0;
    const broken = storage.database.transaction(async (tx) => {
      tries += 1;
      await tx.query('SELECT * FROM no_such_table');
    });
    await expect(broken).rejects.toMatchObject({ code: '42P01' });
    expect(tries).toBe(1);
    await storage.close();
  });

  it('keeps events in monthly partitions, made when a month is first needed', async () => {
    const url = await server.createDatabase();
    const storage = await PgHubStorage.open(url, silentLogger);
    try {
      const march = Date.UTC(2031, 2, 15);
      await storage.ingest('kiosk-1', items(event(1)), null, null, Date.now());
      await storage.ingest('kiosk-1', items(event(2)), null, null, march);
      const rows = await sql<{ part: string; seq: number }>(url, 'SELECT tableoid::regclass::text AS part, seq::int AS seq FROM events ORDER BY seq');
      const now = new Date();
      const thisMonth = `events_${now.getUTCFullYear()}_${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
      expect(rows).toEqual([{ part: thisMonth, seq: 1 }, { part: 'events_2031_03', seq: 2 }]);
      const partitioned = await sql<{ n: number }>(url, "SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'events'::regclass");
      expect(partitioned[0]?.n).toBeGreaterThanOrEqual(3); // this month, next month, March 2031
      expect((await storage.readEvents(0, 10)).events.map((e) => e.event.seq)).toEqual([1, 2]);
    } finally {
      await storage.close();
    }
  });

  describe('when the database goes away', () => {
    let storage: HubStorage;
    let app: FastifyInstance;
    let hub: { url: string; adminToken: string };
    let outage: TempPostgres;

    beforeAll(async () => {
      outage = await startPostgres();
      storage = await PgHubStorage.open(outage.url, silentLogger);
      app = await buildHub({ storage, logger: silentLogger, adminToken: TEST_ADMIN_TOKEN });
      await app.listen({ port: 0, host: '127.0.0.1' });
      const address = app.server.address();
      hub = { url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, adminToken: TEST_ADMIN_TOKEN };
    });
    afterAll(async () => {
      await app?.close();
      await storage?.close();
      await outage?.stop();
    });

    it('answers 503 while it is down, without crashing, and carries on by itself when it is back', async () => {
      const token = await registerDevice(hub, 'kiosk-o');
      expect((await pushEvents(hub, 'kiosk-o', token, { events: [wireEvent(1)] })).json.accepted).toHaveLength(1);
      await outage.kill9();
      // The token is cached or not: either way the answer is 503 (auth needs the database too), never a 500.
      const during = await pushEvents(hub, 'kiosk-o', token, { events: [wireEvent(2)] });
      expect(during.status).toBe(503);
      expect(during.json.error).toBe('unavailable');
      expect(during.headers.get('retry-after')).toBe('5');
      const devices = await fetch(`${hub.url}/v1/admin/devices`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
      expect(devices.status).toBe(503);

      await outage.restart();
      const second = wireEvent(2);
      let status = 0;
      // Liveness bound only: the pool drops dead connections and opens new ones on demand.
      for (const deadline = Date.now() + 20_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
        const after = await pushEvents(hub, 'kiosk-o', token, { events: [second] });
        status = after.status;
        if (status === 200) break;
        expect(status).toBe(503);
      }
      expect(status).toBe(200);
      expect((await storage.readEvents(0, 10)).events.map((e) => e.event.seq)).toEqual([1, 2]);
    });
  });
});
