// The canteen till station: a presented diner goes through mealDecision() with what the till knows
// (the last synced balance minus its own charges since, the meals served today), the operator sees
// the proposal and confirms or cancels it. A confirmed meal is written to the kiosk's log as a
// `canteen.meal` event, with its ledger transfer ids fixed before the write, and only then does the
// till answer "served": a kill at any moment leaves either no meal or one meal with one charge.
// Confirmations run one at a time and decide again on the state of that moment, so two quick
// confirmations (or a card shown twice) cannot both use one free meal.
import { v7 as uuidv7 } from 'uuid';
import { CANTEEN_MEAL_EVENT, canteenMealDataSchema, mealTransferIds, type CanteenMealData } from '../../protocol/index.js';
import type { EventDraft, StoredEvent } from '../../sync/store/index.js';
import { toLocalTime } from '../policy/index.js';
import { mealDecision } from './meal-rule.js';
import type { DinerDirectory, DinerRecord, OwnMeal, TillClock, TillConfirmation, TillEventLog, TillPresentation, TillView } from './till-types.js';
import type { CanteenContext, MealDecision, MealRequest, MenuItem, OrderLine, ServedMeal } from './types.js';

export interface CanteenTillOptions {
  /** The till's name, recorded as the event's door. */
  till: string;
  deviceId: string;
  events: TillEventLog;
  directory: DinerDirectory;
  context: CanteenContext;
  clock: TillClock;
  /** Balances older than this are stale: the till is offline and may use the offline allowance. */
  staleAfterMs: number;
  /** The other tills of the canteen, asked before a free meal is served (absent: none). */
  peers?: TillPeerLink;
  newId?: () => string;
}

/** One free meal's key: a child, a school-local date, a period. */
export interface FreeMealClaim {
  personId: string;
  date: string;
  periodId: string;
  /** The claiming till's name. */
  till: string;
}

export interface TillPeerLink {
  /** False when a reachable peer has served or claimed this free meal; unreachable peers do not count (the hub flags a double serving). */
  claim(claim: FreeMealClaim): Promise<boolean>;
}

const claimKey = (c: Pick<FreeMealClaim, 'personId' | 'date' | 'periodId'>): string => `${c.personId}|${c.date}|${c.periodId}`;

interface Proposal {
  presentation: TillPresentation;
  order: OrderLine[];
  view: TillView;
}

const PAGE = 1000;

function ownMealOf(event: StoredEvent): OwnMeal | null {
  if (event.type !== CANTEEN_MEAL_EVENT || event.personId === null) return null;
  const parsed = canteenMealDataSchema.safeParse(event.data ?? {});
  if (!parsed.success) return null;
  const { date, periodId, free, chargeTiyn } = parsed.data;
  return { personId: event.personId, date, periodId, free, chargeTiyn, wallMs: event.wallMs, seq: event.seq, eventId: event.id };
}

export class CanteenTill {
  readonly #meals: OwnMeal[] = [];
  readonly #proposals = new Map<string, Proposal>();
  #current: string | null = null;
  #queue: Promise<unknown> = Promise.resolve();
  /** Free meals other tills claimed from us: served there, as far as this till can know. */
  readonly #peerClaims = new Map<string, { till: string; meal: OwnMeal }>();
  /** Our own claim in flight, for the tie between two tills confirming the same meal at once. */
  #claiming: string | null = null;
  /** Our own claim granted, the meal being written: refused to anyone. */
  #serving: string | null = null;
  /** When each diner was last seen by a reader (wall ms). */
  readonly #seen = new Map<string, number>();
  /** Periods, menu and staff rule: replaced whole when the hub's snapshot brings new ones. */
  #context: CanteenContext;

  constructor(private readonly options: CanteenTillOptions) {
    this.#context = options.context;
  }

  /** The menu from a newer snapshot; proposals on screen are decided again at confirmation. */
  useContext(context: CanteenContext): void {
    this.#context = context;
  }

  /** Rebuilds the meals this till served from its own log (after a restart, a kill -9 included). */
  async start(): Promise<void> {
    this.#meals.length = 0;
    for (let after = 0; ; ) {
      const page = await this.options.events.since(after, PAGE);
      for (const event of page) this.#note(event);
      if (page.length < PAGE) return;
      after = page[page.length - 1]?.seq ?? after;
    }
  }

  /** A diner presented: the proposal the operator sees (the period's default set meal). */
  present(presentation: TillPresentation): TillView {
    const proposalId = (this.options.newId ?? uuidv7)();
    const order = this.#defaultOrder(presentation);
    const proposal: Proposal = { presentation, order, view: this.#view(proposalId, presentation, order) };
    // Only the latest presentation is on screen: an older proposal can no longer be confirmed.
    if (this.#current !== null) this.#proposals.delete(this.#current);
    this.#proposals.set(proposalId, proposal);
    this.#current = proposalId;
    return proposal.view;
  }

  /**
   * A presentation from the kiosk's readers. A camera sees the pupil in front of it frame after
   * frame: a diner seen again within `repeatMs` of the last sighting makes no new proposal (the one
   * on screen stays confirmable, and a served pupil still standing there is not proposed again).
   */
  presentFromReader(presentation: TillPresentation, repeatMs = 10_000): TillView | null {
    const id = presentation.diner?.id;
    if (id === undefined) return this.present(presentation);
    const now = this.options.clock.wallMs();
    const last = this.#seen.get(id);
    this.#seen.set(id, now);
    if (this.#seen.size > 5000) for (const [key, at] of this.#seen) if (now - at > repeatMs) this.#seen.delete(key);
    return last !== undefined && now - last < repeatMs ? null : this.present(presentation);
  }

  /** The operator changed the tray: decide again. */
  choose(proposalId: string, order: readonly OrderLine[]): TillView | null {
    const proposal = this.#proposals.get(proposalId);
    if (proposal === undefined) return null;
    proposal.order = order.map((line) => ({ itemId: line.itemId, quantity: line.quantity }));
    proposal.view = this.#view(proposalId, proposal.presentation, proposal.order);
    return proposal.view;
  }

  cancel(proposalId: string): boolean {
    if (this.#current === proposalId) this.#current = null;
    return this.#proposals.delete(proposalId);
  }

  current(): TillView | null {
    return this.#current === null ? null : (this.#proposals.get(this.#current)?.view ?? null);
  }

  /** Meals this till served (rebuilt from its log), oldest first. */
  meals(): readonly OwnMeal[] {
    return this.#meals;
  }

  /**
   * Another till asks before serving a free meal. Refused when this till served it, holds another
   * till's claim to it, or is claiming it right now and its name sorts first (two tills asking each
   * other at once: exactly one wins). A granted claim is kept: the meal counts as served here too.
   */
  peerClaim(claim: FreeMealClaim): boolean {
    const key = claimKey(claim);
    if (this.#serving === key || this.#meals.some((meal) => meal.free && claimKey(meal) === key)) return false;
    const earlier = this.#peerClaims.get(key);
    if (earlier !== undefined && earlier.till !== claim.till) return false;
    if (this.#claiming === key && this.options.till < claim.till) return false;
    this.#peerClaims.set(key, { till: claim.till, meal: { personId: claim.personId, date: claim.date, periodId: claim.periodId, free: true, chargeTiyn: 0, wallMs: this.options.clock.wallMs(), seq: 0 } });
    return true;
  }

  /** Asks the peers for a free meal; a refusal is remembered like a peer's claim. */
  async #claimFromPeers(claim: FreeMealClaim): Promise<boolean> {
    const peers = this.options.peers;
    if (peers === undefined) return true;
    const key = claimKey(claim);
    this.#claiming = key;
    try {
      const granted = await peers.claim(claim);
      if (!granted && !this.#peerClaims.has(key)) this.peerClaim({ ...claim, till: '(a peer)' });
      return granted;
    } finally {
      this.#claiming = null;
    }
  }

  confirm(proposalId: string): Promise<TillConfirmation> {
    const next = this.#queue.then(() => this.#confirm(proposalId));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #confirm(proposalId: string): Promise<TillConfirmation> {
    const proposal = this.#proposals.get(proposalId);
    if (proposal === undefined) return { status: 'unknown_proposal' };
    // The state may have moved since the proposal was shown (another confirmation, a new day).
    const view = this.#view(proposalId, proposal.presentation, proposal.order);
    const diner = proposal.presentation.diner;
    if (view.decision.outcome === 'refuse' || diner === null) {
      proposal.view = view;
      return { status: 'refused', view };
    }
    if (view.decision.subsidyTiyn > 0) {
      const claim = { personId: diner.id, date: toLocalTime(this.options.clock.wallMs(), this.options.clock.utcOffsetMinutes()).date, periodId: view.decision.periodId, till: this.options.till };
      if (!(await this.#claimFromPeers(claim))) {
        proposal.view = this.#view(proposalId, proposal.presentation, proposal.order);
        return { status: 'refused', view: proposal.view };
      }
      this.#serving = claimKey(claim);
    }
    let event: StoredEvent;
    try {
      event = await this.options.events.append(this.#draft(proposal, view.decision, view.offline));
    } finally {
      this.#serving = null;
    }
    this.#note(event);
    this.#proposals.delete(proposalId);
    if (this.#current === proposalId) this.#current = null;
    return { status: 'served', view, event };
  }

  #draft(proposal: Proposal, decision: Extract<MealDecision, { outcome: 'free' | 'charge' }>, offline: boolean): EventDraft {
    const { clock, deviceId } = this.options;
    const mealId = (this.options.newId ?? uuidv7)();
    const ids = mealTransferIds(deviceId, mealId);
    const data: CanteenMealData = {
      mealId, periodId: decision.periodId, date: toLocalTime(clock.wallMs(), clock.utcOffsetMinutes()).date,
      free: decision.subsidyTiyn > 0, freeCategory: decision.freeCategory, chargeTiyn: decision.chargeTiyn, subsidyTiyn: decision.subsidyTiyn,
      chargeTransferId: ids.charge, subsidyTransferId: ids.subsidy, offline: offline || decision.beyondKnownBalance, items: proposal.order,
    };
    return {
      type: CANTEEN_MEAL_EVENT, door: this.options.till, direction: null, personId: proposal.presentation.diner?.id ?? null,
      credential: proposal.presentation.credential, reason: null, data,
    };
  }

  #note(event: StoredEvent): void {
    const meal = ownMealOf(event);
    if (meal !== null) this.#meals.push(meal);
  }

  /**
   * The till's own meals of this diner the hub's balance does not include yet. With the hub's
   * position (its snapshot names this till's last charge the ledger holds): the meals after it in
   * the log, whenever they were served, so neither a meal served before the snapshot but not yet
   * folded is missed, nor one folded is subtracted twice. An unknown position (a log reset, or the
   * meal pruned as synced) leaves every meal in the log after it: all of them. Without a position (a
   * hand-written file): the meals since the data were made.
   */
  #unposted(personId: string): OwnMeal[] {
    const { directory } = this.options;
    const position = directory.lastChargeEventId?.();
    if (position === undefined) return this.#meals.filter((meal) => meal.personId === personId && meal.wallMs >= directory.asOfMs());
    const after = position === null ? 0 : (this.#meals.find((meal) => meal.eventId === position)?.seq ?? 0);
    return this.#meals.filter((meal) => meal.personId === personId && meal.seq > after);
  }

  /** Today's meals as the hub knows them, plus this till's own the hub's list does not name. */
  #servedToday(personId: string, record: DinerRecord | null): ServedMeal[] {
    const { directory } = this.options;
    const listed = record?.served ?? [];
    const mine = this.#meals.filter((meal) => meal.personId === personId);
    // A hand-written file names no events: the till's meals since it was made are not in it.
    if (directory.lastChargeEventId?.() === undefined) return [...listed, ...mine.filter((meal) => meal.wallMs >= directory.asOfMs())];
    const named = new Set(listed.map((meal) => meal.eventId));
    return [...listed, ...mine.filter((meal) => !named.has(meal.eventId))];
  }

  #request(presentation: TillPresentation, order: readonly OrderLine[], record: DinerRecord | null): MealRequest {
    const { clock, directory, staleAfterMs } = this.options;
    const now = clock.wallMs();
    const personId = presentation.diner?.id ?? null;
    const unposted = personId === null ? [] : this.#unposted(personId);
    const claimed = [...this.#peerClaims.values()].filter((c) => c.meal.personId === personId).map((c) => c.meal);
    const servedToday: ServedMeal[] = [...(personId === null ? [] : this.#servedToday(personId, record)), ...claimed];
    return {
      person: presentation.diner, order, nowWallMs: now, utcOffsetMinutes: clock.utcOffsetMinutes(), clockTrusted: clock.trusted(),
      freeMeals: record?.freeMeals ?? [], guardian: record?.guardian ?? null, servedToday,
      balance: {
        tiyn: (record?.balanceTiyn ?? 0) - unposted.reduce((sum, meal) => sum + meal.chargeTiyn, 0),
        floorTiyn: record?.floorTiyn ?? 0,
        offline: now - directory.asOfMs() > staleAfterMs,
      },
    };
  }

  #view(proposalId: string, presentation: TillPresentation, order: readonly OrderLine[]): TillView {
    const record = presentation.diner === null ? null : this.options.directory.diner(presentation.diner.id);
    const request = this.#request(presentation, order, record);
    const decision = mealDecision(request, this.#context);
    const today = toLocalTime(request.nowWallMs, request.utcOffsetMinutes).date;
    const limit = request.guardian?.dailyLimitTiyn ?? null;
    const spent = request.servedToday.reduce((sum, meal) => (meal.date === today ? sum + meal.chargeTiyn : sum), 0);
    return {
      proposalId, diner: presentation.diner, entitlement: this.#entitlement(presentation, request),
      blockedAllergens: request.guardian?.blockedAllergens ?? [], balanceTiyn: presentation.diner === null ? null : request.balance.tiyn,
      dailyLimitLeftTiyn: limit === null ? null : Math.max(0, limit - spent), offline: request.balance.offline, order,
      choices: this.#choices(decision.periodId), decision,
    };
  }

  #entitlement(presentation: TillPresentation, request: MealRequest): TillView['entitlement'] {
    const diner = presentation.diner;
    if (diner === null) return null;
    if (diner.role === 'staff') return this.#context.staffMeals === 'free' ? 'staff' : 'paid';
    // Whether the register covers the child now, by the rule itself (validity windows, periods):
    // a free set meal on a fresh day, with no guardian blocks, comes out free or it does not.
    const sets = this.#context.menu.filter((item) => item.kind === 'set' && item.freeEligible);
    const free = sets.some((item) => mealDecision({ ...request, order: [{ itemId: item.id, quantity: 1 }], servedToday: [], guardian: null }, this.#context).outcome === 'free');
    return free ? 'free' : 'paid';
  }

  #periodKind(periodId: string | null): MenuItem['periods'][number] | null {
    return this.#context.periods.find((period) => period.id === periodId)?.kind ?? null;
  }

  #choices(periodId: string | null): TillView['choices'] {
    const kind = this.#periodKind(periodId);
    if (kind === null) return [];
    return this.#context.menu
      .filter((item) => item.periods.includes('*') || item.periods.includes(kind))
      .map(({ id, name, kind: itemKind, priceTiyn, allergens }) => ({ id, name, kind: itemKind, priceTiyn, allergens }));
  }

  /** The period's first set meal the diner's guardian has not blocked (a free-eligible one first). */
  #defaultOrder(presentation: TillPresentation): OrderLine[] {
    if (presentation.diner === null) return [];
    const record = this.options.directory.diner(presentation.diner.id);
    const probe = mealDecision(this.#request(presentation, [], record), this.#context);
    const blocked = new Set(record?.guardian?.blockedAllergens ?? []);
    const sets = this.#choices(probe.periodId).filter((item) => item.kind === 'set');
    const allowed = sets.filter((item) => !item.allergens.some((allergen) => blocked.has(allergen)));
    const menu = new Map(this.#context.menu.map((item) => [item.id, item]));
    const pick = allowed.find((item) => menu.get(item.id)?.freeEligible === true) ?? allowed[0] ?? sets[0];
    return pick === undefined ? [] : [{ itemId: pick.id, quantity: 1 }];
  }
}
