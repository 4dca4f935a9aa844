// The top-up webhook as an operator configures it: hub/main.ts as a real child process on SQLite,
// its secret read from the file ESIK_HUB_CANTEEN_WEBHOOK_SECRET_FILE names (never argv). A signed
// payment applies once; without the variable the route is not served at all (404).
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newWebhookSecret } from '../../hub/notify/webhook.js';
import { adminCall, repoRoot, tempDir } from '../sync/helpers.js';

const ADMIN_TOKEN = 'admin-token-for-webhook-main-tests';

async function runHub(state: string, env: Record<string, string>): Promise<{ url: string; stop: () => Promise<void> }> {
  const base = { ...process.env };
  for (const name of ['ESIK_HUB_ADMIN_TOKEN', 'ESIK_HUB_DATABASE_URL', 'ESIK_HUB_STATE_DIR', 'ESIK_HUB_CANTEEN_WEBHOOK_SECRET_FILE', 'ESIK_HUB_CANTEEN_WEBHOOK_SECRET']) delete base[name];
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'hub/main.ts'), '--port', '0'], {
    env: { ...base, LOG_LEVEL: 'warn', ESIK_HUB_STATE_DIR: state, ESIK_HUB_ADMIN_TOKEN: ADMIN_TOKEN, ...env }, stdio: ['ignore', 'pipe', 'pipe'], cwd: repoRoot,
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const port = await new Promise<number>((resolvePort, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`hub did not start: ${stderr}`)), 30_000);
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const match = /"port":(\d+)[^\n]*"msg":"hub listening"/.exec(buffer);
      if (match) {
        clearTimeout(timer);
        resolvePort(Number(match[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`hub exited with ${String(code)}: ${stderr}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => new Promise<void>((done) => {
      if (child.exitCode !== null) return done();
      child.once('exit', () => done());
      child.kill('SIGTERM');
    }),
  };
}

function deliver(url: string, secret: string, body: string): Promise<Response> {
  const at = new Date();
  return fetch(`${url}/v1/canteen/topups/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'webhook-id': 'msg_main_1', 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': new Webhook(secret).sign('msg_main_1', at, body) },
    body,
  });
}

describe('the top-up webhook in a real hub process', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    tmp = await tempDir('esik-webhook-main-');
  });
  afterAll(async () => {
    await tmp?.cleanup();
  });

  it('reads its secret from the file the environment names, and is not served without one', async () => {
    const secret = newWebhookSecret();
    const secretFile = join(tmp.dir, 'provider-webhook-secret');
    await writeFile(secretFile, `${secret}\n`, { mode: 0o600 });
    const state = join(tmp.dir, 'state');
    const body = JSON.stringify({ type: 'payment.succeeded', data: { paymentId: 'pay-main-1', personId: 'p-1', amountTiyn: 70_000 } });

    const hub = await runHub(state, { ESIK_HUB_CANTEEN_WEBHOOK_SECRET_FILE: secretFile });
    try {
      const admin = { url: hub.url, adminToken: ADMIN_TOKEN };
      expect((await adminCall(admin, 'PUT', '/v1/admin/people/p-1', { name: 'Әсел Ғалымова', group: '5А', role: 'student', status: 'active', biometricConsent: false, displayConsent: 'short' })).status).toBe(200);
      expect((await deliver(hub.url, secret, body)).status).toBe(201);
      expect((await deliver(hub.url, secret, body)).status).toBe(200);
      expect((await deliver(hub.url, newWebhookSecret(), body)).status).toBe(401);
      expect((await adminCall(admin, 'GET', '/v1/admin/canteen/accounts/person:p-1')).json).toMatchObject({ balanceTiyn: 70_000 });
    } finally {
      await hub.stop();
    }

    const without = await runHub(state, {});
    try {
      expect((await deliver(without.url, secret, body)).status).toBe(404);
    } finally {
      await without.stop();
    }
  }, 90_000);
});
