// Delivers outbox rows. A row is claimed (state 'claimed', a lease, the attempt counted) and committed
// before anything leaves the hub; a Telegram row is marked 'sending' (committed) right before it is
// handed to the Bot API, after any pacing wait. So after a crash the database knows which rows may
// have gone out:
// - a row still 'claimed' never left: it is sent when its lease runs out;
// - a webhook whose claim outlived its process is sent again (at least once; the receiver dedups by
//   webhook-id, which is the row's key);
// - a Telegram row left 'sending' is NOT sent again: the Bot API has no idempotency key, so the row is
//   recorded 'in_doubt' for the operator. The outbox thereby never sends one key to Telegram twice,
//   and only rows actually being handed over when the process died can be in doubt.
// Failures retry with exponential back-off (or the server's retry_after / Retry-After) and are given
// up after maxAttempts, recorded 'failed' with the last error.
// Checked at delivery, not only at planning, since they may change while a row waits: a guardian's
// quiet hours (the row is held until they end) and a withdrawn consent to notices (cancelled); and,
// for the canteen's and library's notices, whether they are still true (a book returned, a balance
// topped up while the row was held): the `relevance` check given by the notifier.
import { exponentialDelay, type BackoffPolicy } from '../../lib/index.js';
import type { Channel, ClaimedRow, GuardianRecord, NotifyStore, OutboxRow } from './model.js';
import { quietUntil } from './quiet.js';

export type SendOutcome = { ok: true } | { ok: false; retry: boolean; retryAfterMs?: number; error: string };

export interface NoticeChannel {
  readonly name: Channel;
  /** False when the receiver cannot dedup a repeat (Telegram): the row is marked 'sending' first. */
  readonly idempotent: boolean;
  /** Waits for the channel's rate limits before the row is handed over. */
  ready(guardian: GuardianRecord): Promise<void>;
  send(row: OutboxRow, guardian: GuardianRecord): Promise<SendOutcome>;
}

/** Whether a planned notice still says something true (false: cancelled, not sent). */
export type NoticeRelevance = (payload: OutboxRow['payload']) => Promise<boolean>;

export interface DispatcherOptions {
  batch: number;
  /** How long a claim holds a row; longer than any send's timeout. */
  leaseMs: number;
  maxAttempts: number;
  backoff: BackoffPolicy;
  /** The school's zone, in which guardians' quiet hours are set. */
  timeZone: string;
}

export const DEFAULT_DISPATCHER_OPTIONS: DispatcherOptions = {
  batch: 20, leaseMs: 60_000, maxAttempts: 8, backoff: { baseMs: 2_000, capMs: 10 * 60_000 }, timeZone: 'Asia/Almaty',
};

interface DispatchLogger {
  info(object: Record<string, unknown>, message: string): void;
  warn(object: Record<string, unknown>, message: string): void;
}

export class OutboxDispatcher {
  private readonly channels: Map<Channel, NoticeChannel>;

  constructor(
    private readonly store: NotifyStore,
    channels: readonly NoticeChannel[],
    private readonly logger: DispatchLogger,
    private readonly now: () => number = Date.now,
    private readonly options: DispatcherOptions = DEFAULT_DISPATCHER_OPTIONS,
    private readonly relevance: NoticeRelevance = () => Promise.resolve(true),
  ) {
    this.channels = new Map(channels.map((c) => [c.name, c]));
  }

  /** Claims and delivers due rows, batch by batch, until none is due or after `maxBatches`. Returns how many rows were handled. */
  async drain(maxBatches = Infinity): Promise<number> {
    let handled = 0;
    for (let batch = 0; batch < maxBatches; batch++) {
      const rows = await this.store.claim(this.now(), this.options.leaseMs, this.options.batch);
      if (rows.length === 0) return handled;
      // Rows of one batch go out concurrently; each has its own claim and outcome.
      await Promise.all(rows.map((row) => this.deliver(row)));
      handled += rows.length;
    }
    return handled;
  }

  private async deliver(row: ClaimedRow): Promise<void> {
    const guardian = await this.store.guardian(row.guardianId);
    if (!guardian) {
      await this.store.markFinal(row.key, 'cancelled', 'guardian unlinked or channel removed');
      return;
    }
    if (!(await this.mayDeliver(row, guardian))) return;
    const channel = this.channels.get(row.channel);
    if (!channel) return; // mayDeliver settled it
    await channel.ready(guardian);
    if (!channel.idempotent) await this.store.markSending(row.key);
    const outcome = await channel.send(row, guardian);
    if (outcome.ok) {
      await this.store.markSent(row.key, this.now());
      return;
    }
    if (!outcome.retry || row.attempts >= this.options.maxAttempts) {
      this.logger.warn({ key: row.key, channel: row.channel, attempts: row.attempts, error: outcome.error }, 'notice given up');
      await this.store.markFinal(row.key, 'failed', outcome.error);
      return;
    }
    const delay = Math.max(outcome.retryAfterMs ?? 0, exponentialDelay(row.attempts - 1, this.options.backoff));
    this.logger.info({ key: row.key, channel: row.channel, attempts: row.attempts, delayMs: delay, error: outcome.error }, 'notice will be retried');
    await this.store.markRetry(row.key, this.now() + delay, outcome.error);
  }

  /**
   * Settles a row that must not go out now (cancelled, held for quiet hours, in doubt, no channel
   * here) and says whether it may be sent. A row a dead process may have handed to Telegram is in
   * doubt before anything else: holding it for quiet hours would send it a second time later.
   */
  private async mayDeliver(row: ClaimedRow, guardian: GuardianRecord): Promise<boolean> {
    if (guardian.unlinkedMs !== null || (row.channel === 'telegram' ? guardian.telegramChat === null : guardian.webhookUrl === null)) {
      await this.store.markFinal(row.key, 'cancelled', 'guardian unlinked or channel removed');
      return false;
    }
    if (row.wasSending && row.channel === 'telegram') {
      this.logger.warn({ key: row.key }, 'a Telegram notice may have been sent by a process that died; not sent again');
      await this.store.markFinal(row.key, 'in_doubt', 'the sending process stopped before recording the outcome');
      return false;
    }
    if ((await this.store.noticesWithdrawn([row.payload.personId])).size > 0) {
      await this.store.markFinal(row.key, 'cancelled', 'consent to notices withdrawn');
      return false;
    }
    if (!(await this.relevance(row.payload))) {
      await this.store.markFinal(row.key, 'cancelled', 'no longer true (book returned or balance topped up)');
      return false;
    }
    if (!this.channels.has(row.channel)) {
      await this.store.markRetry(row.key, this.now() + this.options.backoff.capMs, `channel ${row.channel} not configured in this process`);
      return false;
    }
    const quietEnd = quietUntil(this.now(), guardian.quiet, this.options.timeZone);
    if (quietEnd !== null) await this.store.hold(row.key, quietEnd);
    return quietEnd === null;
  }
}
