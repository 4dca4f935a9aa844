// The database holds card UIDs and sealed templates: it, its -wal and -shm are 0600 and the state
// folder 0700 whatever the process umask (`npm start` runs with a login's 022, not the unit's 0077).
// Tests run in forked workers (vitest pool 'forks'), so process.umask can be set for real here.
import { chmod, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HubDb } from '../../hub/db.js';
import { openStore, type Store } from '../../sync/store/index.js';
import { ManualClock, grant, randomCipher, silentLogger } from './helpers.js';

async function modeOf(path: string): Promise<string> {
  return ((await stat(path)).mode & 0o777).toString(8).padStart(3, '0');
}

describe('store file modes', () => {
  let dir: string;
  let previousUmask: number;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'esik-modes-'));
    previousUmask = process.umask();
  });

  afterEach(async () => {
    process.umask(previousUmask);
    await rm(dir, { recursive: true, force: true });
  });

  const cipher = randomCipher();
  function open(path: string): Promise<Store> {
    return openStore({ path, deviceId: 'dev-1', bootId: 'boot-1', clock: new ManualClock(), cipher, logger: silentLogger });
  }

  it.each(['022', '002', '000'])('a new database, its WAL and shared memory are 0600 and its folder 0700 under umask %s', async (umask) => {
    process.umask(Number.parseInt(umask, 8));
    const stateDir = join(dir, 'var', 'esik');
    const path = join(stateDir, 'esik.db');
    const store = await open(path);
    try {
      await store.events.append(grant('p-1'));
      // While the connection is open the WAL and the shared-memory file exist beside the database.
      expect({ db: await modeOf(path), wal: await modeOf(`${path}-wal`), shm: await modeOf(`${path}-shm`) }).toEqual({ db: '600', wal: '600', shm: '600' });
      expect(await modeOf(stateDir)).toBe('700');
    } finally {
      await store.close();
    }
  });

  it('an existing database left 0644 (and its folder 0755) is made private when opened', async () => {
    const stateDir = join(dir, 'state');
    const path = join(stateDir, 'esik.db');
    const first = await open(path);
    await first.events.append(grant('p-1'));
    await first.close();
    // What an earlier release under `npm start` left behind.
    await chmod(path, 0o644);
    await chmod(stateDir, 0o755);
    process.umask(0o022);
    const again = await open(path);
    try {
      await again.events.append(grant('p-2'));
      expect({ db: await modeOf(path), wal: await modeOf(`${path}-wal`), shm: await modeOf(`${path}-shm`) }).toEqual({ db: '600', wal: '600', shm: '600' });
      expect(await modeOf(stateDir)).toBe('700');
    } finally {
      await again.close();
    }
  });

  it("the hub's database, WAL and shared memory are 0600 too under umask 022", async () => {
    process.umask(0o022);
    const path = join(dir, 'hub.db');
    const hub = await HubDb.open(path);
    try {
      await hub.exec('CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);');
      expect({ db: await modeOf(path), wal: await modeOf(`${path}-wal`), shm: await modeOf(`${path}-shm`) }).toEqual({ db: '600', wal: '600', shm: '600' });
    } finally {
      await hub.close();
    }
  });
});
