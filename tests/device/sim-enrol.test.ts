// Enrolment from the simulator page in the real kiosk (startKiosk on a temp config, real SQLite
// store, the kiosk's own face engine): POST /sim/enrol with a faces-bbt crop stores a template for
// a person with biometric consent, and a held-out crop of that person presented through /sim/face
// is then granted. A person without consent, an image with no face and a corrupt image are refused
// with a clear reason, the kiosk keeps deciding, and no image ever reaches the state dir.
// The page's synthetic palm reader enrols (consent first) and presents through the same hot path.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminRequest } from '../../device/admin/index.js';
import { startKiosk, type RunningKiosk } from '../../device/main.js';
import { allEvents, daemonDir, repoRoot, type DaemonDir } from './daemon.js';
import { IMAGE_SIGNATURES, filesUnder, scanFiles } from '../helpers/file-scan.js';

const dataDir = process.env.ESIK_DATA_DIR ?? resolve(repoRoot, '../shared/data');
const photo = (who: string, n: number): string => join(dataDir, 'faces-bbt', 'examples', who, `${who}${n}.png`);

let dir: DaemonDir;
let kiosk: RunningKiosk;
let baseUrl: string;

interface FaceStatus { state?: unknown; loaded?: number }
async function faceStatus(): Promise<FaceStatus> {
  const status = (await adminRequest(dir.socketPath, 'GET', '/v1/status')) as { biometric?: { face?: FaceStatus } };
  return status.biometric?.face ?? {};
}

async function post(path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const enrol = async (personId: string, image: Buffer): Promise<{ status: number; body: Record<string, unknown> }> => post('/sim/enrol', { personId, image: image.toString('base64') });


beforeAll(async () => {
  dir = await daemonDir({
    readers: [{ id: 'main-in', driver: 'sim', door: 'main', direction: 'in' }],
    biometric: { face: { threshold: 0.92, minMargin: 0.02, consecutiveFrames: 1, windowMs: 2000 }, backend: 'wasm' },
  });
  kiosk = await startKiosk(dir.configFile, { logger: pino({ level: 'silent' }), env: {} });
  const address = kiosk.services.http.server.address();
  if (address === null || typeof address === 'string') throw new Error('no http address');
  baseUrl = `http://127.0.0.1:${address.port}`;
  // Amy (p-1001) consents; Howard (p-1002) keeps the fixture's "no consent".
  const changes = [{ op: 'upsert' as const, type: 'person' as const, data: { ...kiosk.services.roster.person('p-1001')!, biometricConsent: true } }];
  const applied = await kiosk.services.store.roster.applyLocal(changes);
  kiosk.services.roster.applyChanges(changes, applied.purgedPersonIds);
  expect(kiosk.services.roster.person('p-1002')?.biometricConsent).toBe(false);
  // Generous functional deadline for the kiosk's face models to load (not a speed claim).
  const until = Date.now() + 120_000;
  while ((await faceStatus()).state !== 'ready') {
    if (Date.now() > until) throw new Error(`face engine not ready: ${String((await faceStatus()).state)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}, 240_000);

afterAll(async () => {
  await kiosk?.stop('test');
  await dir?.cleanup();
});

describe('enrolling a face from the simulator page', () => {
  it('stores templates for a consenting person, audits it, and a held-out crop is then granted', async () => {
    const before = (await faceStatus()).loaded ?? 0;
    for (const n of [1, 2]) {
      const result = await enrol('p-1001', await readFile(photo('amy', n)));
      expect(result.status).toBe(200);
      expect(result.body).toMatchObject({ personId: 'p-1001', enrolled: 1 });
    }
    expect((await faceStatus()).loaded).toBe(before + 2);
    const page = (await adminRequest(dir.socketPath, 'GET', '/v1/events?after=0&limit=1000')) as { events: Array<{ type: string; reason: string | null; personId: string | null }> };
    expect(page.events.filter((e) => e.type === 'template.enrolled' && e.reason === 'simulator' && e.personId === 'p-1001')).toHaveLength(2);
    expect(page.events.some((e) => e.type === 'audit' && e.reason === 'template.enrol')).toBe(true);
    const granted = await post('/sim/face', { image: (await readFile(photo('amy', 4))).toString('base64'), door: 'main', direction: 'in' });
    expect(granted.status).toBe(200);
    expect(granted.body).toMatchObject({ result: 'granted', personId: 'p-1001' });
  }, 120_000);

  it('refuses a person without biometric consent before looking at the image', async () => {
    const before = (await faceStatus()).loaded;
    const result = await enrol('p-1002', await readFile(photo('howard', 1)));
    expect(result.status).toBe(403);
    expect(result.body).toMatchObject({ reason: 'no_consent' });
    expect(String(result.body.message)).toContain('consent');
    expect((await faceStatus()).loaded).toBe(before);
  }, 60_000);

  it('rejects an image without a face as no_face', async () => {
    const grey = await sharp({ create: { width: 320, height: 240, channels: 3, background: { r: 128, g: 128, b: 128 } } }).png().toBuffer();
    const result = await enrol('p-1001', grey);
    expect(result.status).toBe(422);
    expect(result.body).toMatchObject({ reason: 'no_face' });
  }, 60_000);

  it('rejects a corrupt image with a clear error, and the kiosk keeps deciding', async () => {
    const png = await readFile(photo('amy', 3));
    const corrupt = Buffer.concat([png.subarray(0, 64), Buffer.alloc(4096, 0x5a)]);
    const result = await enrol('p-1001', corrupt);
    expect(result.status).toBe(422);
    expect(typeof result.body.reason).toBe('string');
    expect(String(result.body.message)).toMatch(/^image rejected: /u);
    const card = (await adminRequest(dir.socketPath, 'POST', '/v1/simulate', { actor: 'test', value: '04A2B91D' })) as Record<string, unknown>;
    expect(card).toMatchObject({ decided: true, outcome: 'grant', personId: 'p-1002' });
    const bad = await post('/sim/enrol', { personId: 'p-1001', image: 'not base64!!' });
    expect(bad.status).toBe(400);
    const unknown = await enrol('nobody', png);
    expect(unknown.status).toBe(404);
  }, 60_000);

  it('wrote no image to the state dir', async () => {
    const state = join(dir.dir, 'state');
    expect((await filesUnder(state)).length).toBeGreaterThan(0);
    expect(await scanFiles([state], IMAGE_SIGNATURES)).toEqual([]);
  });
});

describe('the simulator page palm reader (synthetic vectors)', () => {
  it('enrols a consenting person\'s synthetic palm, which then opens the door; a stranger\'s hand does not', async () => {
    const refused = await post('/sim/palm/enrol', { personId: 'p-1002' });
    expect(refused.status).toBe(403);
    expect(String(refused.body.message)).toMatch(/consent/);

    const enrolled = await post('/sim/palm/enrol', { personId: 'p-1001' });
    expect(enrolled).toMatchObject({ status: 200, body: { personId: 'p-1001', enrolled: 1, synthetic: true } });
    const palms = kiosk.services.roster.roster.templates.filter((t) => t.modality === 'palm');
    expect(palms.map((t) => [t.personId, t.algo, t.vector.length])).toEqual([['p-1001', 'sim-palm-v1', 128]]);

    const granted = await post('/sim/palm', { hand: 'p-1001', door: 'main', direction: 'in' });
    expect(granted).toMatchObject({ status: 200, body: { outcome: 'grant', kind: 'palm', door: 'main' } });
    const stranger = await post('/sim/palm', { hand: 'stranger', door: 'main', direction: 'in' });
    expect(stranger).toMatchObject({ status: 200, body: { outcome: 'deny', reason: 'unknown', name: null } });
    // p-1002 has no palm enrolled (and no consent): their hand is a stranger's too.
    expect((await post('/sim/palm', { hand: 'p-1002', door: 'main', direction: 'in' })).body).toMatchObject({ outcome: 'deny', name: null });
    expect((await post('/sim/palm', { hand: 'p-1001', door: 'nowhere' })).status).toBe(400);
    const events = await allEvents(dir.socketPath);
    expect(events.filter((e) => e.type === 'audit' && e.reason === 'simulate.palm')).toHaveLength(3);
  });
});
