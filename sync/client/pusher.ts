// Pushes the outbox oldest first. State lives in the outbox (pending / synced / quarantined), so a
// restarted kiosk resumes exactly where the last acknowledged batch left it; a batch whose answer
// was lost is simply sent again and the hub reports it as duplicates.
import type { Logger } from 'pino';
import type { EventOutbox, StoredEvent } from '../store/types.js';
import type { HubHttp } from './http.js';
import { SyncError } from './http.js';
import { MAX_BATCH_BYTES, MAX_BATCH_EVENTS, pushResponseSchema, toWireEvent, type ClockAnchor } from './wire.js';

export interface PushOptions {
  http: HubHttp;
  outbox: EventOutbox;
  deviceId: string;
  logger: Logger;
  batchSize: number;
  clockAnchor: () => ClockAnchor | null;
  onServerTime: (ms: number) => void;
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
    const size = Math.min(Math.max(1, this.options.batchSize), MAX_BATCH_EVENTS);
    for (;;) {
      const batch = await this.options.outbox.nextBatch(size, EVENT_BYTES_BUDGET);
      if (batch.length === 0) return total;
      const progressed = await this.pushBatch(batch, token);
      // A hub that answers 200 but settles none of our ids would spin us forever: treat it as broken.
      if (progressed === 0) throw new SyncError('protocol', 'hub settled none of the events of a batch');
      total += progressed;
    }
  }

  /** One batch; a 4xx batch is halved until the bad events stand alone and are quarantined. */
  private async pushBatch(batch: StoredEvent[], token: string): Promise<number> {
    try {
      return await this.send(batch, token);
    } catch (error) {
      if (!(error instanceof SyncError) || error.kind !== 'rejected') throw error;
      if (batch.length === 1) {
        const [only] = batch as [StoredEvent];
        this.options.logger.warn({ id: only.id, seq: only.seq, error: error.message }, 'event rejected by hub: quarantined');
        await this.options.outbox.quarantine([{ id: only.id, error: error.message }]);
        return 1;
      }
      const middle = Math.ceil(batch.length / 2);
      const first = await this.pushBatch(batch.slice(0, middle), token);
      return first + (await this.pushBatch(batch.slice(middle), token));
    }
  }

  private async send(batch: StoredEvent[], token: string): Promise<number> {
    const anchor = this.options.clockAnchor();
    const response = await this.options.http.request('POST', this.path, token, {
      events: batch.map(toWireEvent),
      ...(anchor ? { anchor } : {}),
    });
    if (response.serverTimeMs !== null) this.options.onServerTime(response.serverTimeMs);
    const parsed = pushResponseSchema.safeParse(response.body);
    if (response.status !== 200 || !parsed.success) throw new SyncError('protocol', `hub push answer does not match protocol v1 (status ${response.status})`);
    const sent = new Set(batch.map((e) => e.id));
    const settled = [...parsed.data.accepted, ...parsed.data.duplicates].filter((id) => sent.has(id));
    const rejected = parsed.data.rejected.filter((r) => sent.has(r.id));
    await this.options.outbox.markSynced(settled);
    if (rejected.length > 0) {
      this.options.logger.warn({ count: rejected.length, first: rejected[0] }, 'events rejected by hub: quarantined');
      await this.options.outbox.quarantine(rejected);
    }
    return settled.length + rejected.length;
  }
}
