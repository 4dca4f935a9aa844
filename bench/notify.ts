// `npm run bench -- notify [--pupils N] [--guardians N] [--window-s S]`
// A school of N pupils (default 1,000) with G guardians each (default 2, each its own Telegram chat),
// all arriving within S seconds (default 60), announced by a real hub process (hub/main.ts with the
// notifier) to the telegram-test-api emulator. A kiosk pushes the arrivals over the hub's device API
// every 250 ms (each event's wall time is the kiosk's decision, so the push's HTTP hop is timed). Reported: decision_to_message p50/p99 (decision to the
// emulator storing the message), messages_per_s over the delivery, duplicates, and the floor the
// per-bot limit sets: the notifier paces itself to Telegram's 30 messages/s (TELEGRAM_PACE_PER_SECOND),
// so the last of M messages cannot go before M/30 s after the first arrival.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { v7 as uuidv7 } from 'uuid';
import { TelegramServer } from 'telegram-test-api/lib/telegramServer.js';
import type { Server } from 'node:http';
import { SqliteHubStorage } from '../hub/index.js';
import { GuardianLinks, SqliteNotifyStore, TELEGRAM_PACE_PER_SECOND } from '../hub/notify/index.js';
import { wireEventSchema, type WireRosterChange } from '../protocol/index.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TOKEN = '424242:bench-bot-token';

function flag(flags: string[], name: string, fallback: number): number {
  const hit = flags.find((f) => f.startsWith(`--${name}=`));
  return hit ? Number(hit.split('=')[1]) : fallback;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN);
}

const ADMIN_TOKEN = 'bench-notify-admin-token-0123456789';

interface RunningHub {
  child: ChildProcess;
  url: string;
}

async function startHub(db: string, apiRoot: string): Promise<RunningHub> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'hub/main.ts'), '--db', db, '--port', '0'], {
    cwd: repoRoot,
    env: { ...process.env, ESIK_HUB_ADMIN_TOKEN: ADMIN_TOKEN, LOG_LEVEL: 'warn', ESIK_HUB_TELEGRAM_TOKEN: TOKEN, ESIK_HUB_TELEGRAM_API_ROOT: apiRoot },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((done, fail) => {
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const match = /"port":(\d+)[^\n]*"msg":"hub listening"/.exec(out);
      if (match) done(Number(match[1]));
    });
    child.once('exit', (code) => fail(new Error(`hub exited ${String(code)}`)));
  });
  return { child, url: `http://127.0.0.1:${port}` };
}

async function hubCall(hub: RunningHub, path: string, token: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${hub.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

async function school(file: string, pupils: number, guardians: number): Promise<void> {
  const storage = await SqliteHubStorage.open(file);
  const store = await SqliteNotifyStore.open(file);
  const links = new GuardianLinks(store, storage);
  const roster: WireRosterChange[] = Array.from({ length: pupils }, (_, i) => ({
    op: 'upsert', type: 'person',
    data: { id: `pupil-${i}`, name: `Pupil${i} Surname`, shortName: null, group: '5B', role: 'student', status: 'active', validFrom: null, validTo: null, biometricConsent: false, displayConsent: 'short' },
  }));
  await storage.applyRoster(roster);
  for (let i = 0; i < pupils; i++) {
    for (let g = 0; g < guardians; g++) {
      const made = await links.addGuardian(`pupil-${i}`, 'ru');
      if (!made || !(await links.redeem(String(1_000_000 + i * guardians + g), made.code)).ok) throw new Error('linking failed');
    }
  }
  await store.close();
  await storage.close();
}

/** A kiosk pushing each pupil's arrival at its decision time over the hub's device API, every 250 ms. */
async function arrive(hub: RunningHub, pupils: number, windowMs: number, decidedAt: number[]): Promise<void> {
  const registered = await hubCall(hub, '/v1/admin/devices', ADMIN_TOKEN, { id: 'kiosk-bench' });
  if (registered.status !== 201) throw new Error(`register device: ${registered.status}`);
  const token = String(registered.json.token);
  const start = Date.now();
  let next = 0;
  while (next < pupils) {
    await new Promise((r) => setTimeout(r, 250));
    const due = Math.min(pupils, Math.floor(((Date.now() - start) / windowMs) * pupils) + 1);
    const events = [];
    for (; next < due; next++) {
      const wallMs = start + Math.floor((next / pupils) * windowMs);
      decidedAt[next] = wallMs;
      events.push(wireEventSchema.parse({
        id: uuidv7(), seq: next + 1, type: 'access.granted', at: new Date(wallMs).toISOString(), wallMs, timeTrusted: true, bootId: 'bench',
        monoMs: wallMs - start, door: 'main', direction: 'in', personId: `pupil-${next}`, credential: { kind: 'card', ref: 'c' }, reason: null,
      }));
    }
    if (events.length === 0) continue;
    const pushed = await hubCall(hub, '/v1/devices/kiosk-bench/events', token, { events });
    if (pushed.status !== 200) throw new Error(`push: ${pushed.status} ${JSON.stringify(pushed.json)}`);
  }
}

export async function run(flags: string[]): Promise<Record<string, unknown>> {
  const pupils = flag(flags, 'pupils', 1000);
  const guardians = flag(flags, 'guardians', 2);
  const windowMs = flag(flags, 'window-s', 60) * 1000;
  const dir = await mkdtemp(join(tmpdir(), 'esik-bench-notify-'));
  const tg = new TelegramServer({ host: '127.0.0.1', storeTimeout: 3600 });
  tg.config.port = 0; // the emulator reads 0 as "unset"
  await tg.start();
  const address = (tg as unknown as { server: Server }).server.address();
  const apiRoot = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const received = new Map<string, number[]>();
  tg.on('AddedBotMessage', () => {
    const last = tg.storage.botMessages.at(-1);
    if (last) received.set(String(last.message.chat_id), [...(received.get(String(last.message.chat_id)) ?? []), Date.now()]);
  });
  const file = join(dir, 'hub.db');
  let hub: RunningHub | null = null;
  try {
    await school(file, pupils, guardians);
    hub = await startHub(file, apiRoot);
    const decidedAt: number[] = [];
    const total = pupils * guardians;
    await arrive(hub, pupils, windowMs, decidedAt);
    const deadline = Date.now() + windowMs + 10 * 60_000;
    while ([...received.values()].reduce((n, t) => n + t.length, 0) < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const latencies: number[] = [];
    let duplicates = 0;
    let first = Infinity;
    let last = 0;
    for (const [chat, times] of received) {
      const pupil = Math.floor((Number(chat) - 1_000_000) / guardians);
      duplicates += times.length - 1;
      for (const t of times) {
        latencies.push(t - (decidedAt[pupil] ?? t));
        first = Math.min(first, t);
        last = Math.max(last, t);
      }
    }
    latencies.sort((a, b) => a - b);
    const messages = latencies.length;
    // The pace floor: M messages at R/s, arrivals spread over W s: the last one waits at least M/R - W s.
    const floorLastMs = Math.max(0, (total / TELEGRAM_PACE_PER_SECOND) * 1000 - windowMs);
    return {
      pupils, guardians, window_s: windowMs / 1000, messages, expected: total, duplicates, missing: total - new Set(received.keys()).size,
      decision_to_message_p50_ms: percentile(latencies, 50), decision_to_message_p99_ms: percentile(latencies, 99),
      decision_to_message_max_ms: latencies.at(-1) ?? NaN, messages_per_s: messages > 1 ? Number(((messages - 1) / ((last - first) / 1000)).toFixed(1)) : NaN,
      pace_per_s: TELEGRAM_PACE_PER_SECOND, floor_last_message_ms: Math.round(floorLastMs),
    };
  } finally {
    hub?.child.kill('SIGTERM');
    await tg.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
