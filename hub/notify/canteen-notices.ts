// The canteen's notices (issue 19): a meal served, and a balance fallen below the school's threshold.
// They are planned from the hub's canteen.meal events in hub-seq order, from the notifier's own 'meals'
// cursor, never past the canteen fold's cursor (hub/canteen/meal-fold.ts posts a page's transfers
// before it moves its cursor, so every meal read here has its charge, and the balance after it, in
// the ledger). The rows and the cursor's move are one transaction, exactly like the passages'
// planner: a crash re-reads the page, two hub processes write it once.
//
// A low balance is one notice per crossing, derived from the ledger alone: folding the child's
// statement (ledger seq order, which per account is commit order) from the start with the state
// "not low", a debit that leaves the balance below the threshold while the state is "not low" is a
// crossing and makes it "low"; any entry that leaves it at or above the threshold makes it "not
// low" again (a top-up). The crossing's outbox key is low:<child>:<transfer id>, a pure function of
// the ledger, so any process, after any restart, computes the same key and the outbox keeps it once;
// no state of its own is needed. Only crossings caused by the meals being planned are announced:
// a history folded again, or a threshold changed, announces nothing old.
import type { CanteenLedger } from '../canteen/index.js';
import { CANTEEN_MEAL_EVENT, canteenMealDataSchema } from '../../protocol/index.js';
import type { HubEvent, HubStorage } from '../storage.js';
import { guardiansToTell, rosterFirstName, rowsForGuardians } from './attendance.js';
import type { NewOutboxRow, NoticePayload, NotifyStore } from './model.js';

/** A meal a till served, from its canteen.meal event. */
export interface ServedMeal {
  eventId: string;
  personId: string;
  servedMs: number;
  periodId: string;
  free: boolean;
  chargeTiyn: number;
}

function servedMeal(event: HubEvent): ServedMeal | null {
  if (event.event.type !== CANTEEN_MEAL_EVENT || event.event.personId === null) return null;
  const parsed = canteenMealDataSchema.safeParse(event.event.data ?? {});
  if (!parsed.success) return null; // the fold flags it for the canteen manager
  const { periodId, free, chargeTiyn } = parsed.data;
  return { eventId: event.event.id, personId: event.event.personId, servedMs: Date.parse(event.trueAt ?? event.receivedAt), periodId, free, chargeTiyn };
}

/** One entry of a child's canteen account, oldest first (the ledger's statement). */
export interface BalanceEntry {
  transferId: string;
  /** Signed for the child: + credited (a top-up), - debited (a charge). */
  amountTiyn: number;
  balanceAfterTiyn: number;
  /** A meal's charge refers to the meal's event id. */
  reference: string | null;
}

/** What the notifier needs of the canteen. */
export interface CanteenFeed {
  /** The hub seq the canteen's meal fold has read up to. */
  foldedUpTo(): Promise<number>;
  /** The child's account entries, oldest first; none when the child has no account. */
  entries(personId: string): Promise<BalanceEntry[]>;
}

const STATEMENT_PAGE = 500;

/** The feed over the canteen's meal store (its fold cursor) and ledger (a child's statement). */
export function canteenFeed(meals: { cursor(): Promise<number> }, ledger: Pick<CanteenLedger, 'statement'>, accountOf: (personId: string) => string): CanteenFeed {
  return {
    foldedUpTo: () => meals.cursor(),
    async entries(personId) {
      const out: BalanceEntry[] = [];
      for (let after = 0; ;) {
        const page = await ledger.statement(accountOf(personId), after, STATEMENT_PAGE);
        if (page === null) return out;
        for (const e of page.entries) out.push({ transferId: e.transferId, amountTiyn: e.amountTiyn, balanceAfterTiyn: e.balanceAfterTiyn, reference: e.reference });
        if (!page.more || page.entries.length === 0) return out;
        after = page.next;
      }
    },
  };
}

export interface CanteenNoticeRules {
  /** A notice for every meal served; false: only low balances. */
  mealServed: boolean;
  /** Below this many tiyn a balance is low (default 100 000 tiyn = 1 000 ₸); null: no low-balance notices. */
  lowBalanceTiyn: number | null;
}

export const DEFAULT_CANTEEN_NOTICE_RULES: CanteenNoticeRules = { mealServed: true, lowBalanceTiyn: 100_000 };

export const MEALS_CURSOR = 'meals';

/** The entries whose debit took the balance below the threshold while it was not low. */
export function lowCrossings(entries: readonly BalanceEntry[], thresholdTiyn: number): BalanceEntry[] {
  const crossings: BalanceEntry[] = [];
  let low = false;
  for (const entry of entries) {
    if (entry.balanceAfterTiyn >= thresholdTiyn) low = false;
    else if (!low && entry.amountTiyn < 0) {
      low = true;
      crossings.push(entry);
    }
  }
  return crossings;
}

export class CanteenNotices {
  constructor(
    private readonly feed: CanteenFeed,
    private readonly storage: HubStorage,
    private readonly store: NotifyStore,
    private readonly now: () => number,
    private readonly options: { rules: CanteenNoticeRules; pageSize: number; maxAgeMs: number },
  ) {}

  /** Plans pages of meal events until caught up with the canteen's fold. Returns how many rows were written. */
  async catchUp(): Promise<number> {
    let written = 0;
    for (;;) {
      const from = await this.store.feedCursor(MEALS_CURSOR);
      const folded = await this.feed.foldedUpTo();
      if (folded <= from) return written;
      const page = await this.storage.readEvents(from, this.options.pageSize);
      if (page.lastHubSeq === null || page.lastHubSeq <= from) return written;
      const to = Math.min(page.lastHubSeq, folded);
      const meals = page.events.filter((e) => e.hubSeq <= to).map(servedMeal).filter((m): m is ServedMeal => m !== null);
      const rows = await this.rowsFor(meals);
      // Another hub process moved the cursor first: it wrote the same keys; read on from there.
      if (await this.store.planFeed(MEALS_CURSOR, from, to, rows, this.now())) written += rows.length;
      // The fold is behind the page's end: the rest on a later round, once it has read on.
      if (!page.more || to < page.lastHubSeq) return written;
    }
  }

  private async rowsFor(meals: readonly ServedMeal[]): Promise<NewOutboxRow[]> {
    if (meals.length === 0) return [];
    const guardians = await guardiansToTell(this.store, [...new Set(meals.map((m) => m.personId))]);
    const rows: NewOutboxRow[] = [];
    for (const [personId, forChild] of guardians) {
      const firstName = await rosterFirstName(this.storage, personId);
      // A child deleted or blocked on the hub is not announced.
      if (firstName === null) continue;
      const entries = await this.feed.entries(personId);
      const own = meals.filter((m) => m.personId === personId);
      for (const payload of this.payloads(own, entries, firstName)) rows.push(...rowsForGuardians(payload, forChild, payload.eventId));
    }
    return rows;
  }

  /** One child's notices for these meals: each fresh meal served, and the crossings they caused. */
  private payloads(meals: readonly ServedMeal[], entries: readonly BalanceEntry[], firstName: string): NoticePayload[] {
    const { rules, maxAgeMs } = this.options;
    const nowMs = this.now();
    const current = entries.at(-1)?.balanceAfterTiyn ?? null;
    const out: NoticePayload[] = [];
    for (const meal of meals) {
      const fresh = nowMs - meal.servedMs <= maxAgeMs;
      const base = { personId: meal.personId, firstName, at: new Date(meal.servedMs).toISOString(), door: null };
      if (rules.mealServed && fresh) {
        // The balance after the meal's own charge; a free meal (or a refused charge) changed nothing: the balance now.
        const charge = entries.find((e) => e.reference === meal.eventId && e.amountTiyn < 0);
        const detail = { kind: 'meal' as const, period: meal.periodId, free: meal.free, chargeTiyn: meal.chargeTiyn, balanceTiyn: charge?.balanceAfterTiyn ?? current };
        out.push({ ...base, kind: 'meal', eventId: `meal:${meal.eventId}`, detail });
      }
      if (rules.lowBalanceTiyn === null) continue;
      for (const crossing of lowCrossings(entries, rules.lowBalanceTiyn).filter((e) => e.reference === meal.eventId)) {
        // After an outage a crossing long past is still worth telling while the balance is still low.
        if (!fresh && (current === null || current >= rules.lowBalanceTiyn)) continue;
        const detail = { kind: 'low_balance' as const, balanceTiyn: crossing.balanceAfterTiyn, thresholdTiyn: rules.lowBalanceTiyn };
        out.push({ ...base, kind: 'low_balance', eventId: `low:${meal.personId}:${crossing.transferId}`, detail });
      }
    }
    return out;
  }

  /** At delivery: a low-balance notice held (quiet hours, retries) is dropped once a top-up has lifted the balance. */
  async stillLow(payload: NoticePayload): Promise<boolean> {
    if (payload.detail?.kind !== 'low_balance') return true;
    const current = (await this.feed.entries(payload.personId)).at(-1)?.balanceAfterTiyn;
    return current === undefined || current < payload.detail.thresholdTiyn;
  }
}
