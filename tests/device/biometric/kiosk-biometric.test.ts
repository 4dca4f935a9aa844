// The biometric wiring inside the real kiosk (startKiosk on a temp config, real SQLite store):
// cards are decided while the face models load; a palm enrolled through the store and the roster
// cache opens the door at once, an unknown palm is denied with no identity, a deletion takes the
// palm out of the gallery within the same roster change, and `status` reports the galleries.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { syntheticPalmPresentation, syntheticPalmTemplate, syntheticRandom } from '../../../biometric/index.js';
import { adminRequest } from '../../../device/admin/index.js';
import { SimulatedCardReader, SimulatedPalmReader } from '../../../device/hw/index.js';
import type { KioskDecision } from '../../../device/kiosk/index.js';
import { startKiosk, type RunningKiosk } from '../../../device/main.js';
import type { RosterChange } from '../../../sync/store/types.js';
import { daemonDir, type DaemonDir } from '../daemon.js';

let dir: DaemonDir;
let kiosk: RunningKiosk;

beforeAll(async () => {
  dir = await daemonDir({
    readers: [
      { id: 'main-in', driver: 'sim', door: 'main', direction: 'in', kind: 'card' },
      { id: 'palm-in', driver: 'sim', door: 'main', direction: 'in', kind: 'palm' },
    ],
    biometric: {
      face: { threshold: 0.92, minMargin: 0.02, consecutiveFrames: 2, windowMs: 2000 },
      palm: { threshold: 0.8, minMargin: 0.05, consecutiveFrames: 1, windowMs: 2000 },
      backend: 'wasm',
    },
  });
  kiosk = await startKiosk(dir.configFile, { logger: pino({ level: 'silent' }), env: {} });
}, 120_000);

afterAll(async () => {
  await kiosk?.stop('test');
  await dir?.cleanup();
});

function nextDecision(): Promise<KioskDecision> {
  return new Promise((resolve) => kiosk.services.kiosk.once('decision', resolve));
}

async function biometricStatus(): Promise<Record<string, Record<string, unknown>>> {
  const status = (await adminRequest(dir.socketPath, 'GET', '/v1/status')) as Record<string, unknown>;
  return status.biometric as Record<string, Record<string, unknown>>;
}

async function applyRoster(changes: RosterChange[]): Promise<void> {
  const applied = await kiosk.services.store.roster.applyLocal(changes);
  kiosk.services.roster.applyChanges(changes, applied.purgedPersonIds);
}

describe('biometrics in the kiosk', () => {
  it('decides cards without waiting for the face models', async () => {
    const reader = kiosk.services.readers.get('main-in') as SimulatedCardReader;
    const decision = nextDecision();
    reader.present('0A11C0DE');
    expect((await decision).outcome).toBe('grant');
  });

  it('a consented, enrolled palm opens; an unknown palm is denied without identity; an erased palm no longer matches', async () => {
    const person = kiosk.services.roster.person('p-1001')!;
    const template = syntheticPalmTemplate('p-1001', 128);
    await applyRoster([
      { op: 'upsert', type: 'person', data: { ...person, biometricConsent: true } },
      { op: 'upsert', type: 'template', data: { id: 'palm-1001', personId: 'p-1001', modality: 'palm', algo: 'sim-palm-v1', vector: template } },
    ]);
    expect((await biometricStatus()).palm).toMatchObject({ algo: 'sim-palm-v1', loaded: 1, people: 1 });
    const reader = kiosk.services.readers.get('palm-in') as SimulatedPalmReader;
    const random = syntheticRandom('kiosk-test');

    let decision = nextDecision();
    reader.present(syntheticPalmPresentation(template, 0.25, random), 0.9);
    expect(await decision).toMatchObject({ outcome: 'grant', kind: 'palm', person: { id: 'p-1001' } });
    expect((await decision).event?.credential).toMatchObject({ kind: 'palm' });

    decision = nextDecision();
    reader.present(syntheticPalmPresentation(syntheticPalmTemplate('stranger', 128), 0.25, random), 0.9);
    const denied = await decision;
    expect(denied.outcome).toBe('deny');
    expect(denied.person).toBeNull();
    expect(denied.event?.personId).toBeNull();

    await applyRoster([{ op: 'delete', type: 'template', id: 'palm-1001' }]);
    expect((await biometricStatus()).palm).toMatchObject({ loaded: 0 });
    decision = nextDecision();
    reader.present(syntheticPalmPresentation(template, 0.25, random), 0.9);
    expect((await decision).person).toBeNull();
  });

  it('reports the face engine, its backend and the galleries in status once loaded', async () => {
    const until = Date.now() + 90_000;
    let status = await biometricStatus();
    while (status.face?.state === 'loading' && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 250));
      status = await biometricStatus();
    }
    expect(status).toMatchObject({ enabled: true, backend: 'wasm', face: { state: 'ready', loaded: 0 } });
  }, 120_000);
});

describe('biometrics absent or broken', () => {
  let plain: RunningKiosk;
  let plainDir: DaemonDir;

  beforeAll(async () => {
    plainDir = await daemonDir({
      readers: [
        { id: 'main-in', driver: 'sim', door: 'main', direction: 'in', kind: 'card' },
        { id: 'palm-in', driver: 'sim', door: 'main', direction: 'in', kind: 'palm' },
      ],
    });
    plain = await startKiosk(plainDir.configFile, { logger: pino({ level: 'silent' }), env: {} });
  }, 120_000);

  afterAll(async () => {
    await plain?.stop('test');
    await plainDir?.cleanup();
  });

  async function status(): Promise<Record<string, unknown>> {
    const all = (await adminRequest(plainDir.socketPath, 'GET', '/v1/status')) as Record<string, unknown>;
    return all.biometric as Record<string, unknown>;
  }

  it('without a biometric section: off in status, a palm is a bad capture, never a grant', async () => {
    expect(await status()).toEqual({ enabled: false });
    const decision = new Promise<KioskDecision>((resolve) => plain.services.kiosk.once('decision', resolve));
    (plain.services.readers.get('palm-in') as SimulatedPalmReader).present(syntheticPalmTemplate('p-1001', 128), 0.9);
    expect(await decision).toMatchObject({ outcome: 'deny', reason: 'bad_capture', person: null });
  });

  it('a face engine that fails to load leaves cards and palms working and says why in status', async () => {
    const { attachBiometrics } = await import('../../../device/wiring/biometric.js');
    const services = {
      ...plain.services,
      config: { ...plain.services.config, biometric: { face: { threshold: 0.92, minMargin: 0.02, consecutiveFrames: 2, windowMs: 2000 }, palm: { threshold: 0.8, minMargin: 0.05, consecutiveFrames: 1, windowMs: 2000, algo: 'acme-palm-v2', minQuality: 0.6 }, faceDetector: { inputSize: 320, ssd: false }, backend: 'wasm' as const } },
    };
    const handle = await attachBiometrics(services, { faceAlgo: 'test-face-v1', loadFaceEngine: () => Promise.reject(new Error('model file truncated')) });
    await handle!.faceEngineLoaded;
    expect(await status()).toMatchObject({ enabled: true, backend: null, face: { state: 'failed', failure: 'model file truncated' }, palm: { algo: 'acme-palm-v2' } });
    const card = new Promise<KioskDecision>((resolve) => plain.services.kiosk.once('decision', resolve));
    (plain.services.readers.get('main-in') as SimulatedCardReader).present('0A11C0DE');
    expect((await card).outcome).toBe('grant');
    const face = await plain.services.kiosk.submit({ kind: 'face', readerId: 'cam', monoMs: 0, image: Buffer.from('not a jpeg') }, 'main', 'in');
    expect(face).toMatchObject({ outcome: 'deny', reason: 'bad_capture' });
    expect(face?.event?.data).toMatchObject({ capture: 'face_engine_unavailable' });
  });
});
