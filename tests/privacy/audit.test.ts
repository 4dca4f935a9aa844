// Every state-changing technician command, run as `esik ...` against a real kiosk, leaves an
// `audit` event naming the unix user and the action, and that event is in the outbox to go upstream.
import { readFile, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KioskClock } from '../../device/clock.js';
import { loadConfig } from '../../device/config/index.js';
import { openKioskStore } from '../../device/kiosk/open-store.js';
import { allEvents, daemonDir, repoRoot, startDaemon, waitForDaemon, type Daemon, type DaemonDir } from '../device/daemon.js';
import { runEsik } from './helpers.js';

const dataDir = process.env.ESIK_DATA_DIR ?? resolve(repoRoot, '../shared/data');
let dir: DaemonDir;
let daemon: Daemon | null = null;

/** Command line → the audit action it must record. */
const COMMANDS: Array<{ args: string[]; action: string; stdin?: string }> = [
  { args: ['relay', 'test'], action: 'relay.test' },
  { args: ['simulate', 'card', '04A2B91C'], action: 'simulate' },
  { args: ['mode', 'set', 'maintenance'], action: 'mode.set' },
  { args: ['mode', 'set', 'normal'], action: 'mode.set' },
  { args: ['person', 'block', 'p-1003'], action: 'person.block' },
  { args: ['person', 'unblock', 'p-1003'], action: 'person.unblock' },
  { args: ['person', 'erase', 'p-1004'], action: 'person.erase' },
  { args: ['key', 'rotate'], action: 'key.rotate' },
  { args: ['pin', 'set'], action: 'pin.set', stdin: '7351\n' },
];

beforeAll(async () => {
  dir = await daemonDir();
  const config = JSON.parse(await readFile(dir.configFile, 'utf8')) as Record<string, unknown>;
  const roster = JSON.parse(await readFile(join(repoRoot, 'fixtures/demo-roster.json'), 'utf8')) as { people: Array<Record<string, unknown>> };
  for (const person of roster.people) if (person.id === 'p-1005') person.biometricConsent = true;
  await writeFile(join(dir.dir, 'roster.json'), JSON.stringify(roster));
  await writeFile(dir.configFile, JSON.stringify({ ...config, device: { ...(config.device as object), seedRosterFile: join(dir.dir, 'roster.json') }, security: { pinHashFile: join(dir.dir, 'pin.hash') } }));
  daemon = startDaemon(dir.configFile);
  await waitForDaemon(dir.socketPath, daemon);
}, 60_000);
afterAll(async () => {
  if (daemon !== null) {
    daemon.child.kill('SIGTERM');
    await daemon.exited;
  }
  await dir.cleanup();
});

describe('audit of technician actions', () => {
  it('each state-changing command records who did what, and the record is queued for upstream', async () => {
    const user = userInfo().username;
    const commands = [...COMMANDS, { args: ['enroll', 'p-1005', join(dataDir, 'faces-bbt', 'examples', 'amy', 'amy1.png')], action: 'template.enrol' }];
    for (const { args, action, stdin } of commands) {
      const before = (await allEvents(dir.socketPath)).length;
      const result = await runEsik(dir.configFile, args, { stdin, timeoutMs: 120_000 });
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
      const added = (await allEvents(dir.socketPath)).slice(before).filter((e) => e.type === 'audit');
      const audit = added.find((e) => e.data?.action === action || e.reason === action);
      expect(audit, `esik ${args.join(' ')} left no ${action} audit event`).toBeDefined();
      expect(audit?.data?.actor).toBe(user);
    }
    daemon?.child.kill('SIGTERM');
    await daemon?.exited;
    daemon = null;
    const { config } = await loadConfig(dir.configFile);
    const store = await openKioskStore(config, { bootId: uuidv7(), clock: new KioskClock({ utcOffsetMinutes: 300 }), logger: pino({ level: 'silent' }), createKey: false, skipIntegrityCheck: true });
    try {
      const pending = await store.outbox.nextBatch(10_000, 64 * 1024 * 1024);
      const queued = new Set(pending.filter((e) => e.type === 'audit').map((e) => (e.data as { action?: string } | null)?.action ?? e.reason));
      for (const { action } of commands) expect(queued.has(action), `${action} not in the outbox`).toBe(true);
    } finally {
      await store.close();
    }
  }, 400_000);
});
