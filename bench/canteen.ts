// `npm run bench -- canteen [--presentations=N] [--transfers=N] [--batch=N] [--concurrency=N]`
// Issue 19's figures, in one run:
// - till_p50_ms / till_p99_ms: a card presentation to the meal decision shown and durably recorded:
//   the card's roster lookup, the proposal through mealDecision, the operator's confirm, and the
//   canteen.meal event committed to the kiosk's SQLite store (synchronous=FULL). The operator's own
//   time is left out (the bench confirms at once); one till, N presentations over 600 pupils.
// - served_in_break: 600 pupils through 4 tills in a 20-minute break. Real serving pace is modelled:
//   each pupil takes 5-8 s at the till (card 1 s, tray and confirm 4-7 s, uniform, seeded), all
//   pupils queue in the first 5 minutes. The break's time is simulated (each till's clock moves by
//   the serving time plus the measured real time of its presentation and commit), so the 20 minutes
//   pass in about a second, while every presentation and commit runs for real on four tills, each
//   with its own store, in this one process (a real canteen has a Pi per till).
// - ledger_transfers_per_s_sqlite / _postgres: transfers applied at the hub through applyBatch()
//   (`batch` per transaction, as the meal fold posts a page; `concurrency` transactions in flight),
//   charges from 1,000 children's accounts to revenue and top-ups from the cashier, on the hub's
//   SQLite and on a temporary PostgreSQL (scripts/pg-temp.ts); beside them the rate of apply(), one
//   transfer per transaction (ledger_single_*).
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { CanteenTill, type CanteenContext, type DinerRecord, type TillDiner } from '../device/canteen/index.js';
import { openSqliteLedger, openPgLedger, type CanteenLedger, type TransferInput } from '../hub/canteen/index.js';
import { HubDb } from '../hub/db.js';
import { PgDb } from '../hub/pg-db.js';
import { migrate } from '../hub/pg-schema.js';
import { startPostgres } from '../scripts/pg-temp.js';
import { createFieldCipher, openStore, type EventClock, type Store } from '../sync/store/index.js';

const silent = pino({ level: 'silent' });
const clock: EventClock = { wallMs: () => Date.now(), monoMs: () => performance.now(), trusted: () => true, utcOffsetMinutes: () => 300 };
const CONTEXT: CanteenContext = {
  periods: [{ id: 'lunch', kind: 'lunch', from: '00:00', to: '23:59', days: [1, 2, 3, 4, 5, 6, 7], groups: ['*'], staff: true }],
  menu: [
    { id: 'lunch-set', name: 'Lunch set', kind: 'set', priceTiyn: 95_000, allergens: ['gluten'], periods: ['lunch'], freeEligible: true },
    { id: 'juice', name: 'Juice', kind: 'item', priceTiyn: 30_000, allergens: [], periods: ['*'], freeEligible: false },
  ],
  staffMeals: 'paid',
  offlineAllowanceTiyn: 100_000,
};
const PUPILS = 600;

function flag(flags: string[], name: string, fallback: number): number {
  const found = flags.find((f) => f.startsWith(`--${name}=`));
  return found ? Number(found.split('=')[1]) : fallback;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

const round = (x: number): number => Number(x.toFixed(3));

/** Half the pupils eat free (as in Kazakh schools), half pay from a balance large enough for the run. */
function school(): { cards: Map<string, TillDiner>; diners: Map<string, DinerRecord> } {
  const cards = new Map<string, TillDiner>();
  const diners = new Map<string, DinerRecord>();
  for (let i = 0; i < PUPILS; i += 1) {
    const id = `p-${i}`;
    cards.set(`CARD${i}`, { id, displayName: `Pupil ${i}`, group: `${1 + (i % 11)}А`, role: 'student', status: 'active' });
    const free = i % 2 === 0;
    diners.set(id, { freeMeals: free ? [{ category: 'grade_1_4', validFrom: null, validTo: null, periods: ['lunch'] }] : [], guardian: null, balanceTiyn: 1_000_000_000, floorTiyn: 0, served: [] });
  }
  return { cards, diners };
}

async function openTill(dir: string, name: string, diners: Map<string, DinerRecord>): Promise<{ store: Store; till: CanteenTill }> {
  const store = await openStore({ path: join(dir, `${name}.db`), deviceId: name, bootId: 'b', clock, logger: silent, cipher: createFieldCipher(randomBytes(32), 'k') });
  const till = new CanteenTill({ till: name, deviceId: name, events: store.events, directory: { diner: (id) => diners.get(id) ?? null, asOfMs: () => Date.now() - 1000 }, context: CONTEXT, clock, staleAfterMs: 60_000 });
  await till.start();
  return { store, till };
}

/** One presentation: card lookup → proposal → confirm → committed. Returns ms and whether it was served. */
async function serveOne(till: CanteenTill, cards: Map<string, TillDiner>, card: string): Promise<{ ms: number; served: boolean }> {
  const t0 = performance.now();
  const diner = cards.get(card) ?? null;
  const view = till.present({ diner, credential: { kind: 'card', ref: card } });
  // A pupil coming back with a free lunch already served takes a juice instead.
  if (view.decision.outcome === 'refuse') till.choose(view.proposalId, [{ itemId: 'juice', quantity: 1 }]);
  const result = await till.confirm(view.proposalId);
  return { ms: performance.now() - t0, served: result.status === 'served' };
}

async function tillLatency(dir: string, presentations: number): Promise<{ samples: number[]; refused: number }> {
  const { cards, diners } = school();
  const { store, till } = await openTill(dir, 'latency-till', diners);
  try {
    const samples: number[] = [];
    let refused = 0;
    for (let i = 0; i < presentations; i += 1) {
      const { ms, served } = await serveOne(till, cards, `CARD${(i * 7919) % PUPILS}`);
      samples.push(ms);
      if (!served) refused += 1;
    }
    return { samples: samples.sort((a, b) => a - b), refused };
  } finally {
    await store.close();
  }
}

function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * 600 pupils, 4 tills, a 20-minute break, as a discrete-event simulation on real tills: each till
 * has its own simulated clock, which a pupil moves on by their serving time (5-8 s) plus the real
 * time their presentation and commit took; the four tills serve concurrently for real, one pupil
 * each at a time, from one queue in arrival order. Served: the pupils whose meal was committed
 * before their till's clock passed 20 minutes.
 */
async function breakSimulation(dir: string): Promise<{ served: number; lastServedMin: number; breakMin: number }> {
  const { cards, diners } = school();
  const tills = await Promise.all([0, 1, 2, 3].map((n) => openTill(dir, `till-${n}`, diners)));
  const random = seeded(19);
  const arrivalsS = Array.from({ length: PUPILS }, () => random() * 300).sort((a, b) => a - b);
  const serviceS = Array.from({ length: PUPILS }, () => 5 + random() * 3);
  const breakS = 20 * 60;
  let next = 0;
  let served = 0;
  let lastServedS = 0;
  const worker = async (till: CanteenTill): Promise<void> => {
    let nowS = 0;
    while (next < PUPILS) {
      const pupil = next++;
      nowS = Math.max(nowS, arrivalsS[pupil] ?? 0) + (serviceS[pupil] ?? 0);
      const { ms, served: ok } = await serveOne(till, cards, `CARD${pupil}`);
      nowS += ms / 1000;
      if (nowS > breakS) return;
      if (ok) {
        served += 1;
        lastServedS = Math.max(lastServedS, nowS);
      }
    }
  };
  try {
    await Promise.all(tills.map(({ till }) => worker(till)));
  } finally {
    for (const { store } of tills) await store.close();
  }
  return { served, lastServedMin: round(lastServedS / 60), breakMin: 20 };
}

function transfersFor(count: number, children: number): TransferInput[] {
  return Array.from({ length: count }, (_, i) => {
    const child = `person:c-${i % children}`;
    const topUp = i % 10 === 0;
    return {
      id: `bench-${i}`, debitAccountId: topUp ? 'cash' : child, creditAccountId: topUp ? child : 'revenue', amountTiyn: topUp ? 1_000_000 : 950,
      kind: topUp ? 'top_up' : 'charge', offlineCharge: false, reference: null, note: null,
    } satisfies TransferInput;
  });
}

async function openLedgerSchool(ledger: CanteenLedger, children: number): Promise<void> {
  await ledger.openAccount({ id: 'cash', kind: 'cash', personId: null, floorTiyn: null }, Date.now());
  await ledger.openAccount({ id: 'revenue', kind: 'revenue', personId: null, floorTiyn: null }, Date.now());
  for (let c = 0; c < children; c += 1) await ledger.openAccount({ id: `person:c-${c}`, kind: 'person', personId: `c-${c}`, floorTiyn: null }, Date.now());
}

/** Transfers per second: `batch` transfers per transaction (1 = apply()), `concurrency` transactions in flight. */
async function ledgerRate(ledger: CanteenLedger, count: number, concurrency: number, batch: number): Promise<number> {
  await openLedgerSchool(ledger, 1000);
  const transfers = transfersFor(count, 1000);
  let next = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let i = next; i < transfers.length; i = next) {
      next += batch;
      const slice = transfers.slice(i, i + batch);
      const results = batch === 1 && slice[0] ? [await ledger.apply(slice[0], Date.now())] : await ledger.applyBatch(slice, Date.now());
      if (results.some((r) => r.status !== 'applied')) throw new Error('a bench transfer was not applied');
    }
  }));
  return Math.round(count / ((performance.now() - start) / 1000));
}

export async function run(flags: string[]): Promise<unknown> {
  const presentations = flag(flags, 'presentations', 2000);
  const transfers = flag(flags, 'transfers', 20_000);
  const concurrency = flag(flags, 'concurrency', 4);
  // The meal fold's largest batch: a page of 500 meal events, each with a charge and a subsidy share.
  const batch = flag(flags, 'batch', 1000);
  const dir = await mkdtemp(join(tmpdir(), 'esik-bench-canteen-'));
  const pg = await startPostgres();
  try {
    const latency = await tillLatency(dir, presentations);
    const simulation = await breakSimulation(dir);
    const sqlite = async (name: string, count: number, batchSize: number): Promise<number> => {
      const db = await HubDb.open(join(dir, `${name}.db`));
      return ledgerRate(await openSqliteLedger(db, { offlineAllowanceTiyn: 100_000 }), count, concurrency, batchSize).finally(() => db.close());
    };
    const postgres = async (count: number, batchSize: number): Promise<number> => {
      const db = PgDb.open(await pg.createDatabase(), silent, concurrency);
      await migrate(db);
      return ledgerRate(openPgLedger(db, { offlineAllowanceTiyn: 100_000 }), count, concurrency, batchSize).finally(() => db.close());
    };
    const sqliteRate = await sqlite('batched', transfers, batch);
    const pgRate = await postgres(transfers, batch);
    // One transfer per transaction (apply()), fewer of them: what a cashier's single top-up costs.
    const sqliteSingle = await sqlite('single', 2000, 1);
    const pgSingle = await postgres(2000, 1);
    return {
      presentations, refused: latency.refused,
      till_p50_ms: round(percentile(latency.samples, 50)), till_p99_ms: round(percentile(latency.samples, 99)), till_max_ms: round(latency.samples.at(-1) ?? NaN),
      served_in_break: simulation.served, pupils: PUPILS, tills: 4, break_min: simulation.breakMin, last_served_min: simulation.lastServedMin, serving_s: '5-8',
      ledger_transfers: transfers, ledger_batch: batch, ledger_concurrency: concurrency,
      ledger_transfers_per_s_sqlite: sqliteRate, ledger_transfers_per_s_postgres: pgRate,
      ledger_single_transfers_per_s_sqlite: sqliteSingle, ledger_single_transfers_per_s_postgres: pgSingle,
      targets: { till_p99_ms: 50, ledger_transfers_per_s_postgres: 5000 },
    };
  } finally {
    await pg.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
