// Biometric consent end to end in the real kiosk (startKiosk, real SQLite store, simulated palm
// reader): no consent → enrolment refused; a template for a person without consent is never
// matched; withdrawing consent by a roster upsert (as a roster pull applies it) removes the
// person's templates from the store on disk and from the in-memory gallery at once.
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticPalmPresentation, syntheticPalmTemplate, syntheticRandom } from '../../biometric/index.js';
import { adminRequest, AdminRequestError } from '../../device/admin/index.js';
import { encodeVector } from '../../device/admin/enrol.js';
import type { SimulatedPalmReader } from '../../device/hw/index.js';
import type { KioskDecision } from '../../device/kiosk/index.js';
import { startKiosk, type RunningKiosk } from '../../device/main.js';
import type { RosterChange } from '../../sync/store/types.js';
import { daemonDir, type DaemonDir } from '../device/daemon.js';

let dir: DaemonDir;
let kiosk: RunningKiosk;

beforeAll(async () => {
  dir = await daemonDir({
    readers: [{ id: 'palm-in', driver: 'sim', door: 'main', direction: 'in', kind: 'palm' }],
    biometric: { palm: { threshold: 0.8, minMargin: 0.05, consecutiveFrames: 1, windowMs: 2000 }, backend: 'wasm' },
  });
  kiosk = await startKiosk(dir.configFile, { logger: pino({ level: 'silent' }), env: {} });
}, 120_000);
afterAll(async () => {
  await kiosk?.stop('test');
  await dir?.cleanup();
});

async function applyRoster(changes: RosterChange[]): Promise<void> {
  const applied = await kiosk.services.store.roster.applyLocal(changes);
  kiosk.services.roster.applyChanges(changes, applied.purgedPersonIds);
}

async function storedTemplatesOf(personId: string): Promise<number> {
  return (await kiosk.services.store.roster.load()).templates.filter((t) => t.personId === personId).length;
}

async function presentPalm(vector: Float32Array, seed: string): Promise<KioskDecision> {
  const decision = new Promise<KioskDecision>((resolve) => kiosk.services.kiosk.once('decision', resolve));
  (kiosk.services.readers.get('palm-in') as SimulatedPalmReader).present(syntheticPalmPresentation(vector, 0.25, syntheticRandom(seed)), 0.9);
  return decision;
}

const person = (id: string) => kiosk.services.roster.person(id)!;

describe('biometric consent', () => {
  it('enrolment without consent is refused and stores nothing', async () => {
    expect(person('p-1001').biometricConsent).toBe(false);
    const request = { actor: 'test', personId: 'p-1001', source: 'cli', templates: [{ id: 'palm-x', modality: 'palm', algo: 'sim-palm-v1', vector: encodeVector(syntheticPalmTemplate('p-1001', 128)) }] };
    const error = await adminRequest(dir.socketPath, 'POST', '/v1/enroll', request).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AdminRequestError);
    expect(String((error as Error).message)).toMatch(/consent/);
    expect(await storedTemplatesOf('p-1001')).toBe(0);
  });

  it('a template of a person without consent is refused by the store and never matched', async () => {
    const template = syntheticPalmTemplate('p-1002', 128);
    const refused = await applyRoster([{ op: 'upsert', type: 'template', data: { id: 'palm-1002', personId: 'p-1002', modality: 'palm', algo: 'sim-palm-v1', vector: template } }]).catch((e: unknown) => e);
    expect((refused as Error).name).toBe('ConsentError');
    expect(await storedTemplatesOf('p-1002')).toBe(0);
    const decision = await presentPalm(template, 'no-consent');
    expect(decision.person).toBeNull();
    expect(decision.outcome).not.toBe('grant');
  });

  it('withdrawing consent by a roster upsert removes the templates from disk and memory', async () => {
    const template = syntheticPalmTemplate('p-1005', 128);
    await applyRoster([
      { op: 'upsert', type: 'person', data: { ...person('p-1005'), biometricConsent: true } },
      { op: 'upsert', type: 'template', data: { id: 'palm-1005', personId: 'p-1005', modality: 'palm', algo: 'sim-palm-v1', vector: template } },
    ]);
    expect(await storedTemplatesOf('p-1005')).toBe(1);
    expect(await presentPalm(template, 'consented')).toMatchObject({ outcome: 'grant', person: { id: 'p-1005' } });

    await applyRoster([{ op: 'upsert', type: 'person', data: { ...person('p-1005'), biometricConsent: false } }]);
    expect(await storedTemplatesOf('p-1005')).toBe(0);
    const status = (await adminRequest(dir.socketPath, 'GET', '/v1/status')) as { biometric: { palm: { loaded: number } } };
    expect(status.biometric.palm.loaded).toBe(0);
    const after = await presentPalm(template, 'withdrawn');
    expect(after.person).toBeNull();
  });
});

describe('display consent on the board', () => {
  it('the board shows each arrival only as far as that person allowed: none, initials, short, full', async () => {
    // The board's own feed over this kiosk's store and roster, as attachBoard builds it.
    const { StoreBoardFeed } = await import('../../device/board-feed.js');
    const feed = new StoreBoardFeed({ events: kiosk.services.store.events, roster: kiosk.services.roster, clock: kiosk.services.clock, logger: pino({ level: 'silent' }), bellTime: '08:30' });
    feed.attach(kiosk.services.kiosk);
    await feed.start();
    try {
      for (const card of ['04A2B921', '04A2B91E', '04A2B91C', '04A2B923']) {
        await adminRequest(dir.socketPath, 'POST', '/v1/simulate', { actor: 'test', kind: 'card', value: card });
      }
      const snapshot = await feed.snapshot();
      // Arrivals carry no person id (the board never learns who is who), only the masked name.
      const shown = snapshot.arrivals.map((a) => a.displayName);
      expect(shown).toEqual(expect.arrayContaining(['', 'Айгерім С.', 'Д. Қ.', 'Томирис Бекова']));
      const text = JSON.stringify(snapshot);
      for (const hidden of ['Дмитрий', 'Соколов', 'Дария', 'Қасымова', 'Сейтқали']) expect(text).not.toContain(hidden);
    } finally {
      feed.stop();
    }
  });
});
