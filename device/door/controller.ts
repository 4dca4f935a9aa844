// One door or turnstile: drives its lock relays, supervises its inputs and reports what happens.
//
// A relay is unlocked while any reason holds: a grant/exit pulse on it, emergency mode, or an
// active fire alarm; otherwise locked. Every relay command goes through #apply, which maps the
// lock state to a coil state via lock-polarity.ts (the single place that knows lock type, NO/NC
// and active-low), so no other code path can open a door by mistake.
//
// Modes: normal; lockdown (entering it relocks at once, cutting any running pulse; who may still
// pass - staff only - is the access policy's decision, so grants are honoured, and egress through
// the exit button keeps working as fire codes require); emergency (every relay held unlocked, no
// forced/held alarms); maintenance (grants work for relay tests, forced/held alarms suppressed
// while a technician works on the door).
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { coilEnergisedFor, type LockState, type LockType } from '../hw/index.js';
import type { DigitalInput, Relay } from '../hw/index.js';
import type { KioskMode } from '../vocabulary.js';
import type { Direction, DoorAlarm, DoorEvent, DoorEvents, DoorEventType, DoorSnapshot } from './types.js';
import { DoorSupervisor } from './supervisor.js';

/** An opening this soon after relocking is still the granted passage (the strike lags). */
export const RELOCK_GRACE_MS = 1000;

export interface DoorControllerOptions {
  name: string;
  kind: 'door' | 'turnstile';
  lockType: LockType;
  pulseMs: number;
  heldOpenMs: number;
  relays: { in: Relay; out?: Relay | undefined };
  /** Optional buzzer relay, pulsed on deny. */
  buzzer?: Relay | undefined;
  buzzerMs?: number | undefined;
  sensor?: DigitalInput | undefined;
  exitButton?: DigitalInput | undefined;
  fireAlarm?: DigitalInput | undefined;
  logger: Logger;
}

export class DoorRefusedError extends Error {
  constructor(
    readonly door: string,
    readonly reason: 'closed' | 'shutting_down',
  ) {
    super(`door ${door} refuses to unlock: ${reason}`);
  }
}

export class DoorController extends EventEmitter<DoorEvents> {
  readonly name: string;
  readonly kind: 'door' | 'turnstile';
  readonly lockType: LockType;
  /** Resolves once the initial "locked" command reached every relay (errors are logged, not thrown). */
  readonly ready: Promise<void>;
  readonly #options: DoorControllerOptions;
  readonly #logger: Logger;
  readonly #pulses = new Map<Relay, ReturnType<typeof setTimeout>>();
  readonly #commanded = new Map<Relay, LockState>();
  readonly #alarms = new Set<DoorAlarm>();
  readonly #supervisor: DoorSupervisor;
  #mode: KioskMode = 'normal';
  #fire = false;
  #lastUnlockReason = 'granted';
  #lastUnlockDirection: Direction = 'in';
  #relockedAt = Number.NEGATIVE_INFINITY;
  #buzzTimer: ReturnType<typeof setTimeout> | null = null;
  #closed = false;
  #shuttingDown = false;
  #lastState = '';
  readonly #onExit = (active: boolean): void => this.#exitRequest(active);
  readonly #onFire = (active: boolean): void => this.#fireChange(active);

  constructor(options: DoorControllerOptions) {
    super();
    this.name = options.name;
    this.kind = options.kind;
    this.lockType = options.lockType;
    this.#options = options;
    this.#logger = options.logger.child({ ns: 'door', door: options.name });
    this.#supervisor = new DoorSupervisor({
      sensor: options.sensor,
      heldOpenMs: options.heldOpenMs,
      classifyOpening: () => this.#classifyOpening(),
      report: (type, direction, reason) => this.#report(type, direction, reason),
      setAlarm: (alarm, on) => this.#setAlarm(alarm, on),
      changed: () => this.#emitState(),
    });
    options.exitButton?.on('change', this.#onExit);
    options.fireAlarm?.on('change', this.#onFire);
    if (options.fireAlarm?.read()) {
      this.#fire = true;
      this.#alarms.add('fire');
      this.#logger.error('fire alarm input already active at start: doors held unlocked');
    }
    this.#supervisor.setSuppressed(this.#alarmsSuppressed());
    this.ready = this.#applyAll();
  }

  get mode(): KioskMode {
    return this.#mode;
  }

  /** Unlocks `direction` for pulseMs; resolves once the relay command is written. A grant while unlocked extends the pulse. */
  async grant(direction: Direction): Promise<void> {
    this.#assertUsable();
    await this.#unlockFor(direction, 'granted');
  }

  /** No lock movement; a short buzz when a buzzer is fitted. */
  async deny(_direction: Direction): Promise<void> {
    const buzzer = this.#options.buzzer;
    if (!buzzer || this.#closed) return;
    if (this.#buzzTimer) clearTimeout(this.#buzzTimer);
    this.#buzzTimer = setTimeout(() => {
      this.#buzzTimer = null;
      buzzer.set(false).catch((error: unknown) => this.#logger.error({ err: error }, 'buzzer release failed'));
    }, this.#options.buzzerMs ?? 300);
    await buzzer.set(true);
  }

  async setMode(mode: KioskMode): Promise<void> {
    this.#assertUsable();
    if (mode === this.#mode) return;
    this.#logger.info({ from: this.#mode, to: mode }, 'door mode changed');
    this.#mode = mode;
    if (mode === 'lockdown') this.#clearPulses();
    this.#supervisor.setSuppressed(this.#alarmsSuppressed());
    this.#emitState();
    await this.#applyAll();
  }

  snapshot(): DoorSnapshot {
    const inUnlocked = this.#commanded.get(this.#options.relays.in) === 'unlocked';
    const out = this.#relayFor('out');
    const outUnlocked = this.#commanded.get(out) === 'unlocked';
    return {
      name: this.name,
      kind: this.kind,
      locked: !inUnlocked && !outUnlocked,
      unlocked: { in: inUnlocked, out: outUnlocked },
      open: this.#supervisor.isOpen(),
      mode: this.#mode,
      alarms: [...this.#alarms].sort(),
    };
  }

  /**
   * Shutdown: fail-safe locks (maglocks) are left unlocked and fail-secure locks (strikes) locked,
   * i.e. the state the lock takes by itself without power. A kiosk that stops must never trap
   * people behind a maglock, and must not leave a strike door open to the street; egress through
   * a fail-secure door is mechanical (the lever), so nobody is trapped either.
   */
  async safeState(): Promise<void> {
    this.#shuttingDown = true;
    this.#clearPulses();
    const state: LockState = this.lockType === 'fail-safe' ? 'unlocked' : 'locked';
    const results = await Promise.allSettled(this.#relays().map((relay) => this.#drive(relay, state)));
    if (this.#buzzTimer) clearTimeout(this.#buzzTimer);
    await this.#options.buzzer?.set(false).catch(() => undefined);
    const failed = results.filter((r) => r.status === 'rejected').length;
    this.#logger.info({ state, failed }, 'door in safe state for shutdown');
    if (failed > 0) throw new Error(`door ${this.name}: ${failed} relay(s) could not reach the safe state`);
  }

  /** Stops timers and input listeners; does not move relays (call safeState first) nor close them. */
  close(): Promise<void> {
    this.#closed = true;
    this.#clearPulses();
    if (this.#buzzTimer) clearTimeout(this.#buzzTimer);
    this.#options.exitButton?.off('change', this.#onExit);
    this.#options.fireAlarm?.off('change', this.#onFire);
    this.#supervisor.close();
    return Promise.resolve();
  }

  #assertUsable(): void {
    if (this.#closed) throw new DoorRefusedError(this.name, 'closed');
    if (this.#shuttingDown) throw new DoorRefusedError(this.name, 'shutting_down');
  }

  async #unlockFor(direction: Direction, reason: string): Promise<void> {
    const relay = this.#relayFor(direction);
    this.#lastUnlockReason = reason;
    this.#lastUnlockDirection = direction;
    const previous = this.#pulses.get(relay);
    if (previous) clearTimeout(previous);
    this.#pulses.set(
      relay,
      setTimeout(() => {
        this.#pulses.delete(relay);
        void this.#apply(relay);
      }, this.#options.pulseMs),
    );
    if (!(await this.#apply(relay))) throw new Error(`door ${this.name}: relay ${relay.name} did not accept the command`);
  }

  #exitRequest(pressed: boolean): void {
    if (!pressed || this.#closed || this.#shuttingDown) return;
    this.#report('door.exit_request', 'out', 'button');
    this.#unlockFor('out', 'exit_request').catch((error: unknown) => this.#logger.error({ err: error }, 'exit request unlock failed'));
  }

  #fireChange(active: boolean): void {
    if (active === this.#fire || this.#closed) return;
    this.#fire = active;
    this.#setAlarm('fire', active);
    this.#supervisor.setSuppressed(this.#alarmsSuppressed());
    this.#report(active ? 'alarm.fire' : 'alarm.cleared', null, 'fire_alarm');
    void this.#applyAll();
  }

  #classifyOpening(): { type: DoorEventType; direction: Direction | null; reason: string } {
    if (this.#fire) return { type: 'door.opened', direction: null, reason: 'fire_alarm' };
    if (this.#mode === 'emergency' || this.#mode === 'maintenance') return { type: 'door.opened', direction: null, reason: this.#mode };
    const unlocked = this.#relays().some((relay) => this.#commanded.get(relay) === 'unlocked');
    if (unlocked || Date.now() - this.#relockedAt <= RELOCK_GRACE_MS) {
      return { type: 'door.opened', direction: this.#lastUnlockDirection, reason: this.#lastUnlockReason };
    }
    return { type: 'door.forced', direction: null, reason: 'no_grant' };
  }

  #alarmsSuppressed(): boolean {
    return this.#fire || this.#mode === 'emergency' || this.#mode === 'maintenance';
  }

  #relayFor(direction: Direction): Relay {
    return direction === 'out' ? (this.#options.relays.out ?? this.#options.relays.in) : this.#options.relays.in;
  }

  #relays(): Relay[] {
    const { in: entry, out } = this.#options.relays;
    return out && out !== entry ? [entry, out] : [entry];
  }

  #wanted(relay: Relay): LockState {
    return this.#fire || this.#mode === 'emergency' || this.#pulses.has(relay) ? 'unlocked' : 'locked';
  }

  async #applyAll(): Promise<void> {
    await Promise.all(this.#relays().map((relay) => this.#apply(relay)));
  }

  /** Drives `relay` to the state its reasons want. Never throws: false (and an alarm) on failure. */
  async #apply(relay: Relay): Promise<boolean> {
    if (this.#shuttingDown) return false;
    const wanted = this.#wanted(relay);
    if (this.#commanded.get(relay) === wanted) return true;
    try {
      await this.#drive(relay, wanted);
      this.#setAlarm('relay_fault', false);
      return true;
    } catch (error) {
      this.#logger.error({ err: error, relay: relay.name, wanted }, 'relay command failed');
      this.#setAlarm('relay_fault', true);
      return false;
    }
  }

  async #drive(relay: Relay, state: LockState): Promise<void> {
    const contact = relay.wiring?.contact ?? 'NO';
    const before = this.#commanded.get(relay);
    this.#commanded.set(relay, state);
    try {
      await relay.set(coilEnergisedFor(this.lockType, contact, state));
    } catch (error) {
      this.#commanded.delete(relay);
      throw error;
    }
    if (before === 'unlocked' && state === 'locked') this.#relockedAt = Date.now();
    this.#logger.debug({ relay: relay.name, state }, 'relay driven');
    this.#emitState();
  }

  #clearPulses(): void {
    for (const timer of this.#pulses.values()) clearTimeout(timer);
    this.#pulses.clear();
  }

  #setAlarm(alarm: DoorAlarm, on: boolean): void {
    const had = this.#alarms.has(alarm);
    if (on === had) return;
    if (on) this.#alarms.add(alarm);
    else this.#alarms.delete(alarm);
    this.#emitState();
  }

  #report(type: DoorEventType, direction: Direction | null, reason: string): void {
    const event: DoorEvent = { type, door: this.name, direction, reason, at: Date.now() };
    const level = type === 'door.forced' || type === 'door.held_open' || type === 'alarm.fire' ? 'warn' : 'info';
    this.#logger[level]({ event: type, direction, reason }, 'door event');
    this.emit('event', event);
  }

  #emitState(): void {
    const snapshot = this.snapshot();
    const key = JSON.stringify(snapshot);
    if (key === this.#lastState) return;
    this.#lastState = key;
    this.emit('state', snapshot);
  }
}
