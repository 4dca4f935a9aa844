// A hub on port 0 (SQLite or PostgreSQL) running what a school's hub runs for the canteen's and the
// library's notices: the canteen ledger and its meal fold, the library and its loan fold, and the
// parents' notifier given both as sources, sending to the Telegram emulator. Events reach the hub's
// storage as a till's or desk's push would leave them; top-ups go through the admin API.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { buildHub, type HubStorage } from '../../hub/index.js';
import { mealTransferIds, wireEventSchema, type CanteenMealData, type WireEvent } from '../../protocol/index.js';
import { openCanteenLedger, openCanteenMeals, personAccount, type OpenedMeals } from '../../hub/canteen/index.js';
import { openLibrary, type LibraryStore, type OpenedLibrary } from '../../hub/library/index.js';
import { canteenFeed, DEFAULT_NOTIFIER_CONFIG, Notifier, type NotifierConfig, type NotifyStore } from '../../hub/notify/index.js';
import { silentLogger } from '../sync/helpers.js';
import { ADMIN } from './notify-fixture.js';
import { BOT_TOKEN, silentNotifyLogger } from './notify-helpers.js';

export interface SchoolHub {
  url: string;
  notifier: Notifier;
  libraryStore: LibraryStore;
  /** Another process's notifier over the same database (its own store), racing this one; null unless asked for. */
  twin: Notifier | null;
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }>;
  /** Adds a guardian of `personId` and redeems its code from Telegram chat `chat`; returns the guardian id. */
  link(personId: string, chat: number, language: 'kk' | 'ru' | 'en'): Promise<string>;
  /** Ingests a till's canteen.meal event served now; returns its event id. */
  meal(personId: string, chargeTiyn: number, free?: boolean): Promise<string>;
  /** Ingests a desk's loan of `copyId` due on `dueDate`, and with `returned` its return in the same push; returns the loan's event id. */
  lend(personId: string, copyId: string, dueDate: string, returned?: boolean): Promise<string>;
  /** Ingests a desk's return of the loan. */
  giveBack(personId: string, copyId: string, loanEventId: string): Promise<void>;
  /** A title and one copy of it in the catalogue. */
  catalogue(barcode: string, title: string): Promise<void>;
  topUp(personId: string, amountTiyn: number): Promise<void>;
  /** Runs the canteen's and the library's folds once (with a clock of the test's own, nothing runs by itself). */
  fold(): Promise<void>;
  close(): Promise<void>;
}

interface Opened {
  storage: HubStorage;
  store: NotifyStore;
  location: string;
  reopen(): Promise<{ storage: HubStorage; store: NotifyStore }>;
}

/** Each database's till and desk seqs, kept across a restarted hub (a device's seq never goes back nor skips). */
const deviceSeqs = new Map<string, { till: number; desk: number }>();

export function wireEvent(wallMs: number, seq: number, type: string, personId: string, door: string, data: Record<string, unknown>): WireEvent {
  return wireEventSchema.parse({
    id: randomUUID(), seq, type, at: new Date(wallMs).toISOString(), wallMs, timeTrusted: true, bootId: 'boot-a', monoMs: 1000 + seq,
    door, direction: null, personId, credential: { kind: 'card', ref: `card-${personId}` }, reason: null, data,
  });
}

/** A till-1 meal's data: lunch, a set's price charged to the child or paid by the subsidy (free). */
export function mealData(nowMs: number, priceTiyn: number, free: boolean): CanteenMealData {
  const mealId = randomUUID();
  const ids = mealTransferIds('till-1', mealId);
  return {
    mealId, periodId: 'lunch', date: new Date(nowMs).toISOString().slice(0, 10), free, freeCategory: free ? 'large_family' : null, chargeTiyn: free ? 0 : priceTiyn,
    subsidyTiyn: free ? priceTiyn : 0, chargeTransferId: ids.charge, subsidyTransferId: ids.subsidy, offline: false, items: [{ itemId: 'set-1', quantity: 1 }],
  };
}

/** Ingests as a device would push: a write that found SQLite locked past its busy timeout (the hub answers 503) is sent again. */
async function ingest(storage: HubStorage, deviceId: string, events: readonly WireEvent[], nowMs: number): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await storage.ingest(deviceId, events.map((event) => ({ event })), null, null, nowMs);
      return;
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'SQLITE_BUSY' || attempt >= 5) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

export interface SchoolHubOptions {
  /** A second notifier over the same database, as a second hub process would run (PostgreSQL: SQLite is one hub process). */
  twin?: boolean;
  /** The hub's clock; with it nothing runs by itself: the test calls fold() and notifier.runOnce(). */
  now?: () => number;
}

export async function startSchoolHub(db: Opened, apiRoot: string, config: Partial<NotifierConfig>, options: SchoolHubOptions = {}): Promise<SchoolHub> {
  const now = options.now ?? Date.now;
  const twin = options.twin ?? false;
  const { storage, store, location } = db;
  const canteen = await openCanteenLedger(location, silentLogger, { offlineAllowanceTiyn: 50_000 });
  const meals: OpenedMeals = await openCanteenMeals(location, storage, canteen.ledger, silentLogger, { pageSize: 500, intervalMs: 100 });
  const library: OpenedLibrary = await openLibrary(location, storage, silentLogger, { pageSize: 500, intervalMs: 100 }, now);
  const sources = { canteen: canteenFeed(meals.store, canteen.ledger, personAccount), library: library.store };
  const full: NotifierConfig = { ...DEFAULT_NOTIFIER_CONFIG, pollMs: 100, allowLoopbackHttpWebhooks: true, telegram: { token: BOT_TOKEN, apiRoot }, ...config };
  const notifier = new Notifier(storage, store, silentNotifyLogger, full, now, sources);
  const second = twin ? await db.reopen() : null;
  const other = second ? new Notifier(second.storage, second.store, silentNotifyLogger, full, now, sources) : null;
  const app: FastifyInstance = await buildHub({
    storage, logger: silentLogger, adminToken: ADMIN, notify: { notifier, allowLoopbackHttpWebhooks: true },
    canteen: { ledger: canteen.ledger, meals: meals.store }, library: { store: library.store, folder: library.folder },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  if (!options.now) {
    notifier.start();
    other?.start();
    meals.folder.start();
    library.folder.start();
  }
  const admin: SchoolHub['admin'] = async (method, path, body) => {
    const response = await fetch(`${url}${path}`, {
      method, headers: { authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const seqs = deviceSeqs.get(location) ?? { till: 0, desk: 0 };
  deviceSeqs.set(location, seqs);
  const opened = new Set<string>();
  return {
    url, notifier, libraryStore: library.store, twin: other, admin,
    async link(personId, chat, language) {
      const made = await notifier.links.addGuardian(personId, language);
      if (!made) throw new Error(`no guardian for ${personId}`);
      if (!(await notifier.links.redeem(String(chat), made.code)).ok) throw new Error('code not redeemed');
      return made.guardianId;
    },
    async meal(personId, chargeTiyn, free = false) {
      const event = wireEvent(now(), ++seqs.till, 'canteen.meal', personId, 'till-1', mealData(now(), chargeTiyn, free));
      await ingest(storage, 'till-1', [event], now());
      return event.id;
    },
    async lend(personId, copyId, dueDate, returned = false) {
      const loan = wireEvent(now(), ++seqs.desk, 'library.loan', personId, 'library', { copyId, titleId: null, dueDate, renewals: 0, loanEventId: null });
      const back = returned ? [wireEvent(now(), ++seqs.desk, 'library.return', personId, 'library', { copyId, titleId: null, dueDate: null, renewals: 0, loanEventId: loan.id })] : [];
      await ingest(storage, 'desk-1', [loan, ...back], now());
      return loan.id;
    },
    async giveBack(personId, copyId, loanEventId) {
      const event = wireEvent(now(), ++seqs.desk, 'library.return', personId, 'library', { copyId, titleId: null, dueDate: null, renewals: 0, loanEventId });
      await ingest(storage, 'desk-1', [event], now());
    },
    async catalogue(barcode, title) {
      const titleRecord = { id: `local:${barcode}`, isbn13: null, title, author: null, year: null };
      await library.store.saveRows([{ line: 2, title: titleRecord, copy: { barcode, titleId: titleRecord.id, readingRoomOnly: false, status: 'available' } }], Date.now());
    },
    async topUp(personId, amountTiyn) {
      if (!opened.has(personId)) {
        await admin('POST', '/v1/admin/canteen/accounts', { id: 'cash', kind: 'cash', personId: null, floorTiyn: null });
        await admin('POST', '/v1/admin/canteen/accounts', { id: personAccount(personId), kind: 'person', personId, floorTiyn: 0 });
        opened.add(personId);
      }
      const done = await admin('POST', '/v1/admin/canteen/transfers', {
        id: `topup-${randomUUID()}`, debitAccountId: 'cash', creditAccountId: personAccount(personId), amountTiyn, kind: 'top_up',
      });
      if (done.status !== 201) throw new Error(`top-up refused: ${JSON.stringify(done.body)}`);
    },
    async fold() {
      await meals.folder.catchUp();
      await library.folder.catchUp();
    },
    async close() {
      await other?.stop();
      await notifier.stop();
      await app.close();
      await meals.close();
      await library.close();
      await canteen.close();
      await second?.store.close();
      await second?.storage.close();
    },
  };
}
