// Public face of the camera drivers: FrameSource implementations and the config that picks one.
// Frames are transient Buffers handed to listeners; none of these drivers writes a frame to disk.
import { z } from 'zod';
import type { Logger } from 'pino';
import type { FrameSource } from '../types.js';
import { FolderFrameSource } from './folder-source.js';
import { HttpSnapshotSource } from './http-source.js';
import { ProcessFrameSource, ffmpegArgs, rpicamArgs } from './process-source.js';

export { MjpegSplitter, type MjpegSplitterOptions } from './mjpeg-splitter.js';
export { ProcessFrameSource, rpicamArgs, ffmpegArgs, type ProcessFrameSourceOptions, type SpawnProcess } from './process-source.js';
export { FolderFrameSource, type FolderFrameSourceOptions } from './folder-source.js';
export { HttpSnapshotSource, type HttpSnapshotSourceOptions } from './http-source.js';

const size = { width: z.number().int().min(160).max(4096).default(1280), height: z.number().int().min(120).max(4096).default(720), fps: z.number().int().min(1).max(60).default(10) };

export const CameraConfigSchema = z.discriminatedUnion('driver', [
  z.object({ driver: z.literal('rpicam'), id: z.string().min(1).default('camera'), command: z.string().min(1).default('rpicam-vid'), ...size }),
  z.object({ driver: z.literal('ffmpeg'), id: z.string().min(1).default('camera'), command: z.string().min(1).default('ffmpeg'), device: z.string().min(1).default('/dev/video0'), ...size }),
  z.object({ driver: z.literal('folder'), id: z.string().min(1).default('camera'), dir: z.string().min(1), intervalMs: z.number().int().min(10).default(500) }),
  z.object({ driver: z.literal('http'), id: z.string().min(1).default('camera'), url: z.url(), intervalMs: z.number().int().min(10).default(300), timeoutMs: z.number().int().min(100).default(3000) }),
]);
export type CameraConfig = z.infer<typeof CameraConfigSchema>;

/** Builds the FrameSource a validated camera config names. Nothing starts until `start()`. */
export function createFrameSource(config: CameraConfig, logger: Logger): FrameSource {
  switch (config.driver) {
    case 'rpicam':
      return new ProcessFrameSource({ id: config.id, command: config.command, args: rpicamArgs(config), logger });
    case 'ffmpeg':
      return new ProcessFrameSource({ id: config.id, command: config.command, args: ffmpegArgs(config), logger });
    case 'folder':
      return new FolderFrameSource({ id: config.id, dir: config.dir, intervalMs: config.intervalMs, logger });
    case 'http':
      return new HttpSnapshotSource({ id: config.id, url: config.url, intervalMs: config.intervalMs, timeoutMs: config.timeoutMs, logger });
  }
}
export { CameraReader } from './camera-reader.js';
export type { CameraReaderOptions } from './camera-reader.js';
