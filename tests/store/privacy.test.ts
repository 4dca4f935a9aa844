import { readFile } from 'node:fs/promises';
import sqlite3 from 'sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CredentialConsumedError, type RosterChange, StoreFullError, StoreKeyError } from '../../sync/store/index.js';
import { type TempStore, grant, person, randomCipher, tempStore, vector } from './helpers.js';

let t: TempStore;
beforeEach(async () => { t = await tempStore(); });
afterEach(async () => { await t.cleanup(); });

const NAMES = { 'p-1': 'Айгерім Сейтқали', 'p-2': 'Nurlan Abenov' } as const;

function roster(): RosterChange[] {
  return [
    { op: 'upsert', type: 'person', data: person('p-1', { name: NAMES['p-1'], shortName: 'Айгерім С.' }) },
    { op: 'upsert', type: 'person', data: person('p-2', { name: NAMES['p-2'], shortName: 'Nurlan A.' }) },
    { op: 'upsert', type: 'template', data: { id: 't-1', personId: 'p-1', modality: 'face', algo: 'a', vector: vector(1) } },
    { op: 'upsert', type: 'template', data: { id: 't-2', personId: 'p-2', modality: 'palm', algo: 'a', vector: vector(2) } },
  ];
}

async function rawFiles(path: string): Promise<Buffer> {
  const parts = await Promise.all([path, `${path}-wal`, `${path}-shm`].map((f) => readFile(f).catch(() => Buffer.alloc(0))));
  return Buffer.concat(parts);
}

function vectorBytes(seed: number): Buffer {
  const v = vector(seed);
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

async function sealedBlobs(path: string, sql: string): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(path, sqlite3.OPEN_READONLY, (err) => {
      if (err) return reject(err);
      db.all(sql, (e: Error | null, rows: Array<Record<string, Buffer>>) => {
        db.close(() => (e ? reject(e) : resolve(rows.flatMap((r) => Object.values(r)))));
      });
    });
  });
}

/** A distinctive window of a sealed value (past the header): present iff the ciphertext is. */
const windowOf = (sealed: Buffer): Buffer => sealed.subarray(29, 29 + 24);

describe('encryption at rest', () => {
  it('leaves no name and no template bytes in clear in the database, WAL or shm', async () => {
    const store = await t.open();
    await store.roster.applyPage(roster(), 'c:1');
    for (const raw of [await rawFiles(t.path)]) {
      for (const name of Object.values(NAMES)) expect(raw.includes(Buffer.from(name, 'utf8'))).toBe(false);
      expect(raw.includes(vectorBytes(1).subarray(0, 32))).toBe(false);
      expect(raw.includes(vectorBytes(2).subarray(64, 96))).toBe(false);
      expect(raw.includes(Buffer.from('5B'))).toBe(true); // sanity: plain columns are visible to this scan
    }
    await store.close();
    const closed = await rawFiles(t.path);
    for (const name of Object.values(NAMES)) expect(closed.includes(Buffer.from(name, 'utf8'))).toBe(false);
    expect(closed.includes(vectorBytes(1).subarray(0, 32))).toBe(false);
  });

  it('refuses a wrong key clearly, and rekey re-seals everything under the new key', async () => {
    const store = await t.open();
    await store.roster.applyPage(roster(), 'c:1');
    await store.close();
    await expect(t.open({ cipher: randomCipher('k-other') })).rejects.toBeInstanceOf(StoreKeyError);
    await expect(t.open({ cipher: randomCipher('k-other') })).rejects.toThrow(/sealed with template key/);

    const again = await t.open();
    const next = randomCipher('k-next');
    expect(await again.rekey(next)).toBe(4); // 2 people + 2 templates
    expect((await again.roster.load()).people.get('p-1')?.name).toBe(NAMES['p-1']);
    await again.close();
    await expect(t.open()).rejects.toBeInstanceOf(StoreKeyError);
    const rekeyed = await t.open({ cipher: next });
    const snap = await rekeyed.roster.load();
    expect(snap.people.get('p-1')?.name).toBe(NAMES['p-1']);
    expect(Array.from(snap.templates.find((x) => x.id === 't-2')!.vector)).toEqual(Array.from(vector(2)));
    await rekeyed.close();
  });
});

describe('purge', () => {
  it('removes a purged person’s sealed name and template from the database file and the WAL', async () => {
    const store = await t.open();
    await store.roster.applyPage(roster(), 'c:1');
    await store.close();
    const gone = await sealedBlobs(t.path, `SELECT name_sealed, short_name_sealed FROM people WHERE id = 'p-1' UNION ALL SELECT vector_sealed, NULL FROM templates WHERE id = 't-1'`);
    const kept = await sealedBlobs(t.path, `SELECT name_sealed FROM people WHERE id = 'p-2' UNION ALL SELECT vector_sealed FROM templates WHERE id = 't-2'`);
    const goneWindows = gone.filter((b): b is Buffer => Buffer.isBuffer(b)).map(windowOf);
    expect(goneWindows).toHaveLength(3);

    const reopened = await t.open();
    const before = await rawFiles(t.path);
    for (const w of goneWindows) expect(before.includes(w)).toBe(true);
    await reopened.purgePerson('p-1');
    const after = await rawFiles(t.path);
    for (const w of goneWindows) expect(after.includes(w)).toBe(false);
    for (const w of kept.map(windowOf)) expect(after.includes(w)).toBe(true);
    expect((await reopened.roster.load()).people.has('p-1')).toBe(false);
    await reopened.close();
  });

  it('a deletion from upstream clears the WAL too', async () => {
    const store = await t.open();
    await store.roster.applyPage(roster(), 'c:1');
    await store.checkpoint();
    const [sealedTemplate] = await sealedBlobs(t.path, `SELECT vector_sealed FROM templates WHERE id = 't-1'`);
    await store.roster.applyPage([{ op: 'delete', type: 'person', id: 'p-1' }], 'c:2');
    expect((await rawFiles(t.path)).includes(windowOf(sealedTemplate))).toBe(false);
    await store.close();
  });
});

describe('one-time credentials and passages', () => {
  it('consumes a one-time credential atomically with its grant, and not when the grant fails', async () => {
    const store = await t.open();
    await store.events.append(grant('v-1'), { consumeCredentialId: 'qr-1' });
    await expect(store.events.append(grant('v-1'), { consumeCredentialId: 'qr-1' })).rejects.toBeInstanceOf(CredentialConsumedError);
    expect(await store.usedSingleUseCredentials()).toEqual(new Set(['qr-1']));

    await store.setMaxPageCount(1);
    await expect(store.events.append({ ...grant('v-2'), data: { pad: 'x'.repeat(20_000) } }, { consumeCredentialId: 'qr-2' }))
      .rejects.toBeInstanceOf(StoreFullError);
    expect((await store.usedSingleUseCredentials()).has('qr-2')).toBe(false);
    await store.setMaxPageCount(1_000_000);
    const ok = await store.events.append(grant('v-2'), { consumeCredentialId: 'qr-2' });
    expect(ok.seq).toBe(2);
    await store.close();

    const reopened = await t.open();
    expect(await reopened.usedSingleUseCredentials()).toEqual(new Set(['qr-1', 'qr-2']));
    await expect(reopened.events.append(grant('v-2'), { consumeCredentialId: 'qr-2' })).rejects.toBeInstanceOf(CredentialConsumedError);
    await reopened.close();
  });

  it('derives each person’s last granted passage from the log after a restart', async () => {
    const store = await t.open();
    t.clock.wall = 1_000;
    await store.events.append(grant('p-1', 'main', 'in'));
    t.clock.wall = 2_000;
    await store.events.append(grant('p-1', 'main', 'out'));
    await store.events.append({ ...grant('p-2', 'side', 'in'), type: 'access.denied', reason: 'anti_passback' });
    t.clock.wall = 3_000;
    await store.events.append(grant('p-3', 'side', 'in'));
    await store.close();
    const reopened = await t.open();
    const passages = await reopened.lastPassages();
    expect(passages).toEqual(new Map([
      ['p-1', { direction: 'out', door: 'main', wallMs: 2_000 }],
      ['p-3', { direction: 'in', door: 'side', wallMs: 3_000 }],
    ]));
    await reopened.close();
  });
});
