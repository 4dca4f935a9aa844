// Seq poisoning with a stolen token, end to end: a real kiosk store and sync client against the hub on
// a real socket. Forged events at future seqs are not stored (deferred); a forged event at the next
// seq collides with the kiosk's genuine one, which the kiosk keeps in quarantine and reports, while
// the hub records an alarm an operator can read. Seqs the kiosk will never send are declared skipped.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncClient, type SeqConflict } from '../../sync/client/index.js';
import { adminCall, allHubEvents, appendEvents, openKioskStore, pushEvents, registerDevice, silentLogger, startInProcessHub, tempDir, wireEvent, type InProcessHub } from './helpers.js';

describe('the seq rule', () => {
  let hub: InProcessHub;
  let tmp: { dir: string; cleanup: () => Promise<void> };

  beforeAll(async () => {
    hub = await startInProcessHub();
    tmp = await tempDir();
  });
  afterAll(async () => {
    await hub?.close();
    await tmp?.cleanup();
  });

  it('forged future seqs wait; a forged next seq is a visible conflict on both sides and the genuine event is kept', async () => {
    const token = await registerDevice(hub, 'kiosk-s');
    const store = await openKioskStore(join(tmp.dir, 'kiosk-s.db'), 'kiosk-s', randomBytes(32).toString('hex'));
    const conflicts: SeqConflict[] = [];
    const client = new SyncClient({
      baseUrl: hub.url, deviceId: 'kiosk-s', token: () => Promise.resolve(token), outbox: store.outbox, roster: store.roster, logger: silentLogger,
      onConflict: (found) => void conflicts.push(...found),
    });
    await appendEvents(store, 3);
    expect((await client.syncNow()).pushed).toBe(3);

    // The attacker holds the token. Events far ahead are not stored: they are deferred.
    const future = [wireEvent(10, { bootId: 'forged' }), wireEvent(11, { bootId: 'forged' })];
    const ahead = await pushEvents(hub, 'kiosk-s', token, { events: future });
    expect(ahead.json).toMatchObject({ accepted: [], rejected: [], expectedSeq: 4 });
    expect((ahead.json.deferred as Array<{ id: string }>).map((d) => d.id)).toEqual(future.map((e) => e.id));
    // At the next seq a forged event cannot be told from a genuine one: it is stored.
    const forged = wireEvent(4, { bootId: 'forged' });
    expect((await pushEvents(hub, 'kiosk-s', token, { events: [forged] })).json.accepted).toEqual([forged.id]);

    await appendEvents(store, 8); // seqs 4..11: 4 collides with the forged one; 10 and 11 must not
    const cycle = await client.syncNow();
    expect(cycle.ok).toBe(true);
    const onHub = (await allHubEvents(hub)).filter((e) => e.deviceId === 'kiosk-s');
    expect(onHub.map((e) => e.event.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(onHub.find((e) => e.event.seq === 4)?.event.id).toBe(forged.id);
    expect(onHub.filter((e) => future.some((f) => f.id === e.event.id))).toEqual([]);

    // Kiosk: the genuine seq 4 is kept, quarantined with the conflict, counted in status, reported.
    const quarantined = await store.outbox.quarantined(10);
    expect(quarantined.map((q) => q.event.seq)).toEqual([4]);
    expect(quarantined[0]?.error).toMatch(/^conflict: seq 4/);
    expect(conflicts.map((c) => c.seq)).toEqual([4]);
    expect(await client.status()).toMatchObject({ backlog: 0, quarantined: 1, conflicts: 1, lastConflict: { seq: 4, id: quarantined[0]?.event.id } });

    // Hub: an alarm the operator can read names both events.
    const alarms = await adminCall(hub, 'GET', '/v1/admin/alarms?deviceId=kiosk-s');
    expect(alarms.status).toBe(200);
    expect(alarms.json.alarms).toEqual([
      expect.objectContaining({ deviceId: 'kiosk-s', kind: 'seq_conflict', seq: 4, detail: { offeredId: quarantined[0]?.event.id, storedId: forged.id } }),
    ]);
    await store.close();
  });

  it('seqs the kiosk will never send (quarantined before the hub saw them) are declared skipped, and the events behind them go through', async () => {
    const token = await registerDevice(hub, 'kiosk-q');
    const store = await openKioskStore(join(tmp.dir, 'kiosk-q.db'), 'kiosk-q', randomBytes(32).toString('hex'));
    const client = new SyncClient({ baseUrl: hub.url, deviceId: 'kiosk-q', token: () => Promise.resolve(token), outbox: store.outbox, roster: store.roster, logger: silentLogger });
    await appendEvents(store, 5);
    // Seqs 1-2 quarantined locally, as after a batch refused whole down to single events.
    const [first, second] = await store.outbox.nextBatch(2, 1 << 20);
    await store.outbox.quarantine([{ id: first?.id ?? '', error: 'hub answered 413' }, { id: second?.id ?? '', error: 'hub answered 413' }]);
    expect((await client.syncNow()).pushed).toBe(3);
    const onHub = (await allHubEvents(hub)).filter((e) => e.deviceId === 'kiosk-q');
    expect(onHub.map((e) => e.event.seq)).toEqual([3, 4, 5]);
    const alarms = await adminCall(hub, 'GET', '/v1/admin/alarms?deviceId=kiosk-q');
    expect(alarms.json.alarms).toEqual([expect.objectContaining({ kind: 'seq_skipped', seq: 1, detail: expect.objectContaining({ to: 2 }) })]);
    // A second push carrying the same skip changes nothing.
    const again = await pushEvents(hub, 'kiosk-q', token, { events: [wireEvent(6)], skip: { from: 1, to: 2, reason: 'again' } });
    expect(again.json).toMatchObject({ expectedSeq: 7 });
    expect((await adminCall(hub, 'GET', '/v1/admin/alarms?deviceId=kiosk-q')).json.alarms).toHaveLength(1);
    await store.close();
  });
});
