// The sync protocol parsers on both sides. Kiosk: whatever the hub answers (a roster page, a push
// answer), it is either applied as validated data or refused as a protocol error with nothing
// applied. Hub: whatever a device posts, it answers 200 with every event accounted for, or a 4xx
// with { error, message } — never a 500, never a stored event that fails the wire schema.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncError, type HubHttp, type HubResponse } from '../../sync/client/http.js';
import { RosterPuller } from '../../sync/client/roster-puller.js';
import { pushResponseSchema, wireEventSchema } from '../../protocol/index.js';
import { buildHub, SqliteHubStorage } from '../../hub/index.js';
import type { RosterChange, RosterStore } from '../../sync/store/types.js';
import { fuzzParams } from './seed.js';

const logger = pino({ level: 'silent' });

const validEvent = {
  id: '0190f5a2-7c3b-7def-8a12-3456789abcde',
  seq: 1,
  type: 'access.granted',
  at: '2026-11-22T08:00:00.000+05:00',
  timeTrusted: true,
  wallMs: 1_795_000_000_000,
  monoMs: 1234,
  bootId: 'boot-1',
  door: 'main',
  direction: 'in',
  personId: 'p1',
  credential: { kind: 'card', ref: '04A2' },
  reason: null,
};
const validPerson = { id: 'p1', name: 'Aigerim', shortName: null, group: '3A', role: 'student', status: 'active' };

/** A JSON value, or a known-valid object with one field replaced by an arbitrary value or dropped. */
function mutatedOf(valid: Record<string, unknown>): fc.Arbitrary<unknown> {
  const keys = Object.keys(valid);
  return fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.tuple(fc.constantFrom(...keys), fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined })).map(([key, value]) => {
      const copy: Record<string, unknown> = { ...valid };
      if (value === undefined) delete copy[key];
      else copy[key] = value;
      return copy;
    }),
    fc.constant(valid),
  );
}

describe('fuzz: kiosk side, hub answers', () => {
  const rosterChange = fc.oneof(
    mutatedOf({ op: 'upsert', type: 'person', data: validPerson }),
    mutatedOf(validPerson).map((data) => ({ op: 'upsert', type: 'person', data })),
    mutatedOf({ op: 'delete', type: 'person', id: 'p1' }),
    mutatedOf({ op: 'upsert', type: 'template', data: { id: 't1', personId: 'p1', modality: 'face', data: 'AACAPwAAAEA=' } }),
  );
  const page = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.record({ changes: fc.array(rosterChange, { maxLength: 4 }), cursor: fc.oneof(fc.constant('c:1'), fc.string()), more: fc.constant(false) }).chain((p) => mutatedOf(p)),
  );

  it('a roster page is applied whole as validated changes, or refused as a protocol error with nothing applied', async () => {
    await fc.assert(
      fc.asyncProperty(page, async (body) => {
        const applied: RosterChange[][] = [];
        // The fuzzed page first; if it says more:true, an empty last page ends the pull.
        const answers: unknown[] = [body, { changes: [], cursor: 'c:2', more: false }];
        const http = { request: (): Promise<HubResponse> => Promise.resolve({ status: 200, body: answers.shift() ?? null, serverTimeMs: null }) };
        const roster = {
          cursor: () => Promise.resolve(null),
          applyPage: (changes: readonly RosterChange[]) => {
            applied.push([...changes]);
            return Promise.resolve({ applied: changes.length, purgedPersonIds: [] });
          },
        };
        const puller = new RosterPuller({
          // The transport and the store are faked at their interfaces: only the parse path is under test.
          http: http as unknown as HubHttp,
          roster: roster as unknown as RosterStore,
          deviceId: 'kiosk-1',
          logger,
          pageSize: 100,
          onRosterApplied: () => undefined,
          onServerTime: () => undefined,
        });
        try {
          await puller.pull('token', false);
        } catch (error) {
          expect(error).toBeInstanceOf(SyncError);
          expect((error as SyncError).kind).toBe('protocol');
          expect(applied).toEqual([]);
          return;
        }
        expect(applied.length).toBeGreaterThanOrEqual(1);
        for (const change of applied[0] ?? []) {
          expect(['upsert', 'delete']).toContain(change.op);
          if (change.op === 'upsert' && change.type === 'template') expect(change.data.vector).toBeInstanceOf(Float32Array);
        }
      }),
      fuzzParams,
    );
  });

  it('a push answer either matches the schema exactly or is refused', () => {
    const answer = fc.oneof(fc.jsonValue({ maxDepth: 3 }), mutatedOf({ accepted: ['a'], duplicates: [], rejected: [{ id: 'b', error: 'x' }] }));
    fc.assert(
      fc.property(answer, (body) => {
        const parsed = pushResponseSchema.safeParse(body);
        if (!parsed.success) return;
        for (const id of [...parsed.data.accepted, ...parsed.data.duplicates]) expect(typeof id).toBe('string');
        for (const r of parsed.data.rejected) expect(typeof r.id === 'string' && typeof r.error === 'string').toBe(true);
      }),
      fuzzParams,
    );
  });
});

describe('fuzz: hub side, device requests', () => {
  let dir: string;
  let storage: SqliteHubStorage;
  let hub: FastifyInstance;
  let token: string;
  const adminToken = 'admin-token-for-fuzzing-0123456789';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'esik-fuzz-hub-'));
    storage = await SqliteHubStorage.open(join(dir, 'hub.db'));
    hub = await buildHub({ storage, logger, adminToken });
    const registered = await hub.inject({ method: 'POST', url: '/v1/admin/devices', headers: { authorization: `Bearer ${adminToken}` }, payload: { id: 'kiosk-1' } });
    expect(registered.statusCode).toBe(201);
    token = registered.json<{ token: string }>().token;
  });
  afterAll(async () => {
    await hub.close();
    await storage.close();
    await rm(dir, { recursive: true, force: true });
  });

  const event = fc.oneof(
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
    { weight: 3, arbitrary: fc.tuple(mutatedOf(validEvent), fc.uuid({ version: 7 })).map(([e, id]) => (e !== null && typeof e === 'object' && !Array.isArray(e) && (e as Record<string, unknown>).id === validEvent.id ? { ...e, id } : e)) },
  );
  const body = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.record({ events: fc.array(event, { maxLength: 4 }) }),
    fc.record({ events: fc.array(event, { minLength: 1, maxLength: 3 }), anchor: mutatedOf({ bootId: 'b', monoMs: 1, wallMs: 2 }) }),
  );

  it('POST events: 200 with every event accounted for and only schema-valid ones accepted, or a 4xx error body', async () => {
    await fc.assert(
      fc.asyncProperty(body, async (payload) => {
        const response = await hub.inject({
          method: 'POST',
          url: '/v1/devices/kiosk-1/events',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          payload: JSON.stringify(payload),
        });
        const answer: unknown = response.json();
        if (response.statusCode !== 200) {
          expect(response.statusCode).toBeGreaterThanOrEqual(400);
          expect(response.statusCode).toBeLessThan(500);
          expect(answer).toMatchObject({ error: expect.any(String), message: expect.any(String) });
          return;
        }
        const parsed = pushResponseSchema.parse(answer);
        const events = (payload as { events: unknown[] }).events;
        // Deferred: beyond a gap in seq (the seq rule), to be sent again; still accounted for.
        expect(parsed.accepted.length + parsed.duplicates.length + parsed.rejected.length + (parsed.deferred?.length ?? 0)).toBe(events.length);
        for (const id of parsed.accepted) {
          const sent = events.find((e) => wireEventSchema.safeParse(e).success && (e as { id: string }).id === id);
          expect(sent).toBeDefined();
        }
      }),
      fuzzParams,
    );
  });

  it('command acknowledgements with arbitrary bodies: 4xx with an error body, never a 500', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 3 }), fc.oneof(fc.uuid({ version: 4 }), fc.string({ maxLength: 10 })), async (payload, commandId) => {
        const response = await hub.inject({
          method: 'POST',
          url: `/v1/devices/kiosk-1/commands/${encodeURIComponent(commandId)}/ack`,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          payload: JSON.stringify(payload),
        });
        expect(response.statusCode).toBeGreaterThanOrEqual(400);
        expect(response.statusCode).toBeLessThan(500);
        expect(response.json()).toMatchObject({ error: expect.any(String) });
      }),
      fuzzParams,
    );
  });
});
