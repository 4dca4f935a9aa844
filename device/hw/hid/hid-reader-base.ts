// Connection handling shared by the HID readers: device selection by path or vendor/product id,
// status events, and reconnect with capped exponential back-off after an unplug (an 'error' on the
// handle) or a failed open. Subclasses only decode reports.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { exponentialDelay } from '../../../lib/index.js';
import type { HidBackend, HidDeviceInfo, HidHandle } from '../deps.js';
import type { Direction } from '../../vocabulary.js';
import type { CredentialReader, CredentialReaderEvents, ReaderStatus } from '../types.js';

export interface HidSelector {
  vendorId?: number | undefined;
  productId?: number | undefined;
  path?: string | undefined;
}

export interface HidReaderOptions {
  id: string;
  door: string;
  direction: Direction;
  selector: HidSelector;
  backend: HidBackend;
  logger: Logger;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  monoNow?: () => number;
}

/** Picks the device: an explicit path wins; else the first match by ids, keyboards first. */
export function selectHidDevice(devices: readonly HidDeviceInfo[], selector: HidSelector): HidDeviceInfo | undefined {
  const candidates = devices.filter(
    (d) =>
      d.path !== undefined &&
      (selector.path === undefined || d.path === selector.path) &&
      (selector.vendorId === undefined || d.vendorId === selector.vendorId) &&
      (selector.productId === undefined || d.productId === selector.productId),
  );
  // A reader can expose several interfaces; the boot keyboard is usage page 1, usage 6.
  return candidates.find((d) => d.usagePage === 1 && d.usage === 6) ?? candidates[0];
}

export abstract class HidReaderBase extends EventEmitter<CredentialReaderEvents> implements CredentialReader {
  readonly id: string;
  readonly door: string;
  readonly direction: Direction;
  protected readonly logger: Logger;
  protected readonly monoNow: () => number;
  readonly #options: HidReaderOptions;
  #status: ReaderStatus = 'disconnected';
  #handle: HidHandle | null = null;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;
  #attempt = 0;
  #closed = false;
  #connectedPath: string | null = null;

  constructor(options: HidReaderOptions, ns: string) {
    super();
    this.id = options.id;
    this.door = options.door;
    this.direction = options.direction;
    this.#options = options;
    this.logger = options.logger.child({ ns, reader: options.id });
    this.monoNow = options.monoNow ?? (() => performance.now());
  }

  status(): ReaderStatus {
    return this.#status;
  }

  /** The hidraw path of the open device, for status and doctor. */
  devicePath(): string | null {
    return this.#connectedPath;
  }

  /** Never rejects for a missing device: the reader keeps retrying and reports its status. */
  async start(): Promise<void> {
    if (this.#handle || this.#retryTimer) return;
    this.#closed = false;
    await this.#connect();
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.onDisconnect();
    await this.#closeHandle();
    this.#setStatus('disconnected');
  }

  /** One input report from the device. */
  protected abstract onReport(report: Buffer): void;
  /** The device went away: drop partial input. */
  protected abstract onDisconnect(): void;

  protected warn(message: string): void {
    this.logger.warn({ reader: this.id }, message);
    this.emit('warning', message);
  }

  async #connect(): Promise<void> {
    if (this.#closed) return;
    try {
      const path = await this.#resolvePath();
      const handle = await this.#options.backend.open(path);
      if (this.#closed) {
        await handle.close();
        return;
      }
      this.#handle = handle;
      this.#connectedPath = path;
      handle.on('data', (report: Buffer) => this.#onData(report));
      handle.on('error', (error: unknown) => this.#onLost(error));
      this.#attempt = 0;
      this.logger.info({ path }, 'HID reader connected');
      this.#setStatus('connected');
    } catch (error) {
      this.logger.warn({ err: error }, 'HID reader not available');
      this.#scheduleReconnect();
    }
  }

  async #resolvePath(): Promise<string> {
    const { selector } = this.#options;
    // An explicit path (often a udev symlink such as /dev/esik-reader-main) wins over the ids.
    if (selector.path !== undefined) return selector.path;
    const device = selectHidDevice(await this.#options.backend.devices(), selector);
    if (!device?.path) throw new Error(`no HID device matches ${JSON.stringify(selector)}`);
    return device.path;
  }

  #onData(report: Buffer): void {
    try {
      this.onReport(report);
    } catch (error) {
      // A decoder bug must not take the kiosk down; the report is lost, the reader keeps going.
      this.warn(`report dropped: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  #onLost(error: unknown): void {
    if (this.#closed || !this.#handle) return;
    this.logger.warn({ err: error }, 'HID reader lost (unplugged?)');
    this.onDisconnect();
    const handle = this.#handle;
    this.#handle = null;
    this.#connectedPath = null;
    this.#setStatus('disconnected');
    void Promise.resolve()
      .then(() => handle.close())
      .catch((closeError: unknown) => this.logger.debug({ err: closeError }, 'closing a lost HID handle failed'));
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#retryTimer) return;
    const min = this.#options.reconnectMinMs ?? 500;
    const max = this.#options.reconnectMaxMs ?? 30_000;
    const delay = exponentialDelay(this.#attempt, { baseMs: min, capMs: max });
    this.#attempt += 1;
    this.#setStatus('reconnecting');
    this.logger.debug({ delayMs: delay, attempt: this.#attempt }, 'HID reconnect scheduled');
    this.emit('retry', delay);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      void this.#connect();
    }, delay);
  }

  async #closeHandle(): Promise<void> {
    const handle = this.#handle;
    this.#handle = null;
    this.#connectedPath = null;
    if (!handle) return;
    handle.removeAllListeners('data');
    try {
      await handle.close();
    } catch (error) {
      this.logger.debug({ err: error }, 'closing HID handle failed');
    }
  }

  #setStatus(status: ReaderStatus): void {
    if (status === this.#status) return;
    this.#status = status;
    this.emit('status', status);
  }
}
