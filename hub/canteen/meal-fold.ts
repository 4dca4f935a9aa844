// Folds the tills' canteen.meal events into the ledger and the meals table, in hub-seq order from
// a durable cursor (like the library's loan fold). For each meal the ledger gets the transfers the
// till named (their ids were fixed on the till, so a replayed page, a restarted hub or a second hub
// process posts each once); then the page's meals, the flags and the cursor move are one transaction.
// Tills work offline, so two of them can serve one child's free meal of one period: both meals are
// kept (both were eaten, the supplier is paid for both), marked, and flagged double_free_meal for
// the canteen manager; the fold never picks a winner. A charge the ledger refuses (beyond the
// offline allowance) is flagged too: the meal was served, the money question is the cashier's.
import { CANTEEN_MEAL_EVENT, canteenMealDataSchema, type CanteenMealData } from '../../protocol/index.js';
import { PollingLoop } from '../../lib/index.js';
import type { HubEvent, HubStorage } from '../storage.js';
import type { CanteenLedger, TransferInput } from './ledger-types.js';
import type { MealFlagKind, MealSql, MealStore } from './meal-store.js';

export const REVENUE_ACCOUNT = 'revenue';
export const SUBSIDY_ACCOUNT = 'subsidy';
export const personAccount = (personId: string): string => `person:${personId}`;

export interface MealFolderOptions {
  pageSize: number;
  intervalMs: number;
}

export const DEFAULT_MEAL_FOLDER_OPTIONS: MealFolderOptions = { pageSize: 500, intervalMs: 2000 };

interface FolderLogger {
  warn(object: Record<string, unknown>, message: string): void;
}

interface FoldItem {
  event: HubEvent;
  data: CanteenMealData | null;
  /** Why the ledger refused a transfer, if it did. */
  refused: string | null;
}

async function flag(sql: MealSql, kind: MealFlagKind, eventId: string, otherEventId: string, detail: Record<string, unknown>, nowMs: number): Promise<void> {
  await sql.query(
    'INSERT INTO canteen_flags (kind, event_id, other_event_id, detail, created_ms) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (kind, event_id, other_event_id) DO NOTHING',
    [kind, eventId, otherEventId, JSON.stringify(detail), nowMs],
  );
}

/** Records one meal; when it is a free one, flags every other free meal of that child, day and period. */
async function foldMeal(sql: MealSql, item: FoldItem & { data: CanteenMealData }, nowMs: number): Promise<void> {
  const { event, data } = item;
  const personId = event.event.personId ?? '';
  const inserted = await sql.query<{ event_id: string }>(
    `INSERT INTO canteen_meals (event_id, device_id, hub_seq, person_id, day, period_id, free, free_category, charge_tiyn, subsidy_tiyn, served_ms, conflict)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0) ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
    [event.event.id, event.deviceId, event.hubSeq, personId, data.date, data.periodId, data.free ? 1 : 0, data.freeCategory, data.chargeTiyn, data.subsidyTiyn, Date.parse(event.trueAt ?? event.receivedAt)],
  );
  if (inserted.length === 0) return;
  if (item.refused !== null) await flag(sql, 'charge_refused', event.event.id, '', { deviceId: event.deviceId, personId, error: item.refused }, nowMs);
  if (!data.free) return;
  const others = await sql.query<{ event_id: string; device_id: string }>(
    'SELECT event_id, device_id FROM canteen_meals WHERE person_id = $1 AND day = $2 AND period_id = $3 AND free = 1 AND event_id <> $4',
    [personId, data.date, data.periodId, event.event.id],
  );
  for (const other of others) {
    // One flag per pair, whichever of the two was folded last.
    const [first, second] = event.event.id < other.event_id ? [event.event.id, other.event_id] : [other.event_id, event.event.id];
    await flag(sql, 'double_free_meal', first, second, { personId, date: data.date, periodId: data.periodId, devices: [event.deviceId, other.device_id] }, nowMs);
    await sql.query('UPDATE canteen_meals SET conflict = 1 WHERE event_id = $1 OR event_id = $2', [first, second]);
  }
}

/** The transfers a meal names: the diner's charge and the subsidy's share, each under the till's id. */
function mealTransfers(eventId: string, personId: string, data: CanteenMealData): TransferInput[] {
  const base = { creditAccountId: REVENUE_ACCOUNT, kind: 'charge' as const, reference: eventId, note: null };
  const out: TransferInput[] = [];
  if (data.chargeTiyn > 0) out.push({ ...base, id: data.chargeTransferId, debitAccountId: personAccount(personId), amountTiyn: data.chargeTiyn, offlineCharge: data.offline });
  if (data.subsidyTiyn > 0) out.push({ ...base, id: data.subsidyTransferId, debitAccountId: SUBSIDY_ACCOUNT, amountTiyn: data.subsidyTiyn, offlineCharge: false });
  return out;
}

export class MealFolder {
  readonly #opened = new Set<string>();
  readonly #loop: PollingLoop;

  constructor(
    private readonly storage: HubStorage,
    private readonly ledger: CanteenLedger,
    private readonly meals: MealStore,
    private readonly logger: FolderLogger,
    private readonly now: () => number = Date.now,
    private readonly options: MealFolderOptions = DEFAULT_MEAL_FOLDER_OPTIONS,
  ) {
    this.#loop = new PollingLoop(() => this.catchUp(), options.intervalMs, (error) => logger.warn({ err: error }, 'canteen meal fold failed; retrying'));
  }

  /** Folds pages until caught up. Returns how many hub events it read. */
  async catchUp(): Promise<number> {
    let read = 0;
    for (;;) {
      const from = await this.meals.cursor();
      const page = await this.storage.readEvents(from, this.options.pageSize);
      if (page.lastHubSeq === null || page.lastHubSeq <= from) return read;
      const items = await this.#postAll(page.events.filter((event) => event.event.type === CANTEEN_MEAL_EVENT));
      const to = page.lastHubSeq;
      // Another hub process moved the cursor first: it wrote this page; read on from where it is.
      if (await this.meals.driver.write((sql) => this.#writePage(sql, from, to, items))) read += page.events.length;
      if (!page.more) return read;
    }
  }

  async #writePage(sql: MealSql, from: number, to: number, items: readonly FoldItem[]): Promise<boolean> {
    const moved = await sql.query<{ hub_seq: number }>("UPDATE canteen_cursor SET hub_seq = $2 WHERE name = 'meals' AND hub_seq = $1 RETURNING hub_seq", [from, to]);
    if (moved.length === 0) return false;
    const nowMs = this.now();
    for (const item of items) {
      if (item.data === null) await flag(sql, 'invalid_event', item.event.event.id, '', { deviceId: item.event.deviceId, error: item.refused ?? 'invalid' }, nowMs);
      else await foldMeal(sql, { ...item, data: item.data }, nowMs);
    }
    return true;
  }

  /** Posts the page's transfers (idempotent by id, one ledger batch) before its meals are written. */
  async #postAll(events: readonly HubEvent[]): Promise<FoldItem[]> {
    const items: FoldItem[] = [];
    const transfers: Array<{ item: FoldItem; transfer: TransferInput }> = [];
    for (const event of events) {
      const parsed = canteenMealDataSchema.safeParse(event.event.data ?? {});
      const personId = event.event.personId;
      if (!parsed.success || personId === null) {
        items.push({ event, data: null, refused: parsed.error?.issues[0]?.message ?? 'no person' });
        continue;
      }
      const item: FoldItem = { event, data: parsed.data, refused: null };
      items.push(item);
      for (const transfer of mealTransfers(event.event.id, personId, parsed.data)) {
        await this.#open(transfer.debitAccountId, personId);
        transfers.push({ item, transfer });
      }
    }
    const results = await this.ledger.applyBatch(transfers.map((t) => t.transfer), this.now());
    results.forEach((result, i) => {
      const entry = transfers[i];
      if (result.status !== 'refused' || !entry) return;
      const why = `${result.error.ledgerCode}: ${result.error.message}`;
      entry.item.refused = entry.item.refused === null ? why : `${entry.item.refused}; ${why}`;
    });
    return items;
  }

  async #open(accountId: string, personId: string): Promise<void> {
    if (this.#opened.size === 0) {
      await this.ledger.openAccount({ id: REVENUE_ACCOUNT, kind: 'revenue', personId: null, floorTiyn: null }, this.now());
      await this.ledger.openAccount({ id: SUBSIDY_ACCOUNT, kind: 'subsidy', personId: null, floorTiyn: null }, this.now());
      this.#opened.add(REVENUE_ACCOUNT);
    }
    if (this.#opened.has(accountId) || accountId === SUBSIDY_ACCOUNT) return;
    // A child's account normally exists from their first top-up (with its own floor, left as it is);
    // a first meal on credit opens it at floor 0.
    if ((await this.ledger.account(accountId)) === null) await this.ledger.openAccount({ id: accountId, kind: 'person', personId, floorTiyn: 0 }, this.now());
    this.#opened.add(accountId);
  }

  start(): void {
    this.#loop.start();
  }

  /** Stops polling and waits for a fold in progress. */
  stop(): Promise<void> {
    return this.#loop.stop();
  }
}
