// Frames polled from an IP camera's snapshot URL (e.g. http://cam/snapshot.jpg). Each poll has a
// deadline and a size cap; a failing camera is retried with capped back-off and reported through
// status, never by throwing. Frames stay in memory.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { exponentialDelay } from '../../../lib/index.js';
import type { FrameSource, FrameSourceEvents, ReaderStatus } from '../types.js';

export interface HttpSnapshotSourceOptions {
  id: string;
  url: string;
  intervalMs: number;
  logger: Logger;
  timeoutMs?: number;
  maxBytes?: number;
  backoff?: { initialMs: number; maxMs: number };
  /** Injected for TLS pinning (an undici dispatcher) or tests; defaults to global fetch. */
  fetchFn?: typeof fetch;
}

export class HttpSnapshotSource extends EventEmitter<FrameSourceEvents> implements FrameSource {
  readonly id: string;
  private state: ReaderStatus = 'disconnected';
  private timer: NodeJS.Timeout | null = null;
  private failures = 0;
  private running = false;
  private inFlight: Promise<void> | null = null;
  private readonly logger: Logger;

  constructor(private readonly options: HttpSnapshotSourceOptions) {
    super();
    this.id = options.id;
    this.logger = options.logger.child({ ns: 'camera', camera: options.id });
  }

  status(): ReaderStatus {
    return this.state;
  }

  start(): Promise<void> {
    if (this.running) return Promise.resolve();
    this.running = true;
    this.schedule(0);
    return Promise.resolve();
  }

  private setStatus(next: ReaderStatus): void {
    if (next === this.state) return;
    this.state = next;
    this.emit('status', next);
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.inFlight = this.poll().finally(() => {
        this.inFlight = null;
      });
    }, delayMs);
  }

  private async poll(): Promise<void> {
    try {
      const frame = await this.fetchSnapshot();
      this.failures = 0;
      this.setStatus('connected');
      this.emit('frame', frame);
      this.schedule(this.options.intervalMs);
    } catch (error: unknown) {
      this.failures += 1;
      const { initialMs, maxMs } = this.options.backoff ?? { initialMs: 500, maxMs: 30_000 };
      const delay = Math.max(Math.min(maxMs, this.options.intervalMs), exponentialDelay(this.failures - 1, { baseMs: initialMs, capMs: maxMs }));
      this.logger.warn({ err: error, failures: this.failures, retryInMs: delay }, 'snapshot failed');
      this.emit('warning', error instanceof Error ? error.message : String(error));
      this.setStatus('reconnecting');
      this.schedule(delay);
    }
  }

  private async fetchSnapshot(): Promise<Buffer> {
    const fetchFn = this.options.fetchFn ?? fetch;
    const maxBytes = this.options.maxBytes ?? 16 * 1024 * 1024;
    const response = await fetchFn(this.options.url, { signal: AbortSignal.timeout(this.options.timeoutMs ?? 3000) });
    if (!response.ok) throw new Error(`snapshot HTTP ${response.status}`);
    const declared = Number(response.headers.get('content-length') ?? '0');
    if (declared > maxBytes) throw new Error(`snapshot of ${declared} bytes exceeds ${maxBytes}`);
    const reader = response.body?.getReader();
    if (reader === undefined) throw new Error('snapshot has no body');
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel();
        throw new Error(`snapshot exceeds ${maxBytes} bytes`);
      }
      chunks.push(Buffer.from(value));
    }
    if (total === 0) throw new Error('snapshot is empty');
    return Buffer.concat(chunks);
  }

  async close(): Promise<void> {
    this.running = false;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.inFlight;
    this.setStatus('disconnected');
  }
}
