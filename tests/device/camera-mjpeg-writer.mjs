// A stand-in camera process: writes an MJPEG stream to stdout the way rpicam-vid/ffmpeg do, with
// the faults a real pipe shows: garbage before the first frame, a frame cut short, odd chunking.
// Usage: node camera-mjpeg-writer.mjs [framesAfterTruncation]
/* global process, setTimeout, Buffer */
import sharp from 'sharp';

const colours = ['#ff0000', '#00ff00', '#0000ff', '#ffff00', '#00ffff', '#ff00ff'];
const jpeg = (i) =>
  sharp({ create: { width: 64 + 8 * i, height: 48, channels: 3, background: colours[i % colours.length] } }).jpeg({ quality: 80 }).toBuffer();

const write = (bytes) => new Promise((resolve) => (process.stdout.write(bytes) ? resolve() : process.stdout.once('drain', resolve)));
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const after = Number(process.argv[2] ?? '2');
await write(Buffer.from('garbage before the first frame \xff\x00\xff', 'latin1'));
await write(await jpeg(0));
await write(await jpeg(1));
const cut = await jpeg(2);
await write(cut.subarray(0, Math.floor(cut.length / 2)));
for (let i = 0; i < after; i += 1) {
  const frame = await jpeg(3 + i);
  // Dribble the frame in small chunks: frame boundaries never align with pipe reads.
  for (let at = 0; at < frame.length; at += 37) {
    await write(frame.subarray(at, at + 37));
    if (at % 370 === 0) await pause(1);
  }
}
await pause(20);
