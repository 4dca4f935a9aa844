// Camera frames from a child process writing MJPEG to stdout: `rpicam-vid --codec mjpeg -o -` on a
// Pi camera, `ffmpeg -f v4l2 ... -f mjpeg -` for a USB webcam. Frames stay in memory. When the
// process exits (camera unplugged, driver hiccup) it is restarted with capped exponential back-off;
// the back-off resets once the new process delivers frames again.
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { exponentialDelay } from '../../../lib/index.js';
import type { FrameSource, FrameSourceEvents, ReaderStatus } from '../types.js';
import { MjpegSplitter } from './mjpeg-splitter.js';

export type SpawnProcess = (command: string, args: readonly string[]) => ChildProcess;

export interface ProcessFrameSourceOptions {
  id: string;
  command: string;
  args: readonly string[];
  logger: Logger;
  maxFrameBytes?: number;
  backoff?: { initialMs: number; maxMs: number };
  /** Injected for tests that need a different process; defaults to child_process.spawn. */
  spawnProcess?: SpawnProcess;
}

/** `rpicam-vid` arguments for an endless MJPEG stream to stdout, no preview window. */
export function rpicamArgs(o: { width: number; height: number; fps: number }): string[] {
  return ['-t', '0', '-n', '--codec', 'mjpeg', '--width', String(o.width), '--height', String(o.height), '--framerate', String(o.fps), '-o', '-'];
}

/** `ffmpeg` arguments reading a V4L2 device and writing MJPEG to stdout. */
export function ffmpegArgs(o: { device: string; width: number; height: number; fps: number }): string[] {
  return ['-loglevel', 'error', '-f', 'v4l2', '-framerate', String(o.fps), '-video_size', `${o.width}x${o.height}`, '-i', o.device, '-f', 'mjpeg', '-q:v', '4', '-'];
}

export class ProcessFrameSource extends EventEmitter<FrameSourceEvents> implements FrameSource {
  readonly id: string;
  private state: ReaderStatus = 'disconnected';
  private child: ChildProcess | null = null;
  private restartTimer: NodeJS.Timeout | null = null;
  private attempt = 0;
  private closing = false;
  private readonly splitter: MjpegSplitter;
  private readonly logger: Logger;
  private readonly spawnProcess: SpawnProcess;

  constructor(private readonly options: ProcessFrameSourceOptions) {
    super();
    this.id = options.id;
    this.logger = options.logger.child({ ns: 'camera', camera: options.id });
    this.spawnProcess = options.spawnProcess ?? ((command, args) => spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
    this.splitter = new MjpegSplitter({
      maxFrameBytes: options.maxFrameBytes,
      onFrame: (frame) => this.deliver(frame),
      onDiscard: (bytes, why) => this.emit('warning', `${bytes} bytes dropped: ${why}`),
    });
  }

  status(): ReaderStatus {
    return this.state;
  }

  start(): Promise<void> {
    this.closing = false;
    this.launch();
    return Promise.resolve();
  }

  private setStatus(next: ReaderStatus): void {
    if (next === this.state) return;
    this.state = next;
    this.emit('status', next);
  }

  private deliver(frame: Buffer): void {
    this.attempt = 0;
    this.setStatus('connected');
    this.emit('frame', frame);
  }

  private launch(): void {
    this.restartTimer = null;
    if (this.closing) return;
    let child: ChildProcess;
    try {
      child = this.spawnProcess(this.options.command, this.options.args);
    } catch (error: unknown) {
      this.logger.warn({ err: error }, 'camera process could not start');
      this.scheduleRestart();
      return;
    }
    this.child = child;
    this.splitter.reset();
    child.stdout?.on('data', (chunk: Buffer) => this.splitter.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => this.logger.debug({ stderr: chunk.toString('utf8', 0, 500) }, 'camera process says'));
    // 'error' covers ENOENT (rpicam-vid not installed); 'close' follows only if it ever ran.
    child.once('error', (error) => {
      this.logger.warn({ err: error }, 'camera process failed');
      this.onExit(child);
    });
    child.once('close', (code, signal) => {
      if (!this.closing) this.logger.warn({ code, signal }, 'camera process exited');
      this.onExit(child);
    });
  }

  private onExit(child: ChildProcess): void {
    if (this.child !== child) return;
    this.child = null;
    this.splitter.reset();
    if (this.closing) return;
    this.scheduleRestart();
  }

  private scheduleRestart(): void {
    const { initialMs, maxMs } = this.options.backoff ?? { initialMs: 500, maxMs: 30_000 };
    const delay = exponentialDelay(this.attempt, { baseMs: initialMs, capMs: maxMs });
    this.attempt += 1;
    this.setStatus(this.attempt > 8 ? 'failed' : 'reconnecting');
    this.restartTimer = setTimeout(() => this.launch(), delay);
  }

  close(): Promise<void> {
    this.closing = true;
    if (this.restartTimer !== null) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const child = this.child;
    this.setStatus('disconnected');
    if (child === null || child.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const kill = setTimeout(() => child.kill('SIGKILL'), 2000);
      child.once('close', () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }
}
