// A real hub process (hub/main.ts with the notifier configured from its environment) is SIGKILLed in
// the middle of delivering 120 arrivals to 120 guardians over Telegram (the emulator) and signed
// webhooks (a slow receiver), then started again on the same database. Counted at the emulator and
// the receiver: no chat gets a notice twice; every webhook key arrives (duplicates only under one
// webhook-id, for the receiver to drop); every Telegram row ends sent, or in_doubt when the killed
// process had it in flight (recorded for the operator, never sent again).
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteHubStorage } from '../../hub/index.js';
import { GuardianLinks, SqliteNotifyStore, newWebhookSecret } from '../../hub/notify/index.js';
import { repoRoot, tempDir } from '../sync/helpers.js';
import { person } from './backends.js';
import { BOT_TOKEN, passage, startEmulator, until, type Emulator } from './notify-helpers.js';

const PUPILS = 120;
const chatOf = (i: number): number => 10_000 + i;

function startHub(dbFile: string, apiRoot: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'hub/main.ts'), '--db', dbFile, '--port', '0'], {
    env: {
      ...process.env, ESIK_HUB_ADMIN_TOKEN: 'restart-test-admin-token-0123456789', LOG_LEVEL: 'warn',
      ESIK_HUB_TELEGRAM_TOKEN: BOT_TOKEN, ESIK_HUB_TELEGRAM_API_ROOT: apiRoot, ESIK_HUB_NOTIFY_LOOPBACK_HTTP: '1', ESIK_HUB_NOTIFY_LEASE_MS: '1500',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: repoRoot,
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hub did not start: ${stderr}`)), 30_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('hub listening')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code) => reject(new Error(`hub exited with ${String(code)}: ${stderr}`)));
  });
}

describe('notifier restarted mid-delivery (SIGKILL of a real hub process, SQLite)', () => {
  let dir: { dir: string; cleanup: () => Promise<void> };
  let tg: Emulator;
  let receiver: Server;
  const hooks: string[] = [];
  let hookUrl = '';

  beforeAll(async () => {
    dir = await tempDir('esik-notify-kill-');
    tg = await startEmulator();
    // A receiver slow enough (40 ms an answer) that delivery takes a while and the kill lands inside it.
    receiver = createServer((request, response) => {
      hooks.push(String(request.headers['webhook-id']));
      request.resume();
      setTimeout(() => response.writeHead(204).end(), 40);
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  });

  afterAll(async () => {
    await tg?.stop();
    await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
    await dir?.cleanup();
  });

  it('sends no notice twice and loses none silently', async () => {
    const file = join(dir.dir, 'hub.db');
    const storage = await SqliteHubStorage.open(file);
    const store = await SqliteNotifyStore.open(file);
    const links = new GuardianLinks(store, storage);
    await storage.applyRoster(Array.from({ length: PUPILS }, (_, i) => person(`kid-${i}`, { name: `Pupil${i} Surname` })));
    for (let i = 0; i < PUPILS; i++) {
      const made = await links.addGuardian(`kid-${i}`, 'en');
      if (!made) throw new Error('no guardian');
      expect((await links.redeem(String(chatOf(i)), made.code)).ok).toBe(true);
      await store.setWebhook(made.guardianId, hookUrl, newWebhookSecret());
    }
    await storage.ingest('kiosk-1', Array.from({ length: PUPILS }, (_, i) => ({ event: passage(i + 1, `kid-${i}`, 'in') })), null, null, Date.now());
    await storage.close();

    const first = await startHub(file, tg.apiRoot);
    const exited = new Promise((resolve) => first.once('exit', resolve));
    // Killed the moment the emulator stores the 40th message, before it answers: that row (and the
    // rest of its batch) was handed to Telegram and never recorded, the case the outbox cannot settle.
    const killAt40 = (): void => {
      if (tg.allSent().length >= 40) first.kill('SIGKILL');
    };
    tg.server.on('AddedBotMessage', killAt40);
    await exited;
    tg.server.off('AddedBotMessage', killAt40);
    const atKill = { telegram: tg.allSent().length, hooks: new Set(hooks).size };
    expect(atKill.telegram).toBeLessThan(PUPILS); // the kill landed mid-delivery

    const second = await startHub(file, tg.apiRoot);
    try {
      await until(async () => (await store.outbox()).every((r) => r.state !== 'pending' && r.state !== 'claimed' && r.state !== 'sending'), 30_000, 'the outbox to settle');
    } finally {
      second.kill('SIGTERM');
      await new Promise((resolve) => second.once('exit', resolve));
    }
    const rows = await store.outbox();
    await store.close();
    expect(rows).toHaveLength(2 * PUPILS);
    const inDoubt = rows.filter((r) => r.state === 'in_doubt');
    expect(rows.filter((r) => r.state !== 'sent' && r.state !== 'in_doubt')).toEqual([]);
    expect(inDoubt.every((r) => r.channel === 'telegram')).toBe(true);

    // Telegram: never twice; a chat without its notice is one whose row is recorded in_doubt.
    const perChat = new Map<string, number>();
    for (const m of tg.allSent()) perChat.set(m.chat, (perChat.get(m.chat) ?? 0) + 1);
    expect([...perChat.values()].filter((n) => n > 1)).toEqual([]);
    const doubtful = new Set(inDoubt.map((r) => r.payload.personId));
    const missing = Array.from({ length: PUPILS }, (_, i) => i).filter((i) => !perChat.has(String(chatOf(i))));
    expect(missing.filter((i) => !doubtful.has(`kid-${i}`))).toEqual([]);
    expect(inDoubt.length).toBeGreaterThanOrEqual(1); // the 40th message's row at least
    expect(inDoubt.length).toBeLessThanOrEqual(20); // at most the one batch in flight
    // Webhooks: every key arrived; a repeat only under the same webhook-id.
    const keys = new Set(rows.filter((r) => r.channel === 'webhook').map((r) => r.key));
    expect(new Set(hooks)).toEqual(keys);
    console.log(JSON.stringify({ atKill, inDoubt: inDoubt.length, telegramMissing: missing.length, webhookRepeats: hooks.length - keys.size }));
  }, 90_000);
});
