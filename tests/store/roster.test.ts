import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConsentError, type RosterChange } from '../../sync/store/index.js';
import { type TempStore, person, tempStore, vector } from './helpers.js';

let t: TempStore;
beforeEach(async () => { t = await tempStore(); });
afterEach(async () => { await t.cleanup(); });

const card = (id: string, personId: string, value: string, singleUse = false): RosterChange => ({
  op: 'upsert', type: 'credential', data: { id, personId, kind: 'card', value, validFrom: null, validTo: null, singleUse },
});
const tpl = (id: string, personId: string, seed: number): RosterChange => ({
  op: 'upsert', type: 'template', data: { id, personId, modality: 'face', algo: 'faceapi-resnet128-v1', vector: vector(seed) },
});
const upsertPerson = (id: string, overrides = {}): RosterChange => ({ op: 'upsert', type: 'person', data: person(id, overrides) });

describe('roster', () => {
  it('applies a page with every kind of record and loads it back', async () => {
    const store = await t.open();
    const result = await store.roster.applyPage([
      upsertPerson('p-1'), upsertPerson('p-2', { group: null, shortName: null }),
      card('c-1', 'p-1', '04A2B91C'), tpl('t-1', 'p-1', 1),
      { op: 'upsert', type: 'schedule', data: { id: 's-1', groups: ['*'], roles: ['student'], weekly: [{ days: [1, 2], from: '07:00', to: '19:00' }], doors: [] } },
      { op: 'upsert', type: 'holiday', data: { date: '2026-12-16', name: 'Independence Day' } },
      { op: 'upsert', type: 'setting', data: { key: 'antiPassback', value: { mode: 'soft' } } },
    ], 'c:1');
    expect(result).toEqual({ applied: 7, purgedPersonIds: [] });
    expect(await store.roster.cursor()).toBe('c:1');
    const snap = await store.roster.load();
    expect(snap.people.get('p-1')).toEqual(person('p-1'));
    expect(snap.people.get('p-2')).toEqual(person('p-2', { group: null, shortName: null }));
    expect(snap.credentials.get('card:04A2B91C')?.personId).toBe('p-1');
    expect(snap.templates).toHaveLength(1);
    expect(Array.from(snap.templates[0].vector)).toEqual(Array.from(vector(1)));
    expect(snap.schedules[0]?.weekly[0]?.from).toBe('07:00');
    expect(snap.holidays.has('2026-12-16')).toBe(true);
    expect(snap.settings.get('antiPassback')).toEqual({ mode: 'soft' });
    await store.close();
  });

  it('applies nothing and keeps the cursor when a change mid-page violates a constraint', async () => {
    const store = await t.open();
    await store.roster.applyPage([upsertPerson('p-1'), card('c-1', 'p-1', 'AA')], 'c:1');
    const bad: RosterChange[] = [
      upsertPerson('p-2'),
      card('c-2', 'p-2', 'BB'),
      card('c-3', 'p-missing', 'CC'), // foreign key: no such person
      upsertPerson('p-3'),
    ];
    await expect(store.roster.applyPage(bad, 'c:2')).rejects.toThrow(/FOREIGN KEY/);
    const duplicate: RosterChange[] = [upsertPerson('p-4'), card('c-4', 'p-4', 'AA')]; // card value taken by c-1
    await expect(store.roster.applyPage(duplicate, 'c:2')).rejects.toThrow(/UNIQUE/);
    expect(await store.roster.cursor()).toBe('c:1');
    const snap = await store.roster.load();
    expect([...snap.people.keys()]).toEqual(['p-1']);
    expect([...snap.credentials.keys()]).toEqual(['card:AA']);
    await store.close();
  });

  it('deleting a person deletes credentials and templates and reports the purge', async () => {
    const store = await t.open();
    await store.roster.applyPage([upsertPerson('p-1'), upsertPerson('p-2'), card('c-1', 'p-1', 'AA'), tpl('t-1', 'p-1', 1), tpl('t-2', 'p-2', 2)], 'c:1');
    const result = await store.roster.applyPage([{ op: 'delete', type: 'person', id: 'p-1' }], 'c:2');
    expect(result.purgedPersonIds).toEqual(['p-1']);
    const snap = await store.roster.load();
    expect([...snap.people.keys()]).toEqual(['p-2']);
    expect(snap.credentials.size).toBe(0);
    expect(snap.templates.map((x) => x.id)).toEqual(['t-2']);
    await store.close();
  });

  it('blocking a person or withdrawing consent removes templates; templates without consent are not stored', async () => {
    const store = await t.open();
    await store.roster.applyPage([upsertPerson('p-1'), upsertPerson('p-2'), upsertPerson('p-3', { biometricConsent: false }),
      tpl('t-1', 'p-1', 1), tpl('t-2', 'p-2', 2), tpl('t-3', 'p-3', 3)], 'c:1');
    expect((await store.roster.load()).templates.map((x) => x.id)).toEqual(['t-1', 't-2']);
    const result = await store.roster.applyPage([upsertPerson('p-1', { status: 'blocked' }), upsertPerson('p-2', { biometricConsent: false })], 'c:2');
    expect(result.purgedPersonIds.sort()).toEqual(['p-1', 'p-2']);
    const snap = await store.roster.load();
    expect(snap.templates).toEqual([]);
    expect(snap.people.get('p-1')?.status).toBe('blocked');
    await store.close();
  });

  it('keeps page order: an upsert then a delete of the same id in one page leaves it deleted', async () => {
    const store = await t.open();
    await store.roster.applyPage([upsertPerson('p-1'), card('c-1', 'p-1', 'AA'), { op: 'delete', type: 'credential', id: 'c-1' }, card('c-2', 'p-1', 'AA')], 'c:1');
    expect([...(await store.roster.load()).credentials.values()].map((c) => c.id)).toEqual(['c-2']);
    await store.close();
  });

  it('interleaved people and templates (the hub order) are batched by type with the page-order result', async () => {
    const store = await t.open();
    await store.roster.applyPage([upsertPerson('p-2'), tpl('t-2', 'p-2', 2), upsertPerson('p-6', { status: 'blocked' })], 'c:1');
    const result = await store.roster.applyPage([
      upsertPerson('p-1'), tpl('t-1', 'p-1', 1), upsertPerson('p-3'), tpl('t-3', 'p-3', 3),
      // blocked, then a template (skipped), then unblocked: batching the template after both would store it
      upsertPerson('p-4', { status: 'blocked' }), tpl('t-4', 'p-4', 4), upsertPerson('p-4'),
      // a template, then consent withdrawn: it must end up deleted and p-5 reported purged
      upsertPerson('p-5'), tpl('t-5', 'p-5', 5), upsertPerson('p-5', { biometricConsent: false }),
      { op: 'delete', type: 'template', id: 't-2' }, tpl('t-2b', 'p-2', 6),
      // a template while p-6 is still blocked (skipped), then p-6 unblocked: p-6 must not move ahead
      tpl('t-6', 'p-6', 7), upsertPerson('p-6'),
    ], 'c:2');
    expect(result.applied).toBe(12); // t-4 and t-6 are skipped, not applied
    expect(result.purgedPersonIds.sort()).toEqual(['p-4', 'p-5']);
    const snap = await store.roster.load();
    expect(snap.templates.map((x) => x.id).sort()).toEqual(['t-1', 't-2b', 't-3']);
    expect(snap.people.get('p-4')?.status).toBe('active');
    expect(snap.people.get('p-6')?.status).toBe('active');
    expect(snap.people.get('p-5')?.biometricConsent).toBe(false);
    await store.close();
  });

  it('replace/complete: a full re-pull replaces the roster only when complete', async () => {
    const store = await t.open();
    await store.roster.applyPage([upsertPerson('p-old'), upsertPerson('p-kept'), card('c-old', 'p-old', 'AA'), tpl('t-old', 'p-old', 1),
      { op: 'upsert', type: 'holiday', data: { date: '2026-01-01', name: 'old' } }], 'c:9');
    const first = await store.roster.applyPage([upsertPerson('p-kept', { name: 'Renamed' }), upsertPerson('p-new')], 'r:1', { replace: true });
    expect(first.purgedPersonIds).toEqual([]);
    expect(await store.roster.replaceInProgress()).toBe(true);
    let snap = await store.roster.load();
    expect([...snap.people.keys()].sort()).toEqual(['p-kept', 'p-new', 'p-old']); // old roster still in use
    expect(snap.credentials.has('card:AA')).toBe(true);
    const last = await store.roster.applyPage([card('c-new', 'p-new', 'BB')], 'r:2', { replace: true, complete: true });
    expect(last.purgedPersonIds).toEqual(['p-old']);
    expect(await store.roster.replaceInProgress()).toBe(false);
    expect(await store.roster.cursor()).toBe('r:2');
    snap = await store.roster.load();
    expect([...snap.people.keys()].sort()).toEqual(['p-kept', 'p-new']);
    expect(snap.people.get('p-kept')?.name).toBe('Renamed');
    expect([...snap.credentials.keys()]).toEqual(['card:BB']);
    expect(snap.templates).toEqual([]);
    expect(snap.holidays.size).toBe(0);
    await store.close();
  });

  it('applyLocal goes through the same path without moving the cursor', async () => {
    const store = await t.open();
    await store.roster.applyPage([upsertPerson('p-1')], 'c:1');
    await store.roster.applyLocal([tpl('t-local', 'p-1', 7)]);
    expect(await store.roster.cursor()).toBe('c:1');
    expect((await store.roster.load()).templates.map((x) => x.id)).toEqual(['t-local']);
    const erased = await store.roster.applyLocal([{ op: 'delete', type: 'person', id: 'p-1' }]);
    expect(erased.purgedPersonIds).toEqual(['p-1']);
    await store.close();
  });

  it('refuses a local enrolment for a person without biometric consent, storing nothing', async () => {
    const store = await t.open();
    await store.roster.applyPage([upsertPerson('p-1', { biometricConsent: false })], 'c:1');
    await expect(store.roster.applyLocal([tpl('t-1', 'p-1', 1)])).rejects.toBeInstanceOf(ConsentError);
    expect((await store.roster.load()).templates).toEqual([]);
    await store.close();
  });
});
