// The hot path: presentation → identify → decide → commit the event → drive the door → tell
// the screens. The door never moves before its event is committed; when the store cannot commit,
// the configured fail mode decides and an alarm is raised.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { CredentialReader, Presentation } from '../hw/index.js';
import type { EventClock, EventDraft, LastPassage, StoredEvent } from '../../sync/store/index.js';
import type { DoorEvent } from '../door/index.js';
import { decide, type CredentialModeRule, type Decision } from '../policy/index.js';
import type { AntiPassbackMode, Direction, KioskMode, PresentationAttackAction } from '../vocabulary.js';
import type { RosterCache } from '../roster-cache.js';
import { CredentialConsumedError } from '../../sync/store/index.js';
import { identify, type BiometricIdentifier, type Identification } from './identify.js';
import { PendingEventRing } from './pending-events.js';
import { alarmCleared, alarmRaised, doorEventDraft, modeChanged, readerStatusChanged } from '../system-events.js';
import { BoundedSerialQueue } from './reader-queue.js';
import type { FailMode, KioskAlarm, KioskDecision, KioskDoor, KioskEventLog, KioskEvents } from './types.js';

export interface KioskOptions {
  events: KioskEventLog;
  roster: RosterCache;
  doors: readonly KioskDoor[];
  clock: EventClock;
  logger: Logger;
  antiPassback: AntiPassbackMode;
  mode: KioskMode;
  failMode: FailMode;
  /** `policy.credentialModes`: combined modes per door and role (absent: any credential alone). */
  credentialModes?: readonly CredentialModeRule[];
  /** Per door ("*": the rest): what a face the liveness stage suspects does (absent: off). */
  presentationAttack?: Readonly<Record<string, PresentationAttackAction>>;
  biometric?: BiometricIdentifier | null;
  /** Last passage per person, from the store at start-up (anti-passback survives a restart). */
  lastPassages?: Map<string, LastPassage>;
  /** One-time credentials already consumed, from the store at start-up. */
  usedCredentialIds?: Set<string>;
  /** Presentations waiting per reader before new ones are dropped. */
  queueCapacity?: number;
  pendingCapacity?: number;
  /** How often events held in memory are retried while the store is failing. */
  retryIntervalMs?: number;
}

interface Job {
  presentation: Presentation;
  door: KioskDoor;
  direction: Direction;
  resolve: (decision: KioskDecision | null) => void;
}

/** Emits what KioskEvents lists: decisions, committed events, alarms, mode and reader changes. */
export class Kiosk extends EventEmitter<KioskEvents> {
  private readonly log: Logger;
  private readonly doors = new Map<string, KioskDoor>();
  private readonly queues = new Map<string, BoundedSerialQueue<Job>>();
  private readonly lastPassages: Map<string, LastPassage>;
  private readonly usedCredentialIds: Set<string>;
  private readonly pending: PendingEventRing;
  private readonly readers: CredentialReader[] = [];
  private biometric: BiometricIdentifier | null;
  private currentMode: KioskMode;
  private storeFailure: { sinceWallMs: number; detail: string } | null = null;
  private flushing: Promise<void> | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private accepting = true;
  private readonly dropped = new Map<string, { count: number; warnedAt: number }>();

  constructor(private readonly options: KioskOptions) {
    super();
    this.log = options.logger.child({ ns: 'kiosk' });
    this.biometric = options.biometric ?? null;
    this.currentMode = options.mode;
    this.lastPassages = options.lastPassages ?? new Map<string, LastPassage>();
    this.usedCredentialIds = options.usedCredentialIds ?? new Set();
    this.pending = new PendingEventRing(options.pendingCapacity ?? 10_000);
    for (const door of options.doors) {
      this.doors.set(door.name, door);
      door.on('event', (event) => void this.recordDoorEvent(event));
    }
  }

  get mode(): KioskMode {
    return this.currentMode;
  }

  /** The identifier in use (other stations, the canteen till, identify faces and palms through it too). */
  get biometricIdentifier(): BiometricIdentifier | null {
    return this.biometric;
  }

  /** The biometric wiring plugs its identifier in once the models are loaded. */
  setBiometricIdentifier(identifier: BiometricIdentifier | null): void {
    this.biometric = identifier;
  }

  attachReader(reader: CredentialReader): void {
    this.readers.push(reader);
    reader.on('presentation', (presentation) => {
      void this.submit(presentation, reader.door, reader.direction)
        .catch((error: unknown) => {
          this.log.error({ err: error, reader: reader.id }, 'presentation refused');
        })
        .finally(() => reader.settled?.(presentation));
    });
    reader.on('status', (status) => {
      this.log.info({ reader: reader.id, status }, 'reader status');
      this.emit('reader', { id: reader.id, status });
      void this.record(readerStatusChanged(reader, status));
    });
    reader.on('warning', (message) => this.log.warn({ reader: reader.id }, message));
  }

  /**
   * Queues a presentation at `door`. Resolves with the decision once the door was commanded,
   * or null when nothing was decided (more frames wanted, queue full, shutting down).
   */
  submit(presentation: Presentation, doorName: string, direction: Direction): Promise<KioskDecision | null> {
    const door = this.doors.get(doorName);
    if (door === undefined) return Promise.reject(new Error(`unknown door "${doorName}"`));
    if (!this.accepting) return Promise.resolve(null);
    return new Promise((resolvePromise) => {
      const queue = this.queueFor(presentation.readerId);
      queue.push({ presentation, door, direction, resolve: resolvePromise });
    });
  }

  /**
   * True while any presentation is queued or being decided. Work that can wait (the lobby board's
   * broadcasts) checks this and lets the door go first.
   */
  isDeciding(): boolean {
    for (const queue of this.queues.values()) if (queue.depth > 0) return true;
    return false;
  }

  async setMode(mode: KioskMode, actor: string | null = null): Promise<void> {
    const previous = this.currentMode;
    this.currentMode = mode;
    await Promise.all([...this.doors.values()].map((door) => Promise.resolve(door.setMode(mode))));
    this.emit('mode', mode);
    await this.record(modeChanged(mode, previous, actor));
  }

  /** Appends any event (audit, device.started, supervision); holds it in memory if the store fails. */
  async record(draft: EventDraft): Promise<StoredEvent | null> {
    const event = await this.tryAppend(draft);
    if (event === null) this.hold(draft);
    return event;
  }

  private async tryAppend(draft: EventDraft, consumeCredentialId?: string): Promise<StoredEvent | null> {
    // Held events go first so the log keeps the order things happened in.
    if (this.pending.size > 0) await this.flushPending();
    try {
      const event = await this.options.events.append(draft, consumeCredentialId === undefined ? undefined : { consumeCredentialId });
      this.emit('event', event);
      if (this.storeFailure !== null) this.storeRecovered();
      return event;
    } catch (error) {
      if (error instanceof CredentialConsumedError) throw error;
      this.storeFailed(error);
      return null;
    }
  }

  private hold(draft: EventDraft, consumeCredentialId?: string): void {
    this.pending.push({ draft: { ...draft, data: { ...draft.data, deferred: true, originalWallMs: this.options.clock.wallMs() } }, consumeCredentialId });
  }

  status(): { mode: KioskMode; failMode: FailMode; storeHealthy: boolean; heldInMemory: number; lostInMemory: number; queued: Record<string, number> } {
    const queued: Record<string, number> = {};
    for (const [id, queue] of this.queues) queued[id] = queue.depth;
    return { mode: this.currentMode, failMode: this.options.failMode, storeHealthy: this.storeFailure === null, heldInMemory: this.pending.size, lostInMemory: this.pending.lost, queued };
  }

  /** Shutdown: stop readers, drop unstarted presentations, finish in-flight decisions. */
  async drain(): Promise<void> {
    this.accepting = false;
    await Promise.allSettled(this.readers.map((reader) => reader.close()));
    for (const queue of this.queues.values()) queue.clear();
    await Promise.all([...this.queues.values()].map((queue) => queue.idle()));
    if (this.retryTimer !== null) clearInterval(this.retryTimer);
    this.retryTimer = null;
    if (this.pending.size > 0) await this.flushPending();
    // Still failing at shutdown: these never reached the disk. Say so loudly; the log is the last record.
    if (this.pending.size > 0) this.log.error({ heldInMemory: this.pending.size, lost: this.pending.lost }, 'ALARM: stopping with events that could not be recorded');
  }

  private queueFor(readerId: string): BoundedSerialQueue<Job> {
    let queue = this.queues.get(readerId);
    if (queue === undefined) {
      queue = new BoundedSerialQueue<Job>(
        this.options.queueCapacity ?? 4,
        (job) => this.process(job),
        (job) => {
          this.noteDropped(readerId, job.door.name);
          job.resolve(null);
        },
      );
      this.queues.set(readerId, queue);
    }
    return queue;
  }

  /** A camera drops frames all day long: warn at most once per second per reader, with a count. */
  private noteDropped(readerId: string, door: string): void {
    const now = this.options.clock.monoMs();
    const entry = this.dropped.get(readerId) ?? { count: 0, warnedAt: Number.NEGATIVE_INFINITY };
    entry.count += 1;
    if (now - entry.warnedAt >= 1000) {
      this.log.warn({ reader: readerId, door, dropped: entry.count }, 'presentations dropped: reader queue full');
      entry.count = 0;
      entry.warnedAt = now;
    }
    this.dropped.set(readerId, entry);
  }

  private async process(job: Job): Promise<void> {
    try {
      job.resolve(await this.decideAndActuate(job));
    } catch (error) {
      // Identification or the door failed: the door stays as it is (closed), nobody passes by mistake.
      this.log.error({ err: error, door: job.door.name, reader: job.presentation.readerId }, 'presentation failed');
      job.resolve(null);
    }
  }

  private async decideAndActuate(job: Job): Promise<KioskDecision | null> {
    const { presentation, door, direction } = job;
    const identification = await identify(presentation, this.options.roster, this.biometric, door.name);
    if (identification.kind === 'pending') return null;
    const policyDecision = this.decideFor(identification, presentation.kind, door.name, direction);
    const draft = this.accessDraft(identification, presentation.kind, door.name, direction, policyDecision);
    const person = identification.kind === 'identified' ? identification.person : null;
    const credential = identification.kind === 'identified' ? identification.credential : null;
    const consume = policyDecision.outcome === 'grant' && credential?.singleUse === true ? credential.id : undefined;

    const { event, decision } = await this.commit(draft, policyDecision, consume);
    if (decision.outcome === 'grant') {
      await door.grant(direction);
      if (person !== null) this.lastPassages.set(person.id, { direction, door: door.name, wallMs: this.options.clock.wallMs() });
      if (consume !== undefined) this.usedCredentialIds.add(consume);
    } else {
      await door.deny(direction);
    }
    const result: KioskDecision = {
      outcome: decision.outcome,
      reason: decision.reason,
      flags: event === null ? [...decision.flags, 'store_unavailable'] : decision.flags,
      door: door.name,
      direction,
      kind: presentation.kind,
      readerId: presentation.readerId,
      person,
      event,
      presentedMonoMs: presentation.monoMs,
      actuatedMonoMs: this.options.clock.monoMs(),
    };
    this.emit('decision', result);
    return result;
  }

  /** Commits the decision's event; what is returned is what the door must do. */
  private async commit(draft: EventDraft, policyDecision: Decision, consume: string | undefined): Promise<{ event: StoredEvent | null; decision: Decision }> {
    let decision = policyDecision;
    let event: StoredEvent | null;
    try {
      event = await this.tryAppend(draft, consume);
    } catch (error) {
      if (!(error instanceof CredentialConsumedError)) throw error;
      // Another reader consumed this one-time QR a moment ago: the second use is denied.
      decision = { outcome: 'deny', reason: 'credential_used', flags: policyDecision.flags };
      draft = { ...draft, type: 'access.denied', reason: 'credential_used' };
      consume = undefined;
      event = await this.tryAppend(draft);
    }
    if (event !== null) return { event, decision };
    const failed = this.applyFailMode(decision);
    // The held event says what really happened at the door.
    this.hold(failed === decision ? draft : { ...draft, type: 'access.denied', reason: failed.reason }, failed.outcome === 'grant' ? consume : undefined);
    return { event: null, decision: failed };
  }

  private decideFor(identification: Exclude<Identification, { kind: 'pending' }>, kind: Presentation['kind'], door: string, direction: Direction): Decision {
    if (identification.kind === 'bad_capture') return { outcome: 'deny', reason: 'bad_capture', flags: [] };
    const { clock, roster } = this.options;
    const { person, credential, liveness } = identification;
    const presentationAttack = liveness === undefined ? undefined : liveness.suspected ? 'suspected' : 'passed';
    return decide(
      { person, credential, kind, door, direction, nowWallMs: clock.wallMs(), utcOffsetMinutes: clock.utcOffsetMinutes(), clockTrusted: clock.trusted(), presentationAttack },
      {
        schedules: roster.roster.schedules,
        holidays: roster.roster.holidays,
        mode: this.currentMode,
        antiPassback: this.options.antiPassback,
        lastPassage: person === null ? undefined : this.lastPassages.get(person.id),
        credentialUsed: credential !== null && this.usedCredentialIds.has(credential.id),
        credentialModes: this.options.credentialModes,
        presentationAttack: this.options.presentationAttack,
      },
    );
  }

  private accessDraft(identification: Exclude<Identification, { kind: 'pending' }>, kind: Presentation['kind'], door: string, direction: Direction, decision: Decision): EventDraft {
    const identified = identification.kind === 'identified' ? identification : null;
    return {
      type: decision.outcome === 'grant' ? 'access.granted' : 'access.denied',
      door,
      direction,
      personId: identified?.person?.id ?? null,
      credential: { kind, ref: identified?.ref, score: identified?.score },
      reason: decision.reason,
      data: {
        ...(decision.flags.length > 0 ? { flags: decision.flags } : {}),
        ...(identification.kind === 'bad_capture' ? { capture: identification.reason } : {}),
        // Which checks a suspected face failed, for the school to review (flag) or explain (deny).
        ...(identified?.liveness?.suspected === true ? { liveness: { failed: identified.liveness.failed } } : {}),
      },
    };
  }

  /**
   * The event is not durable. `secure`: nobody passes. `open-for-known`: the policy's grant stands
   * (the policy only grants known, active people); the event waits in memory for the store.
   */
  private applyFailMode(decision: Decision): Decision {
    if (this.options.failMode === 'open-for-known' && decision.outcome === 'grant') return decision;
    if (decision.outcome === 'deny') return decision;
    return { outcome: 'deny', reason: 'store_unavailable', flags: decision.flags };
  }

  private async recordDoorEvent(event: DoorEvent): Promise<void> {
    this.log.info({ door: event.door, type: event.type, reason: event.reason }, 'door event');
    await this.record(doorEventDraft(event));
  }

  private storeFailed(error: unknown): void {
    const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    if (this.storeFailure === null) {
      this.storeFailure = { sinceWallMs: this.options.clock.wallMs(), detail };
      this.log.error({ err: error, failMode: this.options.failMode }, 'ALARM: events cannot be recorded; fail mode applies');
      const alarm: KioskAlarm = { kind: 'store_unavailable', active: true, detail };
      this.emit('alarm', alarm);
      this.retryTimer = setInterval(() => void this.flushPending(), this.options.retryIntervalMs ?? 5000);
      this.retryTimer.unref();
    }
  }

  private storeRecovered(): void {
    const failure = this.storeFailure;
    if (failure === null) return;
    this.storeFailure = null;
    if (this.retryTimer !== null) clearInterval(this.retryTimer);
    this.retryTimer = null;
    this.log.warn({ heldInMemory: this.pending.size, lost: this.pending.lost }, 'store writable again');
    this.emit('alarm', { kind: 'store_unavailable', active: false, detail: failure.detail } satisfies KioskAlarm);
    const alarmData = { sinceWallMs: failure.sinceWallMs, detail: failure.detail, lostEvents: this.pending.lost };
    this.pending.push({ draft: alarmRaised('store_unavailable', alarmData) });
    this.pending.push({ draft: alarmCleared('store_unavailable', alarmData) });
    void this.flushPending();
  }

  /** Writes held events oldest first; stops at the first failure. Single-flight. */
  private flushPending(): Promise<void> {
    this.flushing ??= (async () => {
      try {
        for (let held = this.pending.peek(); held !== undefined; held = this.pending.peek()) {
          const opts = held.consumeCredentialId === undefined ? undefined : { consumeCredentialId: held.consumeCredentialId };
          const event = await this.options.events.append(held.draft, opts);
          this.pending.shift();
          this.emit('event', event);
          if (this.storeFailure !== null) this.storeRecovered();
        }
      } catch (error) {
        this.storeFailed(error);
      } finally {
        this.flushing = null;
      }
    })();
    return this.flushing;
  }
}
