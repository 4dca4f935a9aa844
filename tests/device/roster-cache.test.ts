import { describe, expect, it } from 'vitest';
import { RosterCache, credentialKey } from '../../device/roster-cache.js';
import type { RosterChange, TemplateRecord } from '../../sync/store/index.js';
import { person, tempStore } from '../store/helpers.js';

const template = (id: string, personId: string): TemplateRecord => ({ id, personId, modality: 'face', algo: 'test-v1', vector: new Float32Array([1, 0, 0]) });

describe('roster cache', () => {
  it('loads from the store and answers card lookups from memory, whatever the UID formatting', async () => {
    const t = await tempStore();
    const store = await t.open();
    await store.roster.applyLocal([
      { op: 'upsert', type: 'person', data: person('p-1') },
      { op: 'upsert', type: 'credential', data: { id: 'c-1', personId: 'p-1', kind: 'card', value: '04A2B91C', validFrom: null, validTo: null, singleUse: false } },
    ]);
    const cache = await RosterCache.load(store.roster);
    await store.close();
    await t.cleanup();
    // The store is closed: lookups never touch it.
    expect(cache.credential('card', '04:a2:b9:1c')?.personId).toBe('p-1');
    expect(cache.person('p-1')?.name).toBe('Name p-1');
    expect(credentialKey('qr', 'Abc')).toBe('qr:Abc');
  });

  it('mirrors pages incrementally and tells the matcher what to add and purge', () => {
    const cache = new RosterCache();
    const purged: string[][] = [];
    const deltas: Array<{ added: TemplateRecord[]; removed: string[] }> = [];
    cache.on('purged', (ids: string[]) => purged.push(ids));
    cache.on('templates', (d: { added: TemplateRecord[]; removed: string[] }) => deltas.push(d));
    const page: RosterChange[] = [
      { op: 'upsert', type: 'person', data: person('p-1') },
      { op: 'upsert', type: 'person', data: person('p-2') },
      { op: 'upsert', type: 'credential', data: { id: 'c-2', personId: 'p-2', kind: 'card', value: 'AA', validFrom: null, validTo: null, singleUse: false } },
      { op: 'upsert', type: 'template', data: template('t-1', 'p-1') },
      { op: 'upsert', type: 'template', data: template('t-2', 'p-2') },
      { op: 'upsert', type: 'holiday', data: { date: '2026-12-16', name: 'Тәуелсіздік күні' } },
    ];
    cache.applyChanges(page);
    expect(deltas.at(-1)?.added.map((t) => t.id)).toEqual(['t-1', 't-2']);
    expect(cache.roster.holidays.has('2026-12-16')).toBe(true);

    // Card re-issued: the old value no longer opens anything.
    cache.applyChanges([{ op: 'upsert', type: 'credential', data: { id: 'c-2', personId: 'p-2', kind: 'card', value: 'BB', validFrom: null, validTo: null, singleUse: false } }]);
    expect(cache.credential('card', 'AA')).toBeUndefined();
    expect(cache.credential('card', 'BB')?.id).toBe('c-2');

    // A block purges the person's templates but keeps the record (the deny reason is "blocked").
    cache.applyChanges([{ op: 'upsert', type: 'person', data: person('p-1', { status: 'blocked' }) }]);
    expect(purged.at(-1)).toEqual(['p-1']);
    expect(deltas.at(-1)?.removed).toEqual(['t-1']);
    expect(cache.person('p-1')?.status).toBe('blocked');

    // A deletion removes the person, credentials and templates.
    cache.applyChanges([{ op: 'delete', type: 'person', id: 'p-2' }]);
    expect(purged.at(-1)).toEqual(['p-2']);
    expect(deltas.at(-1)?.removed).toEqual(['t-2']);
    expect(cache.person('p-2')).toBeUndefined();
    expect(cache.credential('card', 'BB')).toBeUndefined();
    expect(cache.roster.templates).toHaveLength(0);
  });
});
