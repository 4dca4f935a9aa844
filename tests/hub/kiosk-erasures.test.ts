// A person erased at a kiosk reaches the hub: the kiosk's `person.erased` event, pushed like any
// other, makes the hub withdraw the person's biometric consent and erase its template copies, with
// tombstones every other kiosk pulls. On both storages; a second consumer ("another hub process")
// and a replay change nothing twice; the person's card stays.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KioskErasureFolder, type HubStorage } from '../../hub/index.js';
import { silentLogger } from '../sync/helpers.js';
import { backends, credential, event, items, NOW, person, template, type StorageBackend } from './backends.js';

describe.each(backends)('kiosk erasures reach the hub: %s', (_name, makeBackend) => {
  const backend: StorageBackend = makeBackend();
  const opened: HubStorage[] = [];
  beforeAll(() => backend.start());
  afterEach(async () => {
    for (const storage of opened.splice(0)) await storage.close();
  });
  afterAll(() => backend.stop());

  it('drops the templates of a person erased at a kiosk, once, and keeps everyone else', async () => {
    const storage = await backend.open();
    const other = await backend.open(storage);
    opened.push(storage, other);
    const before = await storage.applyRoster([
      person('p-1'), credential('c-1', 'p-1'), template('t-1', 'p-1'), template('t-2', 'p-1'),
      person('p-2'), template('t-3', 'p-2'),
    ]);
    await storage.ingest('kiosk-1', items(event(1), event(2, { type: 'person.erased', personId: 'p-1', credential: null, door: null, direction: null }), event(3, { personId: 'p-2' })), null, null, NOW);

    const folder = new KioskErasureFolder(storage, silentLogger, { pageSize: 2, intervalMs: 1000 });
    expect(await folder.catchUp()).toEqual(['p-1']);
    expect(await new KioskErasureFolder(other, silentLogger).catchUp()).toEqual([]);
    expect(await folder.catchUp()).toEqual([]);

    expect(await storage.rosterEntity('template', 't-1')).toMatchObject({ op: 'delete' });
    expect(await storage.rosterEntity('template', 't-2')).toMatchObject({ op: 'delete' });
    expect(await storage.rosterEntity('template', 't-3')).toMatchObject({ op: 'upsert' });
    expect(await storage.rosterEntity('credential', 'c-1')).toMatchObject({ op: 'upsert' });
    expect(await storage.rosterEntity('person', 'p-1')).toMatchObject({ op: 'upsert', data: { biometricConsent: false } });
    // What a kiosk pulls after its last cursor: the person without consent and both tombstones.
    const page = await storage.rosterPage(before, 100, false);
    expect(page?.changes.map((c) => (c.op === 'delete' ? `delete ${c.type} ${c.id}` : `upsert ${c.type}`)).sort()).toEqual(['delete template t-1', 'delete template t-2', 'upsert person']);
    expect(await storage.consumerCursor('kiosk-erasures')).toBeGreaterThan(0);
  });

  it('moves a consumer cursor only from the value it read', async () => {
    const storage = await backend.open();
    const other = await backend.open(storage);
    opened.push(storage, other);
    expect(await storage.consumerCursor('c')).toBe(0);
    const race = await Promise.all([storage.advanceConsumerCursor('c', 0, 5), other.advanceConsumerCursor('c', 0, 7)]);
    expect(race.filter(Boolean)).toHaveLength(1);
    const at = await other.consumerCursor('c');
    expect([5, 7]).toContain(at);
    expect(await storage.advanceConsumerCursor('c', 0, 9)).toBe(false);
    expect(await storage.advanceConsumerCursor('c', at, 9)).toBe(true);
    expect(await other.consumerCursor('c')).toBe(9);
  });
});
