// The desk's catalogue from the hub: every few minutes, while the hub is reachable, the desk asks
// for the school's copies with the device's own token, validates the answer like the file, writes
// it over the catalogue file (temp file, fsync, rename, fsync the folder) and swaps it in. Offline,
// or on a bad answer, the desk keeps lending from the last good file: a new book is unknown until
// the next good answer, and a withdrawn one stays lendable until then (the hub flags such a loan).
import { PollingLoop, safeWriteFile } from '../../lib/index.js';
import { SnapshotDeskCatalogue, deskCatalogueFileSchema } from './desk-files.js';
import type { DeskCatalogue } from './desk.js';
import type { LibraryCopy } from './types.js';

/** GET of the hub's catalogue answer (the sync client's HTTP, with its token, TLS pins and timeout). */
export type CatalogueFetch = () => Promise<unknown>;

interface CatalogueLogger {
  info(object: Record<string, unknown>, message: string): void;
  warn(object: Record<string, unknown>, message: string): void;
}

/** The catalogue the desk reads, swapped whole when a newer snapshot arrives. */
export class SwappableCatalogue implements DeskCatalogue {
  constructor(private current: SnapshotDeskCatalogue) {}

  copy(barcode: string): LibraryCopy | null {
    return this.current.copy(barcode);
  }

  get snapshot(): SnapshotDeskCatalogue {
    return this.current;
  }

  swap(next: SnapshotDeskCatalogue): void {
    this.current = next;
  }
}

export class CatalogueSync {
  #lastError: string | null = null;
  readonly #loop: PollingLoop;

  constructor(
    private readonly catalogue: SwappableCatalogue,
    private readonly file: string,
    private readonly fetchCatalogue: CatalogueFetch,
    private readonly logger: CatalogueLogger,
    intervalMs: number,
  ) {
    const refreshed = async (): Promise<void> => {
      await this.refresh();
      this.#lastError = null;
    };
    const failed = (error: unknown): void => {
      this.#lastError = error instanceof Error ? error.message : String(error);
      this.logger.warn({ err: error }, 'library catalogue not updated; the desk keeps its last one');
    };
    this.#loop = new PollingLoop(refreshed, intervalMs, failed, true);
  }

  /** One exchange: true when a newer catalogue was written and swapped in. */
  async refresh(): Promise<boolean> {
    const parsed = deskCatalogueFileSchema.safeParse(await this.fetchCatalogue());
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`the hub's catalogue answer is invalid: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
    }
    if (parsed.data.asOfMs <= this.catalogue.snapshot.asOfMs) return false;
    await safeWriteFile(this.file, JSON.stringify(parsed.data), 0o640);
    this.catalogue.swap(new SnapshotDeskCatalogue(new Map(parsed.data.copies.map((copy) => [copy.id, copy])), parsed.data.asOfMs));
    this.logger.info({ copies: parsed.data.copies.length, asOf: new Date(parsed.data.asOfMs).toISOString() }, 'library catalogue updated from the hub');
    return true;
  }

  status(): { asOf: string; copies: number; lastError: string | null } {
    return { asOf: new Date(this.catalogue.snapshot.asOfMs).toISOString(), copies: this.catalogue.snapshot.size, lastError: this.#lastError };
  }

  start(): void {
    this.#loop.start();
  }

  stop(): Promise<void> {
    return this.#loop.stop();
  }
}
