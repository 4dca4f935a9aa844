import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DoorController } from '../../../device/door/index.js';
import type { GpioDirection, GpioEdge, GpioFactory, GpioHandle, GpioLevel, GpioOptions } from '../../../device/hw/deps.js';
import { createInput, createRelay, InputConfigSchema, lockPinLevel, RelayConfigSchema, type LockType } from '../../../device/hw/index.js';

const logger = pino({ level: 'silent' });

/** A fake onoff Gpio: records every level written and lets the test drive edges. */
class FakeGpio implements GpioHandle {
  writes: GpioLevel[] = [];
  level: GpioLevel;
  unexported = false;
  watcher: ((err: Error | null | undefined, value: GpioLevel) => void) | null = null;
  constructor(
    readonly pin: number,
    readonly direction: GpioDirection,
    readonly edge: GpioEdge,
    readonly opts: GpioOptions,
  ) {
    this.level = direction === 'high' ? 1 : 0;
  }
  readSync(): GpioLevel {
    return this.level;
  }
  writeSync(value: GpioLevel): void {
    if (this.unexported) throw new Error('EBADF: pin unexported');
    this.writes.push(value);
    this.level = value;
  }
  watch(callback: (err: Error | null | undefined, value: GpioLevel) => void): void {
    this.watcher = callback;
  }
  unwatchAll(): void {
    this.watcher = null;
  }
  unexport(): void {
    this.unexported = true;
  }
  edgeTo(value: GpioLevel): void {
    this.level = value;
    this.watcher?.(null, value);
  }
}

function fakeGpioFactory(): { factory: GpioFactory; pins: Map<number, FakeGpio> } {
  const pins = new Map<number, FakeGpio>();
  const factory: GpioFactory = (pin, direction, edge, opts) => {
    const gpio = new FakeGpio(pin, direction, edge, opts);
    pins.set(pin, gpio);
    return gpio;
  };
  return { factory, pins };
}

// Written out by hand from the physics, not computed: a strike (fail-secure) unlocks when powered,
// a maglock (fail-safe) unlocks when unpowered; NC inverts; an active-low board inverts again.
const table: Array<[LockType, 'NO' | 'NC', boolean, { unlocked: 0 | 1; locked: 0 | 1 }]> = [
  ['fail-secure', 'NO', false, { unlocked: 1, locked: 0 }],
  ['fail-secure', 'NO', true, { unlocked: 0, locked: 1 }],
  ['fail-secure', 'NC', false, { unlocked: 0, locked: 1 }],
  ['fail-secure', 'NC', true, { unlocked: 1, locked: 0 }],
  ['fail-safe', 'NO', false, { unlocked: 0, locked: 1 }],
  ['fail-safe', 'NO', true, { unlocked: 1, locked: 0 }],
  ['fail-safe', 'NC', false, { unlocked: 1, locked: 0 }],
  ['fail-safe', 'NC', true, { unlocked: 0, locked: 1 }],
];

describe('lock polarity: all 8 combinations', () => {
  it.each(table)('%s, contact %s, activeLow %s', (lockType, contact, activeLow, expected) => {
    expect(lockPinLevel(lockType, { contact, activeLow }, 'unlocked')).toBe(expected.unlocked);
    expect(lockPinLevel(lockType, { contact, activeLow }, 'locked')).toBe(expected.locked);
  });
});

describe('DoorController over the onoff GPIO relay, per wiring', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it.each(table)('%s, contact %s, activeLow %s: pin levels through a grant and shutdown', async (lockType, contact, activeLow, expected) => {
    const { factory, pins } = fakeGpioFactory();
    const relay = await createRelay(RelayConfigSchema.parse({ driver: 'gpio', pin: 17, contact, activeLow }), { logger, gpio: factory });
    const pin = pins.get(17)!;
    // Exported directly at the coil-off level: no glitch before the first command.
    expect(pin.direction).toBe(activeLow ? 'high' : 'low');
    const door = new DoorController({ name: 'main', kind: 'door', lockType, pulseMs: 3000, heldOpenMs: 30_000, relays: { in: relay }, logger });
    await door.ready;
    expect(pin.level).toBe(expected.locked);
    await door.grant('in');
    expect(pin.level).toBe(expected.unlocked);
    await vi.advanceTimersByTimeAsync(3000);
    expect(pin.level).toBe(expected.locked);
    await door.safeState();
    expect(pin.level).toBe(lockType === 'fail-safe' ? expected.unlocked : expected.locked);
    await door.close();
    await relay.close();
    expect(pin.unexported).toBe(true);
  });
});

describe('GPIO drivers', () => {
  it('relay writes via writeSync and refuses after close', async () => {
    const { factory, pins } = fakeGpioFactory();
    const relay = await createRelay(RelayConfigSchema.parse({ driver: 'gpio', pin: 5, activeLow: true }), { logger, gpio: factory });
    await relay.set(true);
    await relay.set(false);
    expect(pins.get(5)!.writes).toEqual([0, 1]);
    expect(relay.energised).toBe(false);
    await relay.close();
    await expect(relay.set(true)).rejects.toThrow(/closed/u);
  });

  it('a failing write rejects and leaves the commanded state unchanged', async () => {
    const { factory, pins } = fakeGpioFactory();
    const relay = await createRelay(RelayConfigSchema.parse({ driver: 'gpio', pin: 6 }), { logger, gpio: factory });
    pins.get(6)!.unexported = true;
    await expect(relay.set(true)).rejects.toThrow(/EBADF/u);
    expect(relay.energised).toBe(false);
  });

  it('input watches both edges with debounce, inverts active-low, reports changes only, unexports on close', async () => {
    const { factory, pins } = fakeGpioFactory();
    const input = await createInput(InputConfigSchema.parse({ driver: 'gpio', pin: 27, activeLow: true, debounceMs: 30 }), { logger, gpio: factory });
    const pin = pins.get(27)!;
    expect(pin.edge).toBe('both');
    expect(pin.opts.debounceTimeout).toBe(30);
    const changes: boolean[] = [];
    input.on('change', (active: boolean) => changes.push(active));
    expect(input.read()).toBe(true); // level 0 at start, active-low
    pin.edgeTo(1);
    pin.edgeTo(1);
    pin.edgeTo(0);
    expect(changes).toEqual([false, true]);
    await input.close();
    expect(pin.unexported).toBe(true);
    expect(pin.watcher).toBeNull();
  });
});
