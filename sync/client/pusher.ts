// Pushes the outbox oldest first. State lives in the outbox (pending / synced / quarantined), so a
// restarted kiosk resumes exactly where the last acknowledged batch left it; a batch whose answer
// was lost is simply sent again and the hub reports it as duplicates.
import type { Logger } from 'pino';
import type { EventOutbox, StoredEvent } from '../store/index.js';
import type { HubHttp } from './http.js';
import { SyncError } from './http.js';
import { MAX_BATCH_BYTES, MAX_BATCH_EVENTS, MAX_SKIP_PER_PUSH, pushResponseSchema, type ClockAnchor, type SeqSkip } from '../../protocol/index.js';
import { toWireEvent } from './wire-mapping.js';

/** A genuine event the hub refused because another event already holds its seq or id. */
export interface SeqConflict {
  id: string;
  seq: number;
  error: string;
}

export interface PushOptions {
  http: HubHttp;
  outbox: EventOutbox;
  deviceId: string;
  logger: Logger;
  batchSize: number;
  clockAnchor: () => ClockAnchor | null;
  onServerTime: (ms: number) => void;
  /** The events stay quarantined here, kept and visible; the caller raises the alarm. */
  onConflict: (conflicts: readonly SeqConflict[]) => Promise<void>;
}

interface SendResult {
  settled: number;
  /** The hub's next expected seq when it deferred events of this batch (a gap before them). */
  gapAt: number | null;
}

/** The envelope ({"events":[...],"anchor":...}) is small; leave it room under the 1 MiB limit. */
const EVENT_BYTES_BUDGET = MAX_BATCH_BYTES - 4096;

export class OutboxPusher {
  private readonly path: string;

  constructor(private readonly options: PushOptions) {
    this.path = `/v1/devices/${encodeURIComponent(options.deviceId)}/events`;
  }

  /** Pushes until the outbox is empty; returns how many events left the pending state. */
  async pushAll(token: string): Promise<number> {
    let total = 0;
    let skip: SeqSkip | undefined;
    const size = Math.min(Math.max(1, this.options.batchSize), MAX_BATCH_EVENTS);
    for (;;) {
      const batch = await this.options.outbox.nextBatch(size, EVENT_BYTES_BUDGET);
      if (batch.length === 0) return total;
      const result = await this.pushBatch(batch, token, skip);
      const skipped = skip;
      skip = undefined;
      if (result.settled > 0) {
        total += result.settled;
        continue;
      }
      // Nothing settled because the hub expects a seq below this batch: every seq below the oldest
      // pending one is one this device will never send (quarantined, pruned, or lost with a damaged
      // database), so say so once; the hub then takes the batch. Anything else is a broken hub.
      const first = batch[0];
      if (result.gapAt !== null && result.gapAt < first.seq && (skipped === undefined || result.gapAt > skipped.to)) {
        skip = { from: result.gapAt, to: Math.min(first.seq - 1, result.gapAt + MAX_SKIP_PER_PUSH - 1), reason: 'not pending on this device: quarantined, pruned or lost' };
        this.options.logger.warn({ skip }, 'hub expects seqs this device will never send: declaring them skipped');
        continue;
      }
      throw new SyncError('protocol', result.gapAt === null ? 'hub settled none of the events of a batch' : `hub expects seq ${result.gapAt} before the events sent (oldest pending ${first.seq})`);
    }
  }

  /** One batch; a 4xx batch is halved until the bad events stand alone and are quarantined. */
  private async pushBatch(batch: StoredEvent[], token: string, skip: SeqSkip | undefined): Promise<SendResult> {
    try {
      return await this.send(batch, token, skip);
    } catch (error) {
      if (!(error instanceof SyncError) || error.kind !== 'rejected') throw error;
      if (batch.length === 1) {
        const [only] = batch as [StoredEvent];
        this.options.logger.warn({ id: only.id, seq: only.seq, error: error.message }, 'event rejected by hub: quarantined');
        await this.options.outbox.quarantine([{ id: only.id, error: error.message }]);
        return { settled: 1, gapAt: null };
      }
      const middle = Math.ceil(batch.length / 2);
      const first = await this.pushBatch(batch.slice(0, middle), token, skip);
      const second = await this.pushBatch(batch.slice(middle), token, undefined);
      return { settled: first.settled + second.settled, gapAt: first.gapAt ?? second.gapAt };
    }
  }

  private async send(batch: StoredEvent[], token: string, skip: SeqSkip | undefined): Promise<SendResult> {
    const anchor = this.options.clockAnchor();
    const response = await this.options.http.request('POST', this.path, token, {
      events: batch.map(toWireEvent),
      ...(anchor ? { anchor } : {}),
      ...(skip ? { skip } : {}),
    });
    if (response.serverTimeMs !== null) this.options.onServerTime(response.serverTimeMs);
    const parsed = pushResponseSchema.safeParse(response.body);
    if (response.status !== 200 || !parsed.success) throw new SyncError('protocol', `hub push answer does not match protocol v1 (status ${response.status})`);
    const sent = new Map(batch.map((e) => [e.id, e]));
    const settled = [...parsed.data.accepted, ...parsed.data.duplicates].filter((id) => sent.has(id));
    const rejected = parsed.data.rejected.filter((r) => sent.has(r.id));
    await this.options.outbox.markSynced(settled);
    if (rejected.length > 0) {
      this.options.logger.warn({ count: rejected.length, first: rejected[0] }, 'events rejected by hub: quarantined');
      await this.options.outbox.quarantine(rejected);
    }
    const conflicts = rejected.filter((r) => r.error.startsWith('conflict:')).map((r) => ({ id: r.id, seq: sent.get(r.id)?.seq ?? 0, error: r.error }));
    if (conflicts.length > 0) await this.options.onConflict(conflicts);
    const deferred = (parsed.data.deferred ?? []).filter((d) => sent.has(d.id));
    return { settled: settled.length + rejected.length, gapAt: deferred.length > 0 ? (parsed.data.expectedSeq ?? null) : null };
  }
}
