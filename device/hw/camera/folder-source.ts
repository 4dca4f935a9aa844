// Frames from a folder of images, cycled in name order at a fixed interval: the simulator's camera
// and the tests'. Files are read when their turn comes (a technician may drop new ones in).
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { FrameSource, FrameSourceEvents, ReaderStatus } from '../types.js';

export interface FolderFrameSourceOptions {
  id: string;
  dir: string;
  intervalMs: number;
  logger: Logger;
  /** Files larger than this are skipped with a warning (default 16 MB). */
  maxFileBytes?: number;
}

const IMAGE = /\.(jpe?g|png)$/i;

export class FolderFrameSource extends EventEmitter<FrameSourceEvents> implements FrameSource {
  readonly id: string;
  private state: ReaderStatus = 'disconnected';
  private timer: NodeJS.Timeout | null = null;
  private index = 0;
  private busy = false;
  private readonly logger: Logger;

  constructor(private readonly options: FolderFrameSourceOptions) {
    super();
    this.id = options.id;
    this.logger = options.logger.child({ ns: 'camera', camera: options.id });
  }

  status(): ReaderStatus {
    return this.state;
  }

  async start(): Promise<void> {
    if (this.timer !== null) return;
    await this.tick();
    this.timer = setInterval(() => void this.tick(), this.options.intervalMs);
  }

  private setStatus(next: ReaderStatus): void {
    if (next === this.state) return;
    this.state = next;
    this.emit('status', next);
  }

  /** Emits the next image; a slow disk never stacks reads (one in flight at a time). */
  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const files = (await readdir(this.options.dir)).filter((f) => IMAGE.test(f)).sort();
      if (files.length === 0) {
        this.setStatus('reconnecting');
        this.emit('warning', `no images in ${this.options.dir}`);
        return;
      }
      const file = files[this.index % files.length];
      this.index = (this.index + 1) % files.length;
      const bytes = await readFile(join(this.options.dir, file));
      if (bytes.length > (this.options.maxFileBytes ?? 16 * 1024 * 1024)) {
        this.emit('warning', `${file} is too large for a frame (${bytes.length} bytes)`);
        return;
      }
      this.setStatus('connected');
      this.emit('frame', bytes);
    } catch (error: unknown) {
      this.logger.warn({ err: error }, 'folder camera cannot read its folder');
      this.setStatus('reconnecting');
    } finally {
      this.busy = false;
    }
  }

  close(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.setStatus('disconnected');
    return Promise.resolve();
  }
}
