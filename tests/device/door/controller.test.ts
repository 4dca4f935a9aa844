import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDoors, DoorController, DoorRefusedError, type DoorEvent, type DoorSnapshot } from '../../../device/door/index.js';
import { SimulatedInput, SimulatedRelay } from '../../../device/hw/index.js';

const logger = pino({ level: 'silent' });

interface Rig {
  door: DoorController;
  entry: SimulatedRelay;
  exit: SimulatedRelay;
  buzzer: SimulatedRelay;
  sensor: SimulatedInput;
  rex: SimulatedInput;
  fire: SimulatedInput;
  events: DoorEvent[];
  states: DoorSnapshot[];
}

function rig(kind: 'door' | 'turnstile' = 'door', lockType: 'fail-secure' | 'fail-safe' = 'fail-secure'): Rig {
  const entry = new SimulatedRelay('entry');
  const exit = new SimulatedRelay('exit');
  const buzzer = new SimulatedRelay('buzzer');
  const sensor = new SimulatedInput('sensor');
  const rex = new SimulatedInput('rex');
  const fire = new SimulatedInput('fire');
  const door = new DoorController({
    name: 'main',
    kind,
    lockType,
    pulseMs: 3000,
    heldOpenMs: 30_000,
    relays: kind === 'turnstile' ? { in: entry, out: exit } : { in: entry },
    buzzer,
    buzzerMs: 200,
    sensor,
    exitButton: rex,
    fireAlarm: fire,
    logger,
  });
  const events: DoorEvent[] = [];
  const states: DoorSnapshot[] = [];
  door.on('event', (e: DoorEvent) => events.push(e));
  door.on('state', (s: DoorSnapshot) => states.push(s));
  return { door, entry, exit, buzzer, sensor, rex, fire, events, states };
}

const types = (events: DoorEvent[]): string[] => events.map((e) => e.type);
/** Coil states commanded so far (fail-secure, NO: energised = unlocked). */
const coil = (relay: SimulatedRelay): boolean[] => relay.history.map((c) => c.energised);

describe('DoorController (fake timers)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2026-09-01T07:58:00Z') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('starts locked, grant unlocks for pulseMs, then relocks; the relay command is written when grant resolves', async () => {
    const r = rig();
    await r.door.ready;
    expect(coil(r.entry)).toEqual([false]);
    expect(r.door.snapshot()).toMatchObject({ name: 'main', kind: 'door', locked: true, open: false, mode: 'normal', alarms: [] });
    const start = Date.now();
    await r.door.grant('in');
    expect(coil(r.entry)).toEqual([false, true]);
    expect(r.door.snapshot().locked).toBe(false);
    await vi.advanceTimersByTimeAsync(2999);
    expect(r.entry.energised).toBe(true);
    await vi.advanceTimersByTimeAsync(1);
    expect(coil(r.entry)).toEqual([false, true, false]);
    expect(r.entry.history[2].at - start).toBe(3000);
    expect(r.states.at(-1)?.locked).toBe(true);
  });

  it('a second grant while unlocked extends the pulse without another relay write', async () => {
    const r = rig();
    await r.door.grant('in');
    await vi.advanceTimersByTimeAsync(2000);
    await r.door.grant('in');
    await vi.advanceTimersByTimeAsync(2500);
    expect(r.entry.energised).toBe(true);
    await vi.advanceTimersByTimeAsync(500);
    expect(coil(r.entry)).toEqual([false, true, false]);
  });

  it('deny never moves the lock and buzzes briefly', async () => {
    const r = rig();
    await r.door.ready;
    await r.door.deny('in');
    expect(coil(r.entry)).toEqual([false]);
    expect(coil(r.buzzer)).toEqual([true]);
    await vi.advanceTimersByTimeAsync(200);
    expect(coil(r.buzzer)).toEqual([true, false]);
  });

  it('door opened after a grant is door.opened; opened without one is door.forced until it closes', async () => {
    const r = rig();
    await r.door.grant('in');
    r.sensor.set(true);
    r.sensor.set(false);
    await vi.advanceTimersByTimeAsync(3000 + 1001);
    r.sensor.set(true);
    expect(r.door.snapshot().alarms).toEqual(['forced']);
    r.sensor.set(false);
    expect(r.events.map((e) => [e.type, e.reason])).toEqual([
      ['door.opened', 'granted'],
      ['door.closed', 'closed'],
      ['door.forced', 'no_grant'],
      ['door.closed', 'after_forced'],
    ]);
    expect(r.door.snapshot().alarms).toEqual([]);
  });

  it('an opening within the relock grace still counts as the granted passage', async () => {
    const r = rig();
    await r.door.grant('in');
    await vi.advanceTimersByTimeAsync(3500);
    r.sensor.set(true);
    expect(types(r.events)).toEqual(['door.opened']);
  });

  it('held open: one door.held_open after heldOpenMs, then door.closed', async () => {
    const r = rig();
    await r.door.grant('in');
    r.sensor.set(true);
    await vi.advanceTimersByTimeAsync(29_999);
    expect(types(r.events)).toEqual(['door.opened']);
    await vi.advanceTimersByTimeAsync(1);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(types(r.events)).toEqual(['door.opened', 'door.held_open']);
    expect(r.door.snapshot().alarms).toEqual(['held_open']);
    r.sensor.set(false);
    expect(r.events.at(-1)).toMatchObject({ type: 'door.closed', reason: 'after_held_open', door: 'main' });
    expect(r.door.snapshot().alarms).toEqual([]);
  });

  it('request-to-exit unlocks and reports door.exit_request; the opening is not forced', async () => {
    const r = rig();
    await r.door.ready;
    r.rex.set(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(r.entry.energised).toBe(true);
    r.rex.set(false);
    r.sensor.set(true);
    expect(r.events.map((e) => [e.type, e.direction, e.reason])).toEqual([
      ['door.exit_request', 'out', 'button'],
      ['door.opened', 'out', 'exit_request'],
    ]);
    await vi.advanceTimersByTimeAsync(3000);
    expect(r.entry.energised).toBe(false);
  });

  it('fire alarm holds the door unlocked until cleared, without forced or held alarms', async () => {
    const r = rig();
    await r.door.ready;
    r.fire.set(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(r.entry.energised).toBe(true);
    r.sensor.set(true);
    await vi.advanceTimersByTimeAsync(600_000);
    expect(r.entry.energised).toBe(true);
    expect(r.door.snapshot().alarms).toEqual(['fire']);
    r.sensor.set(false);
    r.fire.set(false);
    await vi.advanceTimersByTimeAsync(0);
    expect(r.entry.energised).toBe(false);
    expect(r.events.map((e) => [e.type, e.reason])).toEqual([
      ['alarm.fire', 'fire_alarm'],
      ['door.opened', 'fire_alarm'],
      ['door.closed', 'closed'],
      ['alarm.cleared', 'fire_alarm'],
    ]);
  });

  it('fire alarm already active at start: unlocked from the first command, no held-open alarm', async () => {
    const entry = new SimulatedRelay('entry');
    const sensor = new SimulatedInput('sensor', true);
    const fire = new SimulatedInput('fire', true);
    const door = new DoorController({ name: 'x', kind: 'door', lockType: 'fail-secure', pulseMs: 1000, heldOpenMs: 5000, relays: { in: entry }, sensor, fireAlarm: fire, logger });
    await door.ready;
    expect(coil(entry)).toEqual([true]);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(door.snapshot()).toMatchObject({ open: true, locked: false, alarms: ['fire'] });
    await door.close();
  });

  it('a pulse that ends during a fire alarm leaves the door unlocked', async () => {
    const r = rig();
    await r.door.grant('in');
    r.fire.set(true);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(r.entry.energised).toBe(true);
  });

  it('modes: emergency holds unlocked; lockdown relocks at once, egress button still works', async () => {
    const r = rig();
    await r.door.setMode('emergency');
    expect(r.entry.energised).toBe(true);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(r.door.snapshot()).toMatchObject({ mode: 'emergency', locked: false });
    await r.door.setMode('normal');
    await r.door.grant('in');
    await r.door.setMode('lockdown');
    expect(r.entry.energised).toBe(false);
    r.rex.set(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(r.entry.energised).toBe(true);
    await vi.advanceTimersByTimeAsync(3000);
    expect(r.entry.energised).toBe(false);
    // Who may pass in lockdown (staff) is the policy's call: a grant it makes is honoured.
    await r.door.grant('in');
    expect(r.entry.energised).toBe(true);
  });

  it('maintenance: grants work, a forced opening is not an alarm', async () => {
    const r = rig();
    await r.door.setMode('maintenance');
    r.sensor.set(true);
    expect(r.events.map((e) => [e.type, e.reason])).toEqual([['door.opened', 'maintenance']]);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(r.door.snapshot().alarms).toEqual([]);
  });

  it('turnstile: one door, two directions, each with its own relay', async () => {
    const r = rig('turnstile');
    await r.door.grant('in');
    expect([r.entry.energised, r.exit.energised]).toEqual([true, false]);
    await r.door.grant('out');
    expect(r.door.snapshot().unlocked).toEqual({ in: true, out: true });
    await vi.advanceTimersByTimeAsync(3000);
    expect([r.entry.energised, r.exit.energised]).toEqual([false, false]);
    r.rex.set(true);
    await vi.advanceTimersByTimeAsync(0);
    expect([r.entry.energised, r.exit.energised]).toEqual([false, true]);
  });

  it('safe state on shutdown: fail-secure locks, fail-safe unlocks; grants are refused afterwards', async () => {
    const secure = rig('door', 'fail-secure');
    await secure.door.grant('in');
    await secure.door.safeState();
    expect(secure.entry.energised).toBe(false); // NO contact: strike unpowered = locked
    await expect(secure.door.grant('in')).rejects.toThrow(/shutting_down/u);
    const safe = rig('door', 'fail-safe');
    await safe.door.ready;
    expect(safe.entry.energised).toBe(true); // maglock powered = locked
    await safe.door.safeState();
    expect(safe.entry.energised).toBe(false); // maglock released
    await vi.advanceTimersByTimeAsync(10_000);
    expect(coil(safe.entry)).toEqual([true, false]);
  });

  it('a relay that fails: grant rejects, relay_fault alarm, the next good command clears it', async () => {
    const entry = new SimulatedRelay('entry');
    let fail = false;
    const flaky = {
      name: 'flaky',
      get energised() {
        return entry.energised;
      },
      set: (on: boolean) => (fail ? Promise.reject(new Error('EIO')) : entry.set(on)),
      close: () => entry.close(),
    };
    const door = new DoorController({ name: 'side', kind: 'door', lockType: 'fail-secure', pulseMs: 1000, heldOpenMs: 30_000, relays: { in: flaky }, logger });
    await door.ready;
    fail = true;
    await expect(door.grant('in')).rejects.toThrow(/did not accept/u);
    expect(door.snapshot().alarms).toEqual(['relay_fault']);
    expect(entry.energised).toBe(false);
    fail = false;
    await door.grant('in');
    expect(door.snapshot().alarms).toEqual([]);
    await door.close();
  });

  it('close() stops supervision: inputs no longer produce events', async () => {
    const r = rig();
    await r.door.close();
    r.sensor.set(true);
    r.rex.set(true);
    r.fire.set(true);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(r.events).toEqual([]);
    await expect(r.door.grant('in')).rejects.toBeInstanceOf(DoorRefusedError);
  });
});

describe('createDoors from config', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('shares one fire-alarm input across doors: every door unlocks', async () => {
    const doors = await createDoors(
      [
        { name: 'main', relay: { driver: 'sim' }, sensor: { driver: 'sim' }, fireAlarm: { driver: 'sim' } },
        { name: 'gym', kind: 'turnstile', relay: { driver: 'sim' }, exitRelay: { driver: 'sim' }, fireAlarm: { driver: 'sim' } },
      ],
      { logger },
    );
    const fire = doors.parts('main')?.fireAlarm;
    expect(fire).toBeInstanceOf(SimulatedInput);
    expect(doors.parts('gym')?.fireAlarm).toBe(fire);
    (fire as SimulatedInput).set(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(doors.controllers().map((d) => d.snapshot().locked)).toEqual([false, false]);
    await doors.safeState();
    await doors.close();
  });

  it('refuses an invalid door config naming the field', async () => {
    await expect(createDoors([{ name: 'main', pulseMs: 10, relay: { driver: 'sim' } }], { logger })).rejects.toThrow(/pulseMs/u);
    await expect(createDoors([{ name: 'main', relay: { driver: 'gpio' } } as never], { logger })).rejects.toThrow(/pin/u);
  });
});
