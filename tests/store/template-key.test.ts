import { chmod, mkdtemp, readdir, rm, stat, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import {
  createNextKeyFile, loadKeyCandidates, loadOrCreateKeyFile, promoteNextKeyFile, rotateTemplateKey,
} from '../../device/security/template-key.js';
import { openStoreWithKeyFile } from '../../device/kiosk/index.js';
import { person } from './helpers.js';
import { createFieldCipher } from '../../sync/store/index.js';

let dir: string;
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'esik-key-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

describe('template key file', () => {
  it('creates a random 32-byte key with mode 0600 and reads the same key back', async () => {
    const file = join(dir, 'sub', 'template.key');
    const created = await loadOrCreateKeyFile(file);
    expect(created.key).toHaveLength(32);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const loaded = await loadOrCreateKeyFile(file);
    expect(loaded.key.equals(created.key)).toBe(true);
    expect(loaded.keyId).toBe(created.keyId);
    const other = await loadOrCreateKeyFile(join(dir, 'other.key'));
    expect(other.keyId).not.toBe(created.keyId);
  });

  it('refuses a key file readable by group or others', async () => {
    const file = join(dir, 'template.key');
    await loadOrCreateKeyFile(file);
    await chmod(file, 0o640);
    await expect(loadOrCreateKeyFile(file)).rejects.toThrow(/accessible by group or others.*chmod 600/);
  });

  it('refuses a malformed key file with a clear error and does not overwrite it', async () => {
    const file = join(dir, 'template.key');
    await writeFile(file, 'not a key\n', { mode: 0o600 });
    await expect(loadOrCreateKeyFile(file)).rejects.toThrow(/malformed/);
    expect(await readFile(file, 'utf8')).toBe('not a key\n');
  });

  it('rotates through a .next file that survives until promoted', async () => {
    const file = join(dir, 'template.key');
    const current = await loadOrCreateKeyFile(file);
    const next = await createNextKeyFile(file);
    expect((await loadKeyCandidates(file)).map((k) => k.keyId)).toEqual([current.keyId, next.keyId]);
    await promoteNextKeyFile(file);
    expect((await loadKeyCandidates(file)).map((k) => k.keyId)).toEqual([next.keyId]);
  });
});

describe('field cipher', () => {
  it('binds a sealed value to its AAD and rejects keys of the wrong size', () => {
    const cipher = createFieldCipher(Buffer.alloc(32, 7), 'k-1');
    const sealed = cipher.seal(Buffer.from('secret'), 'people.name:p-1');
    expect(cipher.open(sealed, 'people.name:p-1').toString()).toBe('secret');
    expect(() => cipher.open(sealed, 'people.name:p-2')).toThrow(/wrong key .* or tampered/);
    const flipped = Buffer.from(sealed);
    flipped[flipped.length - 1] ^= 1;
    expect(() => cipher.open(flipped, 'people.name:p-1')).toThrow(/tampered/);
    expect(cipher.seal(Buffer.from('secret'), 'x').equals(cipher.seal(Buffer.from('secret'), 'x'))).toBe(false);
    expect(() => createFieldCipher(Buffer.alloc(16), 'k')).toThrow(/32 bytes/);
  });
});

describe('key rotation with a store', () => {
  it('rotates the key file and the store together, and finishes a rotation interrupted before promotion', async () => {
    const clock = { wallMs: () => 1, monoMs: () => 1, trusted: () => true, utcOffsetMinutes: () => 300 };
    const keyFile = join(dir, 'template.key');
    const opts = { path: join(dir, 'esik.db'), deviceId: 'd', bootId: 'b', clock, logger: pino({ level: 'silent' }) };

    const first = await openStoreWithKeyFile(keyFile, opts);
    await first.store.roster.applyPage([{ op: 'upsert', type: 'person', data: person('p-1') }], 'c:1');
    const rotated = await rotateTemplateKey(first.store, keyFile);
    expect(rotated.rows).toBe(1);
    expect(rotated.keyId).not.toBe(first.keyId);
    await first.store.close();

    const second = await openStoreWithKeyFile(keyFile, opts);
    expect(second.keyId).toBe(rotated.keyId);
    // Simulate a crash after the store switched keys but before `.next` was promoted.
    const next = await createNextKeyFile(keyFile);
    await second.store.rekey(createFieldCipher(next.key, next.keyId));
    await second.store.close();

    const third = await openStoreWithKeyFile(keyFile, opts);
    expect(third.keyId).toBe(next.keyId);
    expect((await third.store.roster.load()).people.get('p-1')?.name).toBe('Name p-1');
    expect((await loadKeyCandidates(keyFile)).map((k) => k.keyId)).toEqual([next.keyId]);
    await third.store.close();
  });
});

describe('opening a damaged store through the key file', () => {
  it('refuses by default and quarantines + salvages given a quarantine folder', async () => {
    const clock = { wallMs: () => 1, monoMs: () => 1, trusted: () => true, utcOffsetMinutes: () => 300 };
    const keyFile = join(dir, 'template.key');
    const path = join(dir, 'esik.db');
    const opts = { path, deviceId: 'd', bootId: 'b', clock, logger: pino({ level: 'silent' }) };
    await writeFile(path, Buffer.alloc(8192, 0x5a));
    await expect(openStoreWithKeyFile(keyFile, opts)).rejects.toThrow(/damaged/);
    const { store, recovered } = await openStoreWithKeyFile(keyFile, opts, { quarantineFolder: join(dir, 'quarantine') });
    expect(recovered?.quarantinedAs).toMatch(/esik\.db\.corrupt-/);
    // Moved once, straight into the quarantine folder: nothing damaged is left beside the fresh database.
    expect(recovered?.quarantinedAs.startsWith(`${join(dir, 'quarantine')}/`)).toBe(true);
    expect((await readdir(dir)).filter((name) => name.includes('corrupt'))).toEqual([]);
    expect((await store.checkIntegrity()).ok).toBe(true);
    await store.close();
  });
});
