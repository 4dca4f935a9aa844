// Device authentication on the hub under attack, on a real socket: an unknown id and a known id with
// a wrong token do the same work (both verified), a flood of wrong tokens is answered 429 with
// Retry-After while a legitimate device keeps pushing, and a flood against one device's id from
// another address cannot lock that device out.
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { fetch } from 'undici';
import { ScryptTokenVerifier, type TokenVerifier } from '../../hub/hub-auth.js';
import { adminCall, pushEvents, registerDevice, startInProcessHub, wireEvent, type InProcessHub } from './helpers.js';

/** The real verifier (scrypt on its worker thread), counting the verifications it is asked for. */
class CountingVerifier implements TokenVerifier {
  verifications = 0;
  private readonly inner = new ScryptTokenVerifier();
  verify(token: string, storedHash: string): Promise<boolean> {
    this.verifications += 1;
    return this.inner.verify(token, storedHash);
  }
  hash(token: string): Promise<string> {
    return this.inner.hash(token);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

const WRONG = 'w'.repeat(43);

/** A push from another loopback address (127.0.0.2), as a second machine on the network; resolves with the status. */
function pushFrom(localAddress: string, port: number, deviceId: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ events: [wireEvent(1)] });
    const req = request(
      { host: '127.0.0.1', port, localAddress, method: 'POST', path: `/v1/devices/${deviceId}/events`, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

let hub: InProcessHub | null = null;
afterEach(async () => {
  await hub?.close();
  hub = null;
});

describe('hub device authentication', () => {
  it('an unknown device id and a known id with a wrong token take the same path: one verification each, the same 401', async () => {
    const verifier = new CountingVerifier();
    hub = await startInProcessHub({ tokenVerifier: verifier });
    await registerDevice(hub, 'kiosk-known');
    const start = verifier.verifications;
    const known = await pushEvents(hub, 'kiosk-known', WRONG, { events: [wireEvent(1)] });
    expect(verifier.verifications - start).toBe(1);
    const unknown = await pushEvents(hub, 'kiosk-unknown', WRONG, { events: [wireEvent(1)] });
    expect(verifier.verifications - start).toBe(2);
    expect(known.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(unknown.json).toEqual(known.json);
  });

  it('a flood of wrong tokens for a known id gets 429s with Retry-After; a legitimate device pushes meanwhile', async () => {
    const verifier = new CountingVerifier();
    hub = await startInProcessHub({ tokenVerifier: verifier });
    const active = hub;
    await registerDevice(hub, 'kiosk-victim');
    const legitToken = await registerDevice(hub, 'kiosk-legit');
    expect((await pushEvents(hub, 'kiosk-legit', legitToken, { events: [wireEvent(1)] })).status).toBe(200);
    const before = verifier.verifications;

    const flood = Promise.all(Array.from({ length: 200 }, () => pushEvents(active, 'kiosk-victim', WRONG, { events: [wireEvent(1)] })));
    const legit = await pushEvents(hub, 'kiosk-legit', legitToken, { events: [wireEvent(2)] });
    const answers = await flood;
    expect(legit.status).toBe(200);
    expect(legit.json.accepted).toHaveLength(1);

    const statuses = answers.map((a) => a.status);
    expect(statuses.every((s) => s === 401 || s === 429 || s === 503)).toBe(true);
    const limited = answers.filter((a) => a.status === 429);
    expect(limited.length).toBeGreaterThan(100);
    for (const answer of limited) expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // The work a flood can cause is bounded by the per-address limit (30 a minute by default).
    expect(verifier.verifications - before).toBeLessThanOrEqual(30);
    // After the flood the address stays limited, still without verifying anything.
    const afterFlood = verifier.verifications;
    expect((await pushEvents(hub, 'kiosk-victim', WRONG, { events: [wireEvent(1)] })).status).toBe(429);
    expect(verifier.verifications).toBe(afterFlood);
  });

  it('a flood against a device id from another address cannot lock that device out of its own address', async () => {
    hub = await startInProcessHub({ authLimits: { failuresPerAddress: 1000, failuresPerDevice: 5 } });
    const token = await registerDevice(hub, 'kiosk-target');
    expect((await pushEvents(hub, 'kiosk-target', token, { events: [wireEvent(1)] })).status).toBe(200);
    const answers: number[] = [];
    for (let i = 0; i < 8; i += 1) answers.push(await pushFrom('127.0.0.2', hub.port, 'kiosk-target', WRONG));
    expect(answers).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    // A rotated token is not in the verified cache: the device goes through scrypt, from the
    // address it last authenticated from, while its id is locked for everyone else.
    const rotated = await adminCall(hub, 'POST', '/v1/admin/devices/kiosk-target/token');
    expect(rotated.status).toBe(200);
    expect((await pushEvents(hub, 'kiosk-target', rotated.json.token as string, { events: [wireEvent(2)] })).status).toBe(200);
    expect(await pushFrom('127.0.0.2', hub.port, 'kiosk-target', WRONG)).toBe(429);
  });

  it('admin token failures count against the address as well', async () => {
    hub = await startInProcessHub({ authLimits: { failuresPerAddress: 5 } });
    const answers = [];
    for (let i = 0; i < 8; i += 1) answers.push((await fetch(`${hub.url}/v1/admin/devices`, { headers: { authorization: `Bearer ${WRONG}` } })).status);
    expect(answers.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(answers.slice(5)).toEqual([429, 429, 429]);
  });
});
