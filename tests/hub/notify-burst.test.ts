// 500 arrivals, one message per guardian: a real hub process (hub/main.ts, the notifier configured
// from its environment) sends to the telegram-test-api emulator while a kiosk pushes arrivals to it
// over HTTP in batches (the device API, with its token). 250 children with 2 guardians each pass the door
// twice within seconds (a card read again): 500 passages, 500 guardians. Counted at the emulator:
// every guardian's chat gets exactly one message, naming its own child; nothing else is sent.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteHubStorage } from '../../hub/index.js';
import { GuardianLinks, SqliteNotifyStore } from '../../hub/notify/index.js';
import { pushEvents, registerDevice, repoRoot, tempDir } from '../sync/helpers.js';
import { person } from './backends.js';
import { BOT_TOKEN, passage, startEmulator, until, type Emulator } from './notify-helpers.js';

const CHILDREN = 250;
const GUARDIANS_EACH = 2;
const ARRIVALS = 500;
const chatOf = (child: number, guardian: number): number => 20_000 + child * GUARDIANS_EACH + guardian;
const ADMIN_TOKEN = 'burst-test-admin-token-0123456789';

function startHub(dbFile: string, apiRoot: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'hub/main.ts'), '--db', dbFile, '--port', '0'], {
    env: { ...process.env, ESIK_HUB_ADMIN_TOKEN: ADMIN_TOKEN, LOG_LEVEL: 'warn', ESIK_HUB_TELEGRAM_TOKEN: BOT_TOKEN, ESIK_HUB_TELEGRAM_API_ROOT: apiRoot },
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: repoRoot,
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hub did not start: ${stderr}`)), 30_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      const line = chunk.toString().split('\n').find((l) => l.includes('hub listening'));
      if (line) {
        clearTimeout(timer);
        resolve({ child, url: `http://127.0.0.1:${String((JSON.parse(line) as { port: number }).port)}` });
      }
    });
    child.once('exit', (code) => reject(new Error(`hub exited with ${String(code)}: ${stderr}`)));
  });
}

describe('500 arrivals through a real hub process and the Telegram emulator', () => {
  let dir: { dir: string; cleanup: () => Promise<void> };
  let tg: Emulator;
  let hub: ChildProcess | null = null;

  beforeAll(async () => {
    dir = await tempDir('esik-notify-burst-');
    tg = await startEmulator();
  });

  afterAll(async () => {
    if (hub && hub.exitCode === null) {
      const exited = new Promise((resolve) => hub?.once('exit', resolve));
      hub.kill('SIGTERM');
      await exited;
    }
    await tg?.stop();
    await dir?.cleanup();
  });

  it('sends exactly one message to each guardian', async () => {
    const file = join(dir.dir, 'hub.db');
    const storage = await SqliteHubStorage.open(file);
    const store = await SqliteNotifyStore.open(file);
    const links = new GuardianLinks(store, storage);
    await storage.applyRoster(Array.from({ length: CHILDREN }, (_, i) => person(`kid-${i}`, { name: `Pupil${i} Surname` })));
    for (let i = 0; i < CHILDREN; i++) {
      for (let g = 0; g < GUARDIANS_EACH; g++) {
        const made = await links.addGuardian(`kid-${i}`, 'en');
        expect(made && (await links.redeem(String(chatOf(i, g)), made.code)).ok).toBe(true);
      }
    }
    // Closed before the hub starts, as the school's set-up tool would be: the hub owns its database.
    await store.close();
    await storage.close();
    const started = await startHub(file, tg.apiRoot);
    const t0 = Date.now();
    hub = started.child;
    const token = await registerDevice({ url: started.url, adminToken: ADMIN_TOKEN }, 'kiosk-1');

    // Each child's first passage, then the repeat read of every child, 50 passages every 250 ms.
    for (let seq = 1; seq <= ARRIVALS; seq += 50) {
      const events = Array.from({ length: 50 }, (_, k) => passage(seq + k, `kid-${(seq + k - 1) % CHILDREN}`, 'in'));
      const pushed = await pushEvents(started, 'kiosk-1', token, { events });
      expect(pushed.status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const guardians = CHILDREN * GUARDIANS_EACH;
    await until(() => tg.allSent().length >= guardians, 120_000, `${guardians} messages at the emulator`);
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // anything extra would arrive now

    const sent = tg.allSent();
    expect(sent).toHaveLength(guardians);
    const perChat = new Map<string, string[]>();
    for (const m of sent) perChat.set(m.chat, [...(perChat.get(m.chat) ?? []), m.text]);
    for (let i = 0; i < CHILDREN; i++) {
      for (let g = 0; g < GUARDIANS_EACH; g++) {
        const texts = perChat.get(String(chatOf(i, g))) ?? [];
        expect(texts, `chat of guardian ${g} of kid-${i}`).toHaveLength(1);
        expect(texts[0]).toMatch(new RegExp(`^Pupil${i} arrived at school at \\d\\d:\\d\\d \\(door: main\\)\\.$`));
      }
    }
    const after = await SqliteNotifyStore.open(file);
    const rows = await after.outbox();
    await after.close();
    expect(rows).toHaveLength(guardians);
    expect(rows.every((r) => r.state === 'sent')).toBe(true);
    console.log(JSON.stringify({ messages: sent.length, secondsFromFirstPush: (Date.now() - t0) / 1000 }));
  }, 240_000);
});
