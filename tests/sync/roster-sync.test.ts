// Roster changes flow down from a real hub process: pulled by cursor, applied in one transaction,
// deletions and blocks purge templates from memory and from the database file, 410 re-pulls,
// commands are executed and acknowledged, and a malformed hub answer never crashes the client.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sqlite3 from 'sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncClient, encodeTemplateVector, type HubCommand } from '../../sync/client/index.js';
import type { RosterChange, Store } from '../../sync/store/index.js';
import { FaultProxy } from './fault-proxy.js';
import { adminCall, openKioskStore, registerDevice, silentLogger, startHubProcess, tempDir, type HubProcess } from './helpers.js';

function vector(seed: number): Float32Array {
  return Float32Array.from({ length: 128 }, (_, i) => Math.sin(seed * 97 + i) / 3);
}

function readSealedTemplates(file: string): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, sqlite3.OPEN_READONLY, (openError) => {
      if (openError) return reject(openError);
      db.all('SELECT vector_sealed FROM templates', (error: Error | null, rows: Array<{ vector_sealed: Buffer }>) => {
        db.close();
        if (error) reject(error);
        else resolve(rows.map((r) => r.vector_sealed));
      });
    });
  });
}

async function rawFileBytes(path: string): Promise<Buffer> {
  const parts = await Promise.all([path, `${path}-wal`].map((p) => readFile(p).catch(() => Buffer.alloc(0))));
  return Buffer.concat(parts);
}

describe('roster sync from a real hub', () => {
  let hub: HubProcess;
  let tmp: { dir: string; cleanup: () => Promise<void> };

  beforeAll(async () => {
    tmp = await tempDir();
    hub = await startHubProcess(join(tmp.dir, 'hub.db'));
  });
  afterAll(async () => {
    await hub?.stop();
    await tmp?.cleanup();
  });

  async function kiosk(deviceId: string, extra: Partial<ConstructorParameters<typeof SyncClient>[0]> = {}, baseUrl = hub.url) {
    const token = await registerDevice(hub, deviceId);
    const path = join(tmp.dir, `${deviceId}.db`);
    const store: Store = await openKioskStore(path, deviceId, randomBytes(32).toString('hex'));
    const applied: Array<{ changes: readonly RosterChange[]; purged: readonly string[] }> = [];
    const client = new SyncClient({
      baseUrl,
      deviceId,
      token: () => Promise.resolve(token),
      outbox: store.outbox,
      roster: store.roster,
      logger: silentLogger,
      backoff: { baseMs: 10, capMs: 50 },
      rosterPageSize: 3,
      onRosterApplied: (changes, purged) => {
        applied.push({ changes, purged });
      },
      ...extra,
    });
    return { store, client, applied, path };
  }

  it('a deletion made on the hub reaches the kiosk and the template bytes leave the DB file and WAL', async () => {
    const { store, client, applied, path } = await kiosk('kiosk-erase');
    const aigerim = vector(1);
    await adminCall(hub, 'PUT', '/v1/admin/people/p-erase', { name: 'Aigerim Seitkali', group: '5B', biometricConsent: true });
    await adminCall(hub, 'PUT', '/v1/admin/people/p-keep', { name: 'Dana K', group: '5B', biometricConsent: true });
    await adminCall(hub, 'PUT', '/v1/admin/templates/t-erase', { personId: 'p-erase', modality: 'face', algo: 'faceapi-resnet128-v1', data: encodeTemplateVector(aigerim) });
    await adminCall(hub, 'PUT', '/v1/admin/templates/t-keep', { personId: 'p-keep', modality: 'face', algo: 'faceapi-resnet128-v1', data: encodeTemplateVector(vector(2)) });
    await adminCall(hub, 'PUT', '/v1/admin/credentials/c-erase', { personId: 'p-erase', kind: 'card', value: '04A2B91C' });

    expect((await client.syncNow()).ok).toBe(true);
    const loaded = await store.roster.load();
    expect(loaded.templates.map((t) => t.id).sort()).toEqual(['t-erase', 't-keep']);
    expect(Array.from(loaded.templates.find((t) => t.id === 't-erase')?.vector ?? [])).toEqual(Array.from(aigerim));
    expect(applied.length).toBeGreaterThan(1); // pages of 3
    const sealed = (await readSealedTemplates(path)).find((b) => b.length > 0);
    expect(sealed).toBeDefined();
    const sealedAll = await readSealedTemplates(path);

    expect((await adminCall(hub, 'DELETE', '/v1/admin/people/p-erase')).status).toBe(200);
    expect((await client.syncNow()).ok).toBe(true);
    expect(applied.at(-1)?.purged).toContain('p-erase');
    const after = await store.roster.load();
    expect(after.people.has('p-erase')).toBe(false);
    expect(after.templates.map((t) => t.id)).toEqual(['t-keep']);
    expect(after.credentials.has('card:04A2B91C')).toBe(false);

    const remaining = await readSealedTemplates(path);
    const gone = sealedAll.filter((b) => !remaining.some((r) => r.equals(b)));
    expect(gone).toHaveLength(1);
    const raw = await rawFileBytes(path);
    expect(raw.includes(gone[0])).toBe(false);
    expect(raw.includes(Buffer.from(aigerim.buffer))).toBe(false);
    // The hub forgets the template too (erasure), not only the device.
    expect((await rawFileBytes(join(tmp.dir, 'hub.db'))).includes(Buffer.from(encodeTemplateVector(aigerim)))).toBe(false);
    await store.close();
  });

  it('a block purges templates on the kiosk; unblocking sends them again', async () => {
    const { store, client, applied } = await kiosk('kiosk-block');
    await adminCall(hub, 'PUT', '/v1/admin/people/p-block', { name: 'Bolat', biometricConsent: true });
    await adminCall(hub, 'PUT', '/v1/admin/templates/t-block', { personId: 'p-block', modality: 'palm', algo: 'palm-v1', data: encodeTemplateVector(vector(3)) });
    await client.syncNow();
    expect((await store.roster.load()).templates.some((t) => t.id === 't-block')).toBe(true);
    await adminCall(hub, 'POST', '/v1/admin/people/p-block/block');
    await client.syncNow();
    expect(applied.some((a) => a.purged.includes('p-block'))).toBe(true);
    const blocked = await store.roster.load();
    expect(blocked.people.get('p-block')?.status).toBe('blocked');
    expect(blocked.templates.some((t) => t.personId === 'p-block')).toBe(false);
    await adminCall(hub, 'POST', '/v1/admin/people/p-block/unblock');
    await client.syncNow();
    expect((await store.roster.load()).templates.some((t) => t.id === 't-block')).toBe(true);
    await store.close();
  });

  it('withdrawn biometric consent erases the templates on the hub as on the kiosk; consent given again needs a new enrolment', async () => {
    const { store, client } = await kiosk('kiosk-consent');
    const palm = vector(4);
    await adminCall(hub, 'PUT', '/v1/admin/people/p-consent', { name: 'Dana', biometricConsent: true });
    await adminCall(hub, 'PUT', '/v1/admin/templates/t-consent', { personId: 'p-consent', modality: 'palm', algo: 'palm-v1', data: encodeTemplateVector(palm) });
    await client.syncNow();
    expect((await store.roster.load()).templates.some((t) => t.id === 't-consent')).toBe(true);
    await adminCall(hub, 'PUT', '/v1/admin/people/p-consent', { name: 'Dana', biometricConsent: false });
    await client.syncNow();
    expect((await store.roster.load()).templates.some((t) => t.personId === 'p-consent')).toBe(false);
    expect((await rawFileBytes(join(tmp.dir, 'hub.db'))).includes(Buffer.from(encodeTemplateVector(palm)))).toBe(false);
    await adminCall(hub, 'PUT', '/v1/admin/people/p-consent', { name: 'Dana', biometricConsent: true });
    await client.syncNow();
    expect((await store.roster.load()).templates.some((t) => t.personId === 'p-consent')).toBe(false);
    await store.close();
  });

  it('after the hub compacts its tombstones, an old cursor gets 410 and the kiosk replaces its roster', async () => {
    const { store, client } = await kiosk('kiosk-410');
    await adminCall(hub, 'PUT', '/v1/admin/people/p-old', { name: 'Old' });
    await client.syncNow();
    const cursor = await store.roster.cursor();
    await adminCall(hub, 'PUT', '/v1/admin/people/p-gone', { name: 'Gone' });
    await adminCall(hub, 'DELETE', '/v1/admin/people/p-gone');
    await adminCall(hub, 'DELETE', '/v1/admin/people/p-old');
    await adminCall(hub, 'POST', '/v1/admin/roster/compact');
    const stale = await adminCall(hub, 'GET', '/v1/health');
    expect(stale.status).toBe(200);
    expect((await client.syncNow()).ok).toBe(true);
    const roster = await store.roster.load();
    expect(roster.people.has('p-old')).toBe(false);
    expect(await store.roster.cursor()).not.toBe(cursor);
    await store.close();
  });

  it('commands: open door, set config, resync are executed once and acknowledged', async () => {
    const seen: HubCommand[] = [];
    const { store, client } = await kiosk('kiosk-cmd', {
      onCommand: (command) => {
        seen.push(command);
        return Promise.resolve(command.kind === 'door.open' ? { ok: true, result: { door: command.args.door } } : { ok: false, error: 'unknown key' });
      },
    });
    const open = await adminCall(hub, 'POST', '/v1/admin/devices/kiosk-cmd/commands', { kind: 'door.open', args: { door: 'main' } });
    const config = await adminCall(hub, 'POST', '/v1/admin/devices/kiosk-cmd/commands', { kind: 'config.set', args: { key: 'nope', value: 1 } });
    const resync = await adminCall(hub, 'POST', '/v1/admin/devices/kiosk-cmd/commands', { kind: 'roster.resync' });
    expect(open.status).toBe(201);
    expect((await client.syncNow()).commands).toBe(3);
    await client.syncNow();
    expect(seen.map((c) => c.kind)).toEqual(['door.open', 'config.set']);
    const openState = await adminCall(hub, 'GET', `/v1/admin/devices/kiosk-cmd/commands/${open.json.id}`);
    expect(openState.json).toMatchObject({ state: 'acked', ack: { ok: true, result: { door: 'main' } } });
    expect((await adminCall(hub, 'GET', `/v1/admin/devices/kiosk-cmd/commands/${config.json.id}`)).json.ack).toEqual({ ok: false, error: 'unknown key' });
    expect((await adminCall(hub, 'GET', `/v1/admin/devices/kiosk-cmd/commands/${resync.json.id}`)).json.state).toBe('acked');
    await store.close();
  });

  it('a malformed or schema-breaking hub answer is logged and backed off, never applied, never a crash', async () => {
    const proxy = await FaultProxy.start(hub.url);
    const { store, client } = await kiosk('kiosk-garbage', {}, proxy.url);
    proxy.pathFilter = /roster/;
    proxy.fault = { kind: 'status', status: 200, body: '{"changes":[{"op":"upsert","type":"person","data":{"id":"x"}}],"cursor":"c:9","more":false}' };
    const bad = await client.syncNow();
    expect(bad.ok).toBe(false);
    expect(bad.error).toMatch(/failed validation/);
    expect((await store.roster.load()).people.has('x')).toBe(false);
    proxy.fault = { kind: 'status', status: 200, body: 'not json{' };
    expect((await client.syncNow()).error).toMatch(/not JSON/);
    expect((await client.status()).state).toBe('backoff');
    proxy.fault = { kind: 'none' };
    expect((await client.syncNow()).ok).toBe(true);
    await proxy.close();
    await store.close();
  });
});
