import { afterEach, describe, expect, it } from 'vitest';
import type { KioskAlarm, KioskDecision } from '../../../device/kiosk/index.js';
import { card, fillStore, kioskRig, type KioskRig } from './helpers.js';

let rig: KioskRig | null = null;
afterEach(async () => {
  await rig?.close();
  rig = null;
});

const unlocks = (r: KioskRig) => r.relayLog.filter((c) => c.energised);

describe('kiosk hot path (real SQLite, real door controller, simulated relay transport)', () => {
  it('commits the grant event before the relay command and reports the decision', async () => {
    rig = await kioskRig();
    const seen: KioskDecision[] = [];
    rig.kiosk.on('decision', (d: KioskDecision) => seen.push(d));
    const decision = await rig.kiosk.submit(card('04a2b91c'), 'main', 'in');
    expect(decision?.outcome).toBe('grant');
    expect(decision?.person?.id).toBe('p-1');
    const event = decision?.event;
    expect(event?.type).toBe('access.granted');
    expect(unlocks(rig)).toHaveLength(1);
    // At the instant the relay command was written, the grant was already committed.
    expect(unlocks(rig)[0]?.committedSeq).toBeGreaterThanOrEqual(event?.seq ?? Infinity);
    const stored = await rig.store.events.since(0, 10);
    expect(stored.find((e) => e.seq === event?.seq)).toMatchObject({ type: 'access.granted', personId: 'p-1', door: 'main', direction: 'in', credential: { kind: 'card', ref: 'c-1' } });
    expect(seen.map((d) => d.outcome)).toEqual(['grant']);
  });

  it('says it is deciding from the moment a presentation is queued until its door was commanded', async () => {
    rig = await kioskRig();
    expect(rig.kiosk.isDeciding()).toBe(false);
    const pending = rig.kiosk.submit(card('04a2b91c'), 'main', 'in');
    expect(rig.kiosk.isDeciding()).toBe(true);
    expect(await pending).toMatchObject({ outcome: 'grant' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(rig.kiosk.isDeciding()).toBe(false);
  });

  it('denies with a stable reason and never moves the relay: unknown, blocked, anti-passback, used one-time QR', async () => {
    rig = await kioskRig();
    const unknown = await rig.kiosk.submit(card('DEADBEEF'), 'main', 'in');
    expect(unknown).toMatchObject({ outcome: 'deny', reason: 'unknown' });
    // The raw card number of an unknown card is never recorded.
    expect(JSON.stringify(unknown?.event)).not.toContain('DEADBEEF');
    expect(await rig.kiosk.submit(card('04A2B91D'), 'main', 'in')).toMatchObject({ outcome: 'deny', reason: 'blocked' });
    expect(unlocks(rig)).toHaveLength(0);

    expect(await rig.kiosk.submit(card('04A2B91C'), 'main', 'in')).toMatchObject({ outcome: 'grant' });
    expect(await rig.kiosk.submit(card('04A2B91C'), 'main', 'in')).toMatchObject({ outcome: 'deny', reason: 'anti_passback' });

    const qr = { kind: 'qr' as const, readerId: 'main-in', monoMs: 1, value: 'ONCE-1' };
    expect(await rig.kiosk.submit(qr, 'main', 'out')).toMatchObject({ outcome: 'grant' });
    expect(await rig.kiosk.submit(qr, 'main', 'in')).toMatchObject({ outcome: 'deny', reason: 'credential_used' });
    const types = (await rig.store.events.since(0, 100)).map((e) => `${e.type}:${e.reason ?? ''}`);
    expect(types).toEqual(['access.denied:unknown', 'access.denied:blocked', 'access.granted:', 'access.denied:anti_passback', 'access.granted:', 'access.denied:credential_used']);
    // The second grant came while the strike was still released: the controller extends the pulse.
    expect(unlocks(rig)).toHaveLength(1);
    expect(rig.door.snapshot().locked).toBe(false);
  });

  it('fail mode secure: a store that cannot commit denies everyone, raises an alarm, and writes the held events when it recovers', async () => {
    rig = await kioskRig({ failMode: 'secure' });
    const alarms: KioskAlarm[] = [];
    rig.kiosk.on('alarm', (a: KioskAlarm) => alarms.push(a));
    await fillStore(rig.store);
    const denied = await rig.kiosk.submit(card('04A2B91C'), 'main', 'in');
    expect(denied).toMatchObject({ outcome: 'deny', reason: 'store_unavailable', event: null });
    expect(unlocks(rig)).toHaveLength(0);
    expect(alarms).toEqual([expect.objectContaining({ kind: 'store_unavailable', active: true })]);
    expect(rig.kiosk.status()).toMatchObject({ storeHealthy: false, heldInMemory: 1 });

    await rig.store.setMaxPageCount(1_000_000);
    const granted = await rig.kiosk.submit(card('0A11C0DE'), 'main', 'in');
    expect(granted?.outcome).toBe('grant');
    expect(alarms.at(-1)).toMatchObject({ active: false });
    const tail = (await rig.store.events.since(0, 100_000)).filter((e) => e.reason !== 'fill');
    expect(tail.map((e) => `${e.type}:${e.reason ?? ''}`)).toEqual(['access.denied:store_unavailable', 'alarm.raised:store_unavailable', 'alarm.cleared:store_unavailable', 'access.granted:']);
    expect(tail[0]?.data).toMatchObject({ deferred: true });
  });

  it('fail mode open-for-known: known active people pass while the store is full, unknown cards do not', async () => {
    rig = await kioskRig({ failMode: 'open-for-known' });
    await fillStore(rig.store);
    const known = await rig.kiosk.submit(card('04A2B91C'), 'main', 'in');
    expect(known).toMatchObject({ outcome: 'grant', event: null });
    expect(known?.flags).toContain('store_unavailable');
    expect(unlocks(rig)).toHaveLength(1);
    expect(await rig.kiosk.submit(card('DEADBEEF'), 'main', 'in')).toMatchObject({ outcome: 'deny', reason: 'unknown' });
    expect(await rig.kiosk.submit(card('04A2B91D'), 'main', 'in')).toMatchObject({ outcome: 'deny', reason: 'blocked' });
    expect(unlocks(rig)).toHaveLength(1);

    await rig.store.setMaxPageCount(1_000_000);
    await rig.kiosk.record({ type: 'audit', door: null, direction: null, personId: null, credential: null, reason: 'probe', data: {} });
    const tail = (await rig.store.events.since(0, 100_000)).filter((e) => e.reason !== 'fill');
    expect(tail.map((e) => `${e.type}:${e.personId ?? ''}`).slice(0, 3)).toEqual(['access.granted:p-1', 'access.denied:', 'access.denied:p-2']);
    expect(rig.kiosk.status()).toMatchObject({ storeHealthy: true, heldInMemory: 0 });
  });

  it('a flood at one reader is bounded and does not starve another reader', async () => {
    rig = await kioskRig({ queueCapacity: 2 });
    const flood = Array.from({ length: 40 }, () => rig!.kiosk.submit(card('DEADBEEF', 'flooded'), 'main', 'in'));
    const other = rig.kiosk.submit(card('04A2B91C', 'quiet'), 'main', 'in');
    expect((await other)?.outcome).toBe('grant');
    const results = await Promise.all(flood);
    const decided = results.filter((r) => r !== null);
    // One in progress plus the queue: everything else was dropped with a warning.
    expect(decided.length).toBeLessThanOrEqual(3);
    expect(results.filter((r) => r === null).length).toBeGreaterThanOrEqual(37);
  });

  it('records door supervision events from the controller', async () => {
    rig = await kioskRig();
    rig.sensor.set(true); // opened without a grant: forced
    await new Promise((resolve) => setTimeout(resolve, 50));
    const events = await rig.store.events.since(0, 10);
    expect(events.map((e) => e.type)).toContain('door.forced');
  });
});

describe('kiosk modes', () => {
  it('lockdown: pupils are refused, staff pass (the policy decides and the door honours it), all recorded', async () => {
    rig = await kioskRig();
    await rig.kiosk.setMode('lockdown', 'tester');
    expect(await rig.kiosk.submit(card('04A2B91C'), 'main', 'in')).toMatchObject({ outcome: 'deny', reason: 'lockdown' });
    expect(unlocks(rig)).toHaveLength(0);
    expect(await rig.kiosk.submit(card('0A11C0DE'), 'main', 'in')).toMatchObject({ outcome: 'grant', reason: null });
    expect(unlocks(rig)).toHaveLength(1);
    const events = await rig.store.events.since(0, 10);
    expect(events[0]).toMatchObject({ type: 'mode.changed', reason: 'lockdown', data: { from: 'normal', actor: 'tester' } });
    expect(events.filter((e) => e.type === 'access.denied').map((e) => e.personId)).toHaveLength(1);
    expect(events.filter((e) => e.type === 'access.granted').map((e) => e.personId)).toHaveLength(1);
  });
});

describe('readers', () => {
  it('a presentation at an attached simulated reader is decided at its door and direction', async () => {
    rig = await kioskRig();
    const { SimulatedCardReader } = await import('../../../device/hw/index.js');
    const reader = new SimulatedCardReader('main-out', 'main', 'out');
    rig.kiosk.attachReader(reader);
    await reader.start();
    const decided = new Promise<KioskDecision>((resolve) => rig!.kiosk.once('decision', resolve));
    reader.present('0a11c0de');
    expect(await decided).toMatchObject({ outcome: 'grant', door: 'main', direction: 'out', readerId: 'main-out' });
    reader.present('   '); // garbage: ignored by the reader with a warning, no decision
    await new Promise((resolve) => setTimeout(resolve, 50));
    const types = (await rig.store.events.since(0, 20)).map((e) => e.type);
    expect(types.filter((t) => t.startsWith('access.'))).toEqual(['access.granted']);
    expect(types).toContain('reader.status');
  });
});
