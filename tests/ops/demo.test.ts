// `npm start` as a newcomer runs it (scripts/demo/main.ts, a real process with its two real
// programs): the hub starts on SQLite in the demo folder, the kiosk is registered with it and pulls
// the school's roster from it (no seed file: a card is known only if the pull worked), a card
// presented at the kiosk reaches the hub's event API, Ctrl-C (SIGTERM) ends both programs, and a
// second start keeps the registration and the roster instead of making them again. The director
// signs into the hub's console with the password the demo printed.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminRequest } from '../../device/admin/index.js';
import { repoRoot } from '../device/daemon.js';
import { freePort } from './helpers/releases.js';

interface RunningDemo {
  child: ChildProcess;
  output: string[];
  ready: { kiosk: string; hub: string };
  exited: Promise<number | null>;
}

let dir: string;

async function startDemo(): Promise<RunningDemo> {
  const [kioskPort, healthPort] = [await freePort(), await freePort()];
  const args = ['--import', 'tsx', 'scripts/demo/main.ts', '--dir', dir, '--kiosk-port', String(kioskPort), '--health-port', String(healthPort), '--hub-port', '0'];
  const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'warn' } });
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  createInterface({ input: child.stderr }).on('line', (line) => output.push(line));
  const ready = await new Promise<{ kiosk: string; hub: string }>((resolve, reject) => {
    void exited.then((code) => reject(new Error(`demo ended (${code}) before it was ready:\n${output.join('\n')}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      output.push(line);
      if (line.includes('"demo ready"')) resolve(JSON.parse(line) as { kiosk: string; hub: string });
    });
  });
  return { child, output, ready, exited };
}

async function hubEvents(demo: RunningDemo): Promise<Array<{ event: { type: string; personId: string | null; reason: string } }>> {
  const token = (await readFile(join(dir, 'demo-hub', 'hub-admin-token'), 'utf8')).trim();
  const response = await fetch(`${demo.ready.hub}/v1/events?limit=5000`, { headers: { authorization: `Bearer ${token}` } });
  expect(response.status).toBe(200);
  return ((await response.json()) as { events: Array<{ event: { type: string; personId: string | null; reason: string } }> }).events;
}

/** Presents Нұрсұлтан's card until the kiosk knows him (the first roster pull may still be on its way). */
async function presentKnownCard(): Promise<Record<string, unknown>> {
  const socket = join(dir, 'demo', 'admin.sock');
  for (let attempt = 0; attempt < 60; attempt++) {
    const decision = (await adminRequest(socket, 'POST', '/v1/simulate', { actor: 'demo-test', door: 'main', value: '04A2B91D' })) as Record<string, unknown>;
    if (decision.personId === 'p-1002') return decision;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error('the kiosk never learned the roster from the hub');
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'esik-demo-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('npm start (the demo school)', () => {
  it('syncs a kiosk with its own hub, stops cleanly and starts again with what it made', async () => {
    const first = await startDemo();
    try {
      expect(first.output.join('\n')).toMatch(/kiosk\s+registered with the hub/u);
      expect(first.output.join('\n')).toMatch(/roster\s+\d+ changes loaded into the hub/u);
      const decision = await presentKnownCard();
      expect(decision).toMatchObject({ decided: true, personId: 'p-1002' });
      const deadline = Date.now() + 30_000;
      let arrived = false;
      while (!arrived && Date.now() < deadline) {
        arrived = (await hubEvents(first)).some((row) => row.event.personId === 'p-1002');
        if (!arrived) await new Promise((resolve) => setTimeout(resolve, 500));
      }
      expect(arrived).toBe(true);
      // The director signs into the console with the password the demo printed and sees the class.
      const director = /^\s+director\s+(\S+)\s+director$/mu.exec(first.output.join('\n'))?.[1];
      expect(director).toBeDefined();
      const login = await fetch(`${first.ready.hub}/console/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: first.ready.hub },
        body: new URLSearchParams({ username: 'director', password: director ?? '' }).toString(),
      });
      expect(login.status).toBe(302);
      const cookie = login.headers.get('set-cookie')?.split(';')[0] ?? '';
      const attendance = await fetch(`${first.ready.hub}/console/attendance`, { headers: { cookie } });
      expect(attendance.status).toBe(200);
      expect(await attendance.text()).toContain('5Б');
    } finally {
      first.child.kill('SIGTERM');
    }
    expect(await first.exited).toBe(0);
    // Both programs ended with the demo: nothing answers on the kiosk's or the hub's port.
    for (const url of [first.ready.kiosk, first.ready.hub]) expect(await fetch(url).then(() => 'answered', () => 'refused')).toBe('refused');

    const second = await startDemo();
    try {
      expect(second.output.join('\n')).toMatch(/kiosk\s+registered earlier with the hub/u);
      expect(second.output.join('\n')).toMatch(/roster\s+the hub's own/u);
      expect(await presentKnownCard()).toMatchObject({ personId: 'p-1002' });
    } finally {
      second.child.kill('SIGTERM');
    }
    expect(await second.exited).toBe(0);
  }, 240_000);
});
