// The hub's /v1/metrics: refused without a token, served to the admin and the read-only token, and
// it counts what happened: pushes by route and status, events by result, registered devices. A
// client walking random paths must not grow the label sets (one `unmatched` series, not one per URL).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushEvents, registerDevice, startInProcessHub, wireEvent, type InProcessHub } from '../sync/helpers.js';

const READER_TOKEN = 'reader-token-for-metrics-0123456789';
let hub: InProcessHub;

beforeAll(async () => {
  hub = await startInProcessHub({ readerToken: READER_TOKEN });
});
afterAll(async () => {
  await hub?.close();
});

async function scrape(token: string | null): Promise<{ status: number; text: string }> {
  const response = await fetch(`${hub.url}/v1/metrics`, { headers: token === null ? {} : { authorization: `Bearer ${token}` } });
  return { status: response.status, text: await response.text() };
}

function sample(text: string, series: string): number | null {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? null : Number(line.slice(series.length + 1));
}

describe('hub metrics', () => {
  it('are refused without a valid token', async () => {
    expect((await scrape(null)).status).toBe(401);
    expect((await scrape('not-the-token-0123456789')).status).toBe(401);
  });

  it('count pushes, events by result and devices, for the read-only token too', async () => {
    const token = await registerDevice(hub, 'metrics-kiosk');
    const first = [wireEvent(1), wireEvent(2), wireEvent(3)];
    expect((await pushEvents(hub, 'metrics-kiosk', token, { events: first })).status).toBe(200);
    // The same three again (duplicates) and one new.
    expect((await pushEvents(hub, 'metrics-kiosk', token, { events: [...first, wireEvent(4)] })).status).toBe(200);
    for (let i = 0; i < 50; i++) await fetch(`${hub.url}/scan-${i}-${Math.random()}`);

    const { status, text } = await scrape(READER_TOKEN);
    expect(status).toBe(200);
    expect(sample(text, 'esik_hub_events_total{result="accepted"}')).toBe(4);
    expect(sample(text, 'esik_hub_events_total{result="duplicate"}')).toBe(3);
    expect(sample(text, 'esik_hub_http_requests_total{route="/v1/devices/:deviceId/events",method="POST",status="200"}')).toBe(2);
    expect(sample(text, 'esik_hub_http_requests_total{route="unmatched",method="GET",status="404"}')).toBe(50);
    expect(text).not.toMatch(/scan-\d/);
    expect(sample(text, 'esik_hub_devices{state="enabled"}')).toBe(1);
    expect(sample(text, 'esik_hub_process_resident_memory_bytes')).toBeGreaterThan(0);
    expect((await scrape(hub.adminToken)).status).toBe(200);
  });
});
