// The hub's retention policy: events (passages, meals, loans, system events) are kept for a set
// number of whole months of receipt, then removed, because Law 94-V allows personal data to be kept
// only as long as their purpose needs (docs/hub.md, "Retention"). Whole months, so both storages
// remove the same thing: PostgreSQL drops month partitions, SQLite deletes the same months in
// bounded batches with a pause between them, so a push never waits behind more than one batch.
// Money is not here: the canteen ledger's transfers are accounting records with their own term.
import type { Logger } from 'pino';
import type { HubStorage } from './storage.js';

export interface RetentionOptions {
  /** Whole months kept before the current one; 0 keeps everything. */
  months: number;
  /** SQLite rows per delete transaction (PostgreSQL: partitions per step). */
  batchSize: number;
  /** Pause between two steps, so ingestion goes on between them. */
  pauseMs: number;
  /** How often the policy is applied. */
  everyMs: number;
}

export const DEFAULT_RETENTION: RetentionOptions = { months: 12, batchSize: 1_000, pauseMs: 50, everyMs: 3_600_000 };

/** The first instant kept: the start of the UTC month `months` months before the one holding `nowMs`. */
export function retentionCutoff(nowMs: number, months: number): number {
  const now = new Date(nowMs);
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - months, 1);
}

export interface RetentionRun {
  cutoffMs: number;
  deleted: number;
  droppedPartitions: string[];
}

export class EventRetention {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<RetentionRun | null> | null = null;
  private stopped = false;

  constructor(
    private readonly storage: HubStorage,
    private readonly options: RetentionOptions,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isInteger(options.months) || options.months < 0) throw new Error(`retention months must be a whole number ≥ 0, got ${options.months}`);
  }

  /** Applies the policy once now, then every `everyMs`. A failed run is logged and tried again later. */
  start(): void {
    if (this.options.months === 0) {
      this.logger.info('event retention off: events are kept until removed by hand');
      return;
    }
    const tick = (): void => {
      this.runOnce().catch((error: unknown) => this.logger.error({ err: error }, 'event retention run failed'));
    };
    tick();
    this.timer = setInterval(tick, this.options.everyMs);
    this.timer.unref();
  }

  /** One application of the policy, step by step until nothing is left before the cutoff. */
  runOnce(): Promise<RetentionRun | null> {
    if (this.options.months === 0) return Promise.resolve(null);
    this.running ??= this.removeOld().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Stops the schedule and waits for a run in progress to finish its current step. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  private async removeOld(): Promise<RetentionRun> {
    const cutoffMs = retentionCutoff(this.now(), this.options.months);
    const run: RetentionRun = { cutoffMs, deleted: 0, droppedPartitions: [] };
    for (;;) {
      const step = await this.storage.pruneEventsBefore(cutoffMs, this.options.batchSize);
      run.deleted += step.deleted;
      run.droppedPartitions.push(...step.droppedPartitions);
      if (!step.more || this.stopped) break;
      await new Promise((resolve) => setTimeout(resolve, this.options.pauseMs));
    }
    if (run.deleted > 0 || run.droppedPartitions.length > 0) {
      this.logger.info({ cutoff: new Date(cutoffMs).toISOString(), deleted: run.deleted, partitions: run.droppedPartitions }, 'event retention removed old events');
    }
    return run;
  }
}
