// The till's data from the hub: every minute or so, while the hub is reachable, the till asks for
// its snapshot with the device's own token (GET /v1/devices/:id/canteen/snapshot), validates it with
// the schemas its files are read with, writes both files (temp file, fsync, rename, fsync the
// folder: lib's safeWriteFile) and swaps menu and diners in memory together. Offline, or on an
// answer that does not validate, the till keeps serving from its last good files; the failure is
// logged and the loop goes on. The balances' lag is the snapshot's to state (lastChargeEventId):
// the till then subtracts only its own charges after that one (till.ts).
import { PollingLoop, safeWriteFile } from '../../lib/index.js';
import { canteenSnapshotSchema } from '../../protocol/index.js';
import { SnapshotDinerDirectory } from './till-data.js';
import type { CanteenTill } from './till.js';
import type { DinerDirectory, DinerRecord } from './till-types.js';

/** GET of the hub's snapshot answer (the sync client's HTTP, with its token, TLS pins and timeout). */
export type SnapshotFetch = () => Promise<unknown>;

interface SnapshotLogger {
  info(object: Record<string, unknown>, message: string): void;
  warn(object: Record<string, unknown>, message: string): void;
}

/** The diners' data the till reads, swapped whole when a newer snapshot arrives. */
export class SwappableDiners implements DinerDirectory {
  constructor(private current: SnapshotDinerDirectory) {}

  diner(personId: string): DinerRecord | null {
    return this.current.diner(personId);
  }

  asOfMs(): number {
    return this.current.asOfMs();
  }

  lastChargeEventId(): string | null | undefined {
    return this.current.lastChargeEventId();
  }

  swap(next: SnapshotDinerDirectory): void {
    this.current = next;
  }
}

export interface TillSnapshotSyncOptions {
  till: Pick<CanteenTill, 'useContext'>;
  diners: SwappableDiners;
  menuFile: string;
  dinersFile: string;
  fetchSnapshot: SnapshotFetch;
  /** The till's own config: not the hub's to set. */
  offlineAllowanceTiyn: number;
  logger: SnapshotLogger;
  intervalMs: number;
}

export class TillSnapshotSync {
  #lastError: string | null = null;
  readonly #loop: PollingLoop;

  constructor(private readonly options: TillSnapshotSyncOptions) {
    const refreshed = async (): Promise<void> => {
      await this.refresh();
      this.#lastError = null;
    };
    const failed = (error: unknown): void => {
      this.#lastError = error instanceof Error ? error.message : String(error);
      options.logger.warn({ err: error }, 'canteen snapshot not updated; the till keeps its last data');
    };
    this.#loop = new PollingLoop(refreshed, options.intervalMs, failed, true);
  }

  /** One exchange: true when a newer snapshot was written and swapped in. */
  async refresh(): Promise<boolean> {
    const { diners, till, logger } = this.options;
    const parsed = canteenSnapshotSchema.safeParse(await this.options.fetchSnapshot());
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`the hub's canteen snapshot is invalid: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
    }
    const { canteen, diners: data } = parsed.data;
    if (data.asOfMs <= diners.asOfMs()) return false;
    // Diners first: a power cut between the two writes leaves new balances with the old menu, both valid.
    await safeWriteFile(this.options.dinersFile, JSON.stringify(data), 0o640);
    await safeWriteFile(this.options.menuFile, JSON.stringify(canteen), 0o640);
    // Both swapped in one turn of the event loop: no proposal sees the new menu with the old diners.
    till.useContext({ ...canteen, offlineAllowanceTiyn: this.options.offlineAllowanceTiyn });
    diners.swap(SnapshotDinerDirectory.of(data));
    logger.info({ diners: Object.keys(data.diners).length, asOf: new Date(data.asOfMs).toISOString() }, 'canteen snapshot updated from the hub');
    return true;
  }

  status(): { asOf: string; lastError: string | null } {
    return { asOf: new Date(this.options.diners.asOfMs()).toISOString(), lastError: this.#lastError };
  }

  start(): void {
    this.#loop.start();
  }

  stop(): Promise<void> {
    return this.#loop.stop();
  }
}
