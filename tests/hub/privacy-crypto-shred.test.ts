// Crypto-shredding on the hub (issue 16): names and templates are sealed with a per-person key held
// outside the database, so they are never written in clear (not to SQLite's WAL, not to
// PostgreSQL's pg_wal), and a destroy request erases them everywhere by destroying the key.
// Both storages: the scans cover every hub file (SQLite's database, -wal, -shm; PostgreSQL's whole
// data folder with pg_wal after a CHECKPOINT) and the key store.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgHubStorage, SqliteHubStorage } from '../../hub/index.js';
import { loadMasterKey, SqlitePersonKeyStore } from '../../hub/keys/index.js';
import { encodeTemplateVector, type WireRosterChange } from '../../protocol/index.js';
import { scanFiles, type Needle } from '../helpers/file-scan.js';
import { adminCall } from '../sync/helpers.js';
import { CHILD, PullingDevice, childNeedles, childRoster, newRequest, otherRoster, startPrivacyHub, type PrivacyHub } from './privacy-fixture.js';

/** The child's name and template bytes: what must never be in clear in a hub file. */
function sealedNeedles(): Needle[] {
  return childNeedles().filter((needle) => !needle.what.startsWith('card'));
}

async function hubFiles(hub: PrivacyHub): Promise<string[]> {
  if (hub.storage instanceof PgHubStorage) await hub.storage.database.query('CHECKPOINT');
  return [hub.dbDir, hub.pgDataDir, hub.keyDir].filter((dir): dir is string => dir !== null);
}

describe.each(['sqlite', 'postgres'] as const)('crypto-shredding, hub on %s', (kind) => {
  let hub: PrivacyHub;
  let device: PullingDevice;

  beforeAll(async () => {
    hub = await startPrivacyHub(kind);
    expect((await adminCall(hub, 'POST', '/v1/admin/roster/batch', { changes: [...childRoster(), ...otherRoster()] })).status).toBe(200);
    device = await PullingDevice.register(hub, 'kiosk-1');
  }, 60_000);
  afterAll(async () => hub.stop());

  it('answers names and templates in clear to a kiosk and a request to know, and writes them to no file in clear', async () => {
    await device.sync();
    const person = device.received.find((c): c is Extract<WireRosterChange, { type: 'person'; op: 'upsert' }> => c.op === 'upsert' && c.type === 'person' && c.data.id === CHILD.id);
    expect(person?.data.name).toBe(CHILD.name);
    expect(person?.data.shortName).toBe('Әлия Ж.');
    const template = device.received.find((c) => c.op === 'upsert' && c.type === 'template');
    expect(template?.op === 'upsert' && template.type === 'template' ? template.data.data : null).toBe(encodeTemplateVector(CHILD.vector));
    const know = await newRequest(hub, 'know', '2026-09-01');
    const answered = await adminCall(hub, 'POST', `/v1/admin/privacy/requests/${know.id}/execute`);
    expect(JSON.stringify(answered.json)).toContain(CHILD.name);
    // The scan can see: the card is stored in clear (a credential is not sealed) and is found.
    const files = await hubFiles(hub);
    const before = await scanFiles(files, childNeedles());
    if (kind === 'sqlite') expect(before.some((hit) => hit.endsWith('card value (UTF-8)'))).toBe(true);
    expect(before.filter((hit) => !/card value/.test(hit))).toEqual([]);
  }, 60_000);

  it('destroys the child: the key is gone, the rows read as erased, and no file holds the name or template', async () => {
    const request = await newRequest(hub, 'destroy', '2026-09-01');
    const executed = await adminCall(hub, 'POST', `/v1/admin/privacy/requests/${request.id}/execute`);
    expect(executed.status).toBe(200);
    expect(await hub.storage.rosterEntity('person', CHILD.id)).toEqual({ op: 'delete', type: 'person', id: CHILD.id });
    const other = await hub.storage.rosterEntity('person', 'p-other');
    expect(other?.op === 'upsert' && other.type === 'person' ? other.data.name : null).toBe('Other Pupil');
    await device.sync();
    expect(await scanFiles(await hubFiles(hub), sealedNeedles())).toEqual([]);
    if (hub.storage instanceof SqliteHubStorage) expect(await scanFiles(await hubFiles(hub), childNeedles())).toEqual([]);
  }, 60_000);
});

describe('person keys on a SQLite hub', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'esik-keys-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('seals rows an older hub stored in clear, at start and in place (same cursor)', async () => {
    const file = join(dir, 'old.db');
    const first = await SqliteHubStorage.open(file);
    const [person] = childRoster();
    await first.database.run("INSERT INTO roster (type, entity_id, person_id, op, data) VALUES ('person', ?, ?, 'upsert', ?)", [CHILD.id, CHILD.id, JSON.stringify(person?.op === 'upsert' ? person.data : null)]);
    await first.close();
    const again = await SqliteHubStorage.open(file);
    const row = await again.database.get<{ cursor: number; data: string }>("SELECT cursor, data FROM roster WHERE entity_id = ?", [CHILD.id]);
    expect(row?.cursor).toBe(1);
    expect(row?.data).not.toContain(CHILD.name);
    const opened = await again.rosterEntity('person', CHILD.id);
    expect(opened?.op === 'upsert' && opened.type === 'person' ? opened.data.name : null).toBe(CHILD.name);
    await again.close();
  });

  it('reads a row whose key was destroyed as erased, and refuses to start with another key store', async () => {
    const file = join(dir, 'hub.db');
    const storage = await SqliteHubStorage.open(file);
    await storage.applyRoster(childRoster());
    await storage.close();
    const keys = await SqlitePersonKeyStore.open(`${file}.keys`, await loadMasterKey(`${file}.master-key`));
    expect(await keys.destroy(CHILD.id)).toBe(true);
    await keys.close();
    const reopened = await SqliteHubStorage.open(file);
    expect(await reopened.rosterEntity('template', 't-aliya')).toEqual({ op: 'delete', type: 'template', id: 't-aliya' });
    const page = await reopened.rosterPage(null, 100, true);
    expect(page?.changes.filter((c) => c.op === 'upsert' && c.type !== 'credential')).toEqual([]);
    await reopened.close();
    await rm(`${file}.keys`);
    await expect(SqliteHubStorage.open(file)).rejects.toThrow(/sealed with person key store/);
  });

  it('gives two stores on one file (two hub processes) the same master key and the same person keys', async () => {
    const [a, b] = await Promise.all([loadMasterKey(join(dir, 'shared.master-key')), loadMasterKey(join(dir, 'shared.master-key'))]);
    expect(a.equals(b)).toBe(true);
    expect((await stat(join(dir, 'shared.master-key'))).mode & 0o777).toBe(0o600);
    const [one, two] = await Promise.all([SqlitePersonKeyStore.open(join(dir, 'shared.keys'), a), SqlitePersonKeyStore.open(join(dir, 'shared.keys'), b)]);
    const ids = Array.from({ length: 50 }, (_, i) => `p-${i}`);
    const [fromOne, fromTwo] = await Promise.all([one.keysFor(ids), two.keysFor([...ids].reverse())]);
    const sealed = fromOne.get('p-7')?.seal(Buffer.from('Әлия'), 'aad');
    expect(sealed && fromTwo.get('p-7')?.open(sealed, 'aad').toString()).toBe('Әлия');
    expect(await one.identity()).toBe(await two.identity());
    expect(await two.destroy('p-7')).toBe(true);
    expect((await one.existing(['p-7', 'p-8'])).has('p-7')).toBe(false);
    await Promise.all([one.close(), two.close()]);
  });
});
