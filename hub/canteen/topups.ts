// Money into a child's canteen account, from the two places it comes from: a cashier taking cash in
// the console, and a payment provider's signed webhook. Both are a `top_up` transfer whose id the
// caller fixed before asking (the console's form carries it, the provider's payment id is it), so a
// resubmitted form or a replayed webhook applies once. Each source has its own cash account so the
// school can reconcile the drawer and the provider's settlements apart. A mistake is answered by a
// reversing transfer (a correction naming the original), never by an edit.
import { HubError } from '../errors.js';
import type { HubStorage } from '../storage.js';
import { personAccount } from './meal-fold.js';
import type { CanteenLedger, StoredTransfer, TransferResult } from './ledger-types.js';

export const TOP_UP_SOURCES = ['cashier', 'provider'] as const;
export type TopUpSource = (typeof TOP_UP_SOURCES)[number];

/** The cash account each source's top-ups are debited from. */
export const cashAccount = (source: TopUpSource): string => `cash:${source}`;

export interface TopUpInput {
  transferId: string;
  personId: string;
  amountTiyn: number;
  source: TopUpSource;
  /** A receipt number, the provider's payment id: what the money is matched against. */
  reference: string | null;
  note: string | null;
}

/** The id of the one transfer that may reverse `transferId`: a second reversal is a duplicate, not a second refund. */
export const reversalId = (transferId: string): string => `reversal:${transferId}`;

export class CanteenTopUps {
  constructor(
    private readonly ledger: CanteenLedger,
    private readonly storage: HubStorage,
    private readonly now: () => number,
  ) {}

  /** 422 for a person the roster does not hold (nothing is opened or applied then). */
  async topUp(input: TopUpInput): Promise<TransferResult> {
    if (!Number.isSafeInteger(input.amountTiyn) || input.amountTiyn <= 0) throw new HubError(400, 'invalid_amount', 'the amount must be a positive whole number of tiyn');
    await this.knownChild(input.personId);
    const account = await this.openAccounts(input.personId, input.source);
    return this.ledger.apply({
      id: input.transferId, debitAccountId: cashAccount(input.source), creditAccountId: account, amountTiyn: input.amountTiyn,
      kind: 'top_up', offlineCharge: false, reference: input.reference, note: input.note,
    }, this.now());
  }

  /**
   * Gives a top-up's money back to where it came from: a correction debiting the child and crediting
   * the same cash account, referring to the original. Refused (exceeds_floor) when the child has
   * already spent it; applying it again is a duplicate.
   */
  async reverse(transferId: string, note: string | null): Promise<TransferResult> {
    const original = await this.ledger.transfer(transferId);
    if (original === null || original.kind !== 'top_up') throw new HubError(404, 'not_found', `no top-up ${transferId}`);
    return this.ledger.apply({
      id: reversalId(original.id), debitAccountId: original.creditAccountId, creditAccountId: original.debitAccountId, amountTiyn: original.amountTiyn,
      kind: 'correction', offlineCharge: false, reference: original.id, note,
    }, this.now());
  }

  transfer(id: string): Promise<StoredTransfer | null> {
    return this.ledger.transfer(id);
  }

  private async knownChild(personId: string): Promise<void> {
    const entity = await this.storage.rosterEntity('person', personId);
    if (entity?.op !== 'upsert' || entity.type !== 'person') throw new HubError(422, 'unknown_person', `no person ${personId} in the roster`);
  }

  private async openAccounts(personId: string, source: TopUpSource): Promise<string> {
    const nowMs = this.now();
    await this.ledger.openAccount({ id: cashAccount(source), kind: 'cash', personId: null, floorTiyn: null }, nowMs);
    const account = personAccount(personId);
    // The fold opens a child's account with floor 0 on the first meal; a top-up before any meal does the same.
    if ((await this.ledger.account(account)) === null) await this.ledger.openAccount({ id: account, kind: 'person', personId, floorTiyn: 0 }, nowMs);
    return account;
  }
}
