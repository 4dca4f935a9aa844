// A camera as a credential reader: every frame of a FrameSource becomes a `face` presentation, at
// most `maxFps` per second and one at a time: after emitting, the reader waits for `settled()`
// (the kiosk calls it once the presentation is decided) or `settleTimeoutMs`. A camera produces
// frames faster than the face engine consumes them, so meanwhile only the newest frame is kept (one
// slot, replaced, never a queue): the kiosk always sees what is in front of the camera now, and
// memory stays flat. Frames live only in memory; nothing here touches the disk.
import { EventEmitter } from 'node:events';
import type { Direction } from '../../vocabulary.js';
import type { CredentialReader, CredentialReaderEvents, FrameSource, ReaderStatus } from '../types.js';

export interface CameraReaderOptions {
  id: string;
  door: string;
  direction: Direction;
  source: FrameSource;
  /** Presentations per second at most (default 5). */
  maxFps?: number;
  /** Sends the next frame anyway when a presentation was not settled within this (default 10 s). */
  settleTimeoutMs?: number;
  monoNow?: () => number;
}

export class CameraReader extends EventEmitter<CredentialReaderEvents> implements CredentialReader {
  readonly id: string;
  readonly door: string;
  readonly direction: Direction;
  private readonly source: FrameSource;
  private readonly minIntervalMs: number;
  private readonly monoNow: () => number;
  /** The newest frame not yet presented; replaced by each newer frame. */
  private latest: Buffer | null = null;
  private lastEmitMs = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | null = null;
  /** Set while a presentation is with the kiosk; cleared by settled() or the settle timeout. */
  private inFlight: NodeJS.Timeout | null = null;
  private readonly settleTimeoutMs: number;
  private started = false;
  private readonly onFrame = (frame: Buffer): void => this.receive(frame);
  private readonly onStatus = (status: ReaderStatus): void => {
    this.emit('status', status);
  };
  private readonly onWarning = (message: string): void => {
    this.emit('warning', message);
  };

  constructor(options: CameraReaderOptions) {
    super();
    const maxFps = options.maxFps ?? 5;
    if (!(maxFps > 0 && maxFps <= 60)) throw new Error(`camera reader ${options.id}: maxFps must be in (0, 60], got ${maxFps}`);
    this.id = options.id;
    this.door = options.door;
    this.direction = options.direction;
    this.source = options.source;
    this.minIntervalMs = 1000 / maxFps;
    this.monoNow = options.monoNow ?? (() => performance.now());
    this.settleTimeoutMs = options.settleTimeoutMs ?? 10_000;
  }

  /** The presentation was decided or dropped: the newest waiting frame may go. */
  settled(): void {
    if (this.inFlight === null) return;
    clearTimeout(this.inFlight);
    this.inFlight = null;
    this.schedule();
  }

  /** Mirrors the camera: a camera that cannot deliver frames is a reader that cannot read. */
  status(): ReaderStatus {
    return this.source.status();
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.source.on('frame', this.onFrame);
    this.source.on('status', this.onStatus);
    this.source.on('warning', this.onWarning);
    await this.source.start();
  }

  async close(): Promise<void> {
    this.started = false;
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.inFlight !== null) clearTimeout(this.inFlight);
    this.timer = null;
    this.inFlight = null;
    this.latest = null;
    await this.source.close();
    this.source.off('frame', this.onFrame);
    this.source.off('status', this.onStatus);
    this.source.off('warning', this.onWarning);
  }

  private receive(frame: Buffer): void {
    if (!this.started || !Buffer.isBuffer(frame) || frame.length === 0) return;
    this.latest = frame;
    this.schedule();
  }

  private schedule(): void {
    if (this.timer !== null || this.inFlight !== null || this.latest === null || !this.started) return;
    const waitMs = this.lastEmitMs + this.minIntervalMs - this.monoNow();
    if (waitMs <= 0) this.flush();
    else this.timer = setTimeout(() => this.flush(), Math.ceil(waitMs));
  }

  private flush(): void {
    this.timer = null;
    const image = this.latest;
    this.latest = null;
    if (image === null || !this.started) return;
    const monoMs = this.monoNow();
    this.lastEmitMs = monoMs;
    this.inFlight = setTimeout(() => this.settled(), this.settleTimeoutMs);
    this.emit('presentation', { kind: 'face', readerId: this.id, monoMs, image });
  }
}
