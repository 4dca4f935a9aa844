// A face presented without a camera, end to end in the real kiosk (startKiosk on a temp config,
// real SQLite store, the real face engine): four faces-bbt people are enrolled through the admin
// enrol route (descriptors only), then photos go through POST /v1/simulate/face as `esik simulate
// face` sends them. A held-out crop of an enrolled person opens the door for that person; someone
// never enrolled is denied as unknown; a corrupt image opens nothing and the kiosk keeps deciding.
// The simulator page's POST /sim/face takes the same path, and a folder camera reader configured
// like a real one lets in the enrolled person whose photo appears in its folder. Finally no file under the state dir holds a JPEG or PNG signature: images never reach the disk.
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFaceEngine } from '../../biometric/index.js';
import type { FaceEngine } from '../../biometric/types.js';
import { adminRequest, AdminRequestError } from '../../device/admin/index.js';
import { encodeVector } from '../../device/admin/enrol.js';
import type { KioskDecision } from '../../device/kiosk/index.js';
import { startKiosk, type RunningKiosk } from '../../device/main.js';
import { daemonDir, repoRoot, type DaemonDir } from './daemon.js';
import { runEsik } from '../privacy/helpers.js';
import { IMAGE_SIGNATURES, filesUnder, scanFiles } from '../helpers/file-scan.js';

const dataDir = process.env.ESIK_DATA_DIR ?? resolve(repoRoot, '../shared/data');
const photo = (who: string, n: number): string => join(dataDir, 'faces-bbt', 'examples', who, `${who}${n}.png`);
const ENROLLED: Record<string, string> = { 'p-1001': 'amy', 'p-1002': 'howard', 'p-1003': 'penny', 'p-1004': 'sheldon' };

let dir: DaemonDir;
let kiosk: RunningKiosk;
let engine: FaceEngine;
/** The folder camera's folder: empty until the camera test puts a photo in front of the "lens". */
let cameraDir: string;

async function faceEngineState(): Promise<unknown> {
  const status = (await adminRequest(dir.socketPath, 'GET', '/v1/status')) as { biometric?: { face?: { state?: unknown } } };
  return status.biometric?.face?.state;
}

beforeAll(async () => {
  cameraDir = await mkdtemp(join(tmpdir(), 'esik-camera-'));
  dir = await daemonDir({
    doors: ['main', 'lab', 'hall'].map((name) => ({ name, relay: { driver: 'sim' }, sensor: { driver: 'sim' } })),
    readers: [
      { id: 'main-in', driver: 'sim', door: 'main', direction: 'in' },
      { id: 'cam-in', driver: 'camera', door: 'main', direction: 'in', source: { driver: 'folder', dir: cameraDir, intervalMs: 100 }, maxFps: 5 },
    ],
    // Two frames must agree within windowMs: generous here, since a loaded CI machine can take a
    // second per frame (a functional setting, not a speed claim).
    biometric: {
      face: { threshold: 0.92, minMargin: 0.02, consecutiveFrames: 2, windowMs: 10_000 },
      backend: 'wasm',
      // Presentation-attack detection at two doors only; main keeps none (a photo replayed there opens it, as before).
      presentationAttack: { doors: { lab: { action: 'deny', checks: ['motion'] }, hall: { action: 'flag' } }, windowMs: 30_000 },
    },
  });
  kiosk = await startKiosk(dir.configFile, { logger: pino({ level: 'silent' }), env: {} });
  engine = await createFaceEngine({ backend: 'wasm', logger: pino({ level: 'silent' }) });
  const changes = Object.keys(ENROLLED).map((id) => ({ op: 'upsert' as const, type: 'person' as const, data: { ...kiosk.services.roster.person(id)!, biometricConsent: true } }));
  const applied = await kiosk.services.store.roster.applyLocal(changes);
  kiosk.services.roster.applyChanges(changes, applied.purgedPersonIds);
  for (const [personId, who] of Object.entries(ENROLLED)) {
    const templates = [];
    for (const n of [1, 2, 3]) {
      const extraction = await engine.extract(await readFile(photo(who, n)));
      if (extraction.ok) templates.push({ id: `face-${who}-${n}`, modality: 'face', algo: engine.algo, vector: encodeVector(extraction.descriptor) });
    }
    expect(templates.length).toBeGreaterThan(0);
    await adminRequest(dir.socketPath, 'POST', '/v1/enroll', { actor: 'test', personId, templates });
  }
  // Generous functional deadline for the kiosk's own face models to load (not a speed claim).
  const until = Date.now() + 120_000;
  while ((await faceEngineState()) !== 'ready') {
    if (Date.now() > until) throw new Error(`face engine not ready: ${String(await faceEngineState())}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}, 240_000);

afterAll(async () => {
  await kiosk?.stop('test');
  await engine?.close();
  await dir?.cleanup();
  if (cameraDir !== undefined) await rm(cameraDir, { recursive: true, force: true });
});

function presentFace(image: Buffer, extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  return adminRequest(dir.socketPath, 'POST', '/v1/simulate/face', { actor: 'test', image: image.toString('base64'), ...extra }, 120_000) as Promise<Record<string, unknown>>;
}


describe('presenting a face through the admin API', () => {
  it('a held-out crop of an enrolled person opens the door for that person', async () => {
    const result = await presentFace(await readFile(photo('amy', 4)));
    expect(result).toMatchObject({ result: 'granted', outcome: 'grant', personId: 'p-1001', door: 'main', direction: 'in' });
    expect(result.framesSent).toBe(2);
  }, 120_000);

  it('a person never enrolled is denied as unknown, without identity', async () => {
    const result = await presentFace(await readFile(photo('raj', 4)));
    expect(result).toMatchObject({ result: 'denied', outcome: 'deny', reason: 'unknown', personId: null });
  }, 120_000);

  it('a corrupt image opens nothing, is reported as a bad capture, and the kiosk keeps deciding', async () => {
    const png = await readFile(photo('penny', 4));
    const corrupt = Buffer.concat([png.subarray(0, 64), Buffer.alloc(4096, 0x5a)]);
    const result = await presentFace(corrupt, { frames: 1 });
    expect(result.outcome).not.toBe('grant');
    expect(result).toMatchObject({ result: 'denied', reason: 'bad_capture' });
    expect(typeof result.capture).toBe('string');
    // Still up: the next card is decided.
    const card = (await adminRequest(dir.socketPath, 'POST', '/v1/simulate', { actor: 'test', value: '04A2B91D' })) as Record<string, unknown>;
    expect(card).toMatchObject({ decided: true, outcome: 'grant', personId: 'p-1002' });
  }, 120_000);

  it('refuses a body that is not base64 or a door that does not exist, and audits what it presented', async () => {
    await expect(presentFace(Buffer.alloc(0), { image: 'not base64!!' })).rejects.toBeInstanceOf(AdminRequestError);
    await expect(presentFace(Buffer.from('abcd'), { door: 'nowhere' })).rejects.toMatchObject({ statusCode: 404 });
    const page = (await adminRequest(dir.socketPath, 'GET', '/v1/events?after=0&limit=1000')) as { events: Array<{ type: string; reason: string | null; data?: Record<string, unknown> }> };
    const audits = page.events.filter((e) => e.type === 'audit' && e.reason === 'simulate.face');
    expect(audits.length).toBeGreaterThanOrEqual(3);
    expect(audits[0]?.data).toMatchObject({ actor: 'test', action: 'simulate.face', frames: 2 });
    expect(JSON.stringify(audits)).not.toContain('iVBOR');
  });

  it('`esik simulate face IMAGE` prints the decision; a missing file is a clear error', async () => {
    const granted = await runEsik(dir.configFile, ['simulate', 'face', photo('penny', 5), '--frames', '2']);
    expect(granted.stderr).toBe('');
    expect(granted.stdout).toMatch(/^GRANTED main in /u);
    // The other direction is another simulated reader, outside the in-reader's unknown cool-down.
    const json = await runEsik(dir.configFile, ['simulate', 'face', photo('stuart', 1), '--direction', 'out', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ result: 'denied', reason: 'unknown' });
    const missing = await runEsik(dir.configFile, ['simulate', 'face', join(dir.dir, 'nope.jpg')]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('nope.jpg');
  }, 120_000);

  it('the simulator page route presents a face too, and refuses an oversized body', async () => {
    const address = kiosk.services.http.server.address();
    if (address === null || typeof address === 'string') throw new Error('no http address');
    const url = `http://127.0.0.1:${address.port}/sim/face`;
    const post = (body: string): Promise<Response> => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const response = await post(JSON.stringify({ image: (await readFile(photo('howard', 4))).toString('base64'), door: 'main', direction: 'in' }));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ result: 'granted', personId: 'p-1002' });
    const tooBig = await post(JSON.stringify({ image: 'A'.repeat(7 * 1024 * 1024) }));
    expect(tooBig.status).toBe(413);
  }, 120_000);

  it('a camera reader turns frames into presentations: the enrolled person in front of it is let in', async () => {
    expect(kiosk.services.readers.get('cam-in')?.status()).not.toBe('connected');
    const granted = new Promise<KioskDecision>((resolvePromise) => {
      const onDecision = (decision: KioskDecision): void => {
        if (decision.readerId !== 'cam-in' || decision.outcome !== 'grant') return;
        kiosk.services.kiosk.off('decision', onDecision);
        resolvePromise(decision);
      };
      kiosk.services.kiosk.on('decision', onDecision);
    });
    await copyFile(photo('sheldon', 4), join(cameraDir, 'frame.png'));
    const decision = await granted;
    expect(decision).toMatchObject({ kind: 'face', door: 'main', direction: 'in', person: { id: 'p-1004' } });
    expect(kiosk.services.readers.get('cam-in')?.status()).toBe('connected');
    await rm(join(cameraDir, 'frame.png'));
  }, 60_000);

  it('wrote no image to the state dir', async () => {
    const state = join(dir.dir, 'state');
    expect((await filesUnder(state)).length).toBeGreaterThan(0);
    expect(await scanFiles([state], IMAGE_SIGNATURES)).toEqual([]);
  });
});

describe('presentation attacks at doors that check (motion)', () => {
  /** Frames of one camera at `door`, one after another; resolves with the decision the last frame made. */
  async function frames(door: string, readerId: string, images: Buffer[]): Promise<KioskDecision | null> {
    let decision: KioskDecision | null = null;
    for (const image of images) decision = await kiosk.services.kiosk.submit({ kind: 'face', readerId, monoMs: kiosk.services.clock.monoMs(), image }, door, 'in');
    return decision;
  }

  it('deny: one photo replayed as frames is refused as spoof_suspected, with the failed check on the event', async () => {
    const still = await readFile(photo('amy', 4));
    const decision = await frames('lab', 'pad-still', [still, still]);
    expect(decision).toMatchObject({ outcome: 'deny', reason: 'spoof_suspected', person: { id: 'p-1001' } });
    expect(decision?.event?.data).toMatchObject({ liveness: { failed: ['motion'] } });
  }, 120_000);

  it('deny: different images of the person (a face that moves in 3-D) are let in', async () => {
    const decision = await frames('lab', 'pad-live', [await readFile(photo('penny', 4)), await readFile(photo('penny', 5))]);
    expect(decision).toMatchObject({ outcome: 'grant', person: { id: 'p-1003' } });
    expect(decision?.event?.data?.liveness).toBeUndefined();
  }, 120_000);

  it('flag: the replayed photo is let in, and the event carries the flag for review', async () => {
    const still = await readFile(photo('howard', 4));
    const decision = await frames('hall', 'pad-flag', [still, still]);
    expect(decision).toMatchObject({ outcome: 'grant', person: { id: 'p-1002' } });
    expect(decision?.flags).toContain('spoof_suspected');
    expect(decision?.event?.data).toMatchObject({ flags: expect.arrayContaining(['spoof_suspected']) as unknown, liveness: { failed: ['motion'] } });
  }, 120_000);
});
