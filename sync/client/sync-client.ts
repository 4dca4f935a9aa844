// The kiosk's link to the hub: push the outbox, pull the roster, run the hub's commands, on a
// timer that backs off with full jitter when the hub is away. It never throws into the kiosk:
// every failure becomes a state in status() and a later retry.
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import type { EventOutbox, RosterChange, RosterStore } from '../store/index.js';
import { DEFAULT_BACKOFF, fullJitterDelay, type BackoffPolicy } from './backoff.js';
import { HubHttp, SyncError } from './http.js';
import { OutboxPusher, type SeqConflict } from './pusher.js';
import { RosterPuller } from './roster-puller.js';
import type { ClockAnchor, CommandAck, HubCommand } from '../../protocol/index.js';

export type SyncLinkState = 'idle' | 'online' | 'offline' | 'backoff' | 'unauthorized';

export interface SyncStatus {
  state: SyncLinkState;
  backlog: number;
  quarantined: number;
  lastSuccessAt: string | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  consecutiveFailures: number;
  rosterCursor: string | null;
  /**
   * Events of ours the hub refused because another event already held their seq or id (a stolen
   * token, or a store restored from an old backup), since start: they stay quarantined here.
   */
  conflicts: number;
  lastConflict: (SeqConflict & { at: string }) | null;
}

export interface SyncTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface SyncClientOptions {
  baseUrl: string;
  deviceId: string;
  /** Read on every cycle, so a rotated token file takes effect without a restart. */
  token: () => Promise<string>;
  outbox: EventOutbox;
  roster: RosterStore & { replaceInProgress?(): Promise<boolean> };
  logger: Logger;
  onRosterApplied?: (changes: readonly RosterChange[], purgedPersonIds: readonly string[]) => void | Promise<void>;
  onCommand?: (command: HubCommand) => Promise<CommandAck>;
  /** Our events refused as seq/id conflicts (kept in quarantine): the kiosk records an alarm. */
  onConflict?: (conflicts: readonly SeqConflict[]) => void | Promise<void>;
  /** The hub's clock (Date header), epoch ms. */
  onServerTime?: (ms: number) => void;
  /** After every cycle (metrics, health). */
  onCycle?: (result: SyncCycleResult) => void;
  /** A trusted (bootId, monoMs, wallMs) of this boot, or null while the clock is untrusted. */
  clockAnchor?: () => ClockAnchor | null;
  dispatcher?: Dispatcher;
  timers?: SyncTimers;
  now?: () => number;
  random?: () => number;
  backoff?: BackoffPolicy;
  /** After notify(): how soon new events are pushed. */
  notifyDelayMs?: number;
  /** Between successful cycles. */
  intervalMs?: number;
  /** While unauthorized: how often to look whether the token changed; a full retry happens every unauthorizedRetryMs. */
  tokenCheckMs?: number;
  unauthorizedRetryMs?: number;
  batchSize?: number;
  rosterPageSize?: number;
  requestTimeoutMs?: number;
  userAgent?: string;
}

export interface SyncCycleResult {
  ok: boolean;
  pushed: number;
  rosterApplied: number;
  commands: number;
  error: string | null;
}

const MAX_REMEMBERED_ACKS = 1000;
const MAX_RETRY_AFTER_MS = 60 * 60_000;

export class SyncClient {
  private readonly http: HubHttp;
  private readonly pusher: OutboxPusher;
  private readonly puller: RosterPuller;
  private readonly timers: SyncTimers;
  private readonly now: () => number;
  private readonly log: Logger;
  private state: SyncLinkState = 'idle';
  private failures = 0;
  private lastSuccessMs: number | null = null;
  private lastError: string | null = null;
  private nextAttemptMs: number | null = null;
  private timer: unknown = null;
  private running = false;
  private current: Promise<SyncCycleResult> | null = null;
  private rejectedToken: string | null = null;
  private unauthorizedSinceMs = 0;
  private resyncRequested = false;
  private serverOffsetMs = 0;
  private conflicts = 0;
  private lastConflict: SyncStatus['lastConflict'] = null;
  /** Commands already executed, with their ack: a lost ack is re-sent, the command is not run twice. */
  private readonly acks = new Map<string, CommandAck>();

  constructor(private readonly options: SyncClientOptions) {
    this.log = options.logger.child({ ns: 'sync' });
    this.timers = options.timers ?? { setTimeout: (cb, ms) => setTimeout(cb, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };
    this.now = options.now ?? Date.now;
    this.http = new HubHttp({
      baseUrl: options.baseUrl,
      dispatcher: options.dispatcher,
      requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
      userAgent: options.userAgent ?? 'esik/0.1',
      now: this.now,
    });
    const onServerTime = (ms: number): void => this.serverTime(ms);
    this.pusher = new OutboxPusher({
      http: this.http,
      outbox: options.outbox,
      deviceId: options.deviceId,
      logger: this.log,
      batchSize: options.batchSize ?? 500,
      clockAnchor: options.clockAnchor ?? (() => null),
      onServerTime,
      onConflict: (conflicts) => this.conflicted(conflicts),
    });
    this.puller = new RosterPuller({
      http: this.http,
      roster: options.roster,
      deviceId: options.deviceId,
      logger: this.log,
      pageSize: options.rosterPageSize ?? 1000,
      onRosterApplied: options.onRosterApplied ?? (() => undefined),
      onServerTime,
    });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.clearTimer();
    await this.current?.catch(() => undefined);
  }

  /** New events were recorded: push soon rather than at the next interval (when not backing off). */
  notify(): void {
    if (!this.running || this.current !== null || (this.state !== 'online' && this.state !== 'idle')) return;
    // A short delay gathers a morning rush into one batch instead of a request per arrival.
    const soon = this.options.notifyDelayMs ?? 250;
    if (this.nextAttemptMs === null || this.nextAttemptMs - this.now() > soon) this.schedule(soon);
  }

  /** Runs one cycle now (after a running one); used by `esik sync now`. */
  async syncNow(): Promise<SyncCycleResult> {
    if (this.current) await this.current.catch(() => undefined);
    this.rejectedToken = null;
    this.clearTimer();
    return this.runCycle();
  }

  async status(): Promise<SyncStatus> {
    const backlog = await this.options.outbox.backlog();
    return {
      state: this.state,
      backlog: backlog.pending,
      quarantined: backlog.quarantined,
      lastSuccessAt: this.lastSuccessMs === null ? null : new Date(this.lastSuccessMs).toISOString(),
      lastError: this.lastError,
      nextAttemptAt: this.nextAttemptMs === null ? null : new Date(this.nextAttemptMs).toISOString(),
      consecutiveFailures: this.failures,
      rosterCursor: await this.options.roster.cursor(),
      conflicts: this.conflicts,
      lastConflict: this.lastConflict,
    };
  }

  private async conflicted(conflicts: readonly SeqConflict[]): Promise<void> {
    this.conflicts += conflicts.length;
    const last = conflicts.at(-1);
    if (last) this.lastConflict = { ...last, at: new Date(this.now()).toISOString() };
    this.log.error({ count: conflicts.length, first: conflicts[0] }, 'hub holds other events at our seqs or ids: ours are kept in quarantine');
    try {
      await this.options.onConflict?.(conflicts);
    } catch (error) {
      this.log.error({ err: error }, 'onConflict failed');
    }
  }

  private serverTime(ms: number): void {
    this.serverOffsetMs = ms - this.now();
    try {
      this.options.onServerTime?.(ms);
    } catch (error) {
      this.log.warn({ err: error }, 'onServerTime failed');
    }
  }

  private schedule(delayMs: number): void {
    this.clearTimer();
    if (!this.running) return;
    this.nextAttemptMs = this.now() + delayMs;
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      void this.runCycle();
    }, delayMs);
  }

  private clearTimer(): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
    this.nextAttemptMs = null;
  }

  private runCycle(): Promise<SyncCycleResult> {
    const cycle = this.cycle().finally(() => {
      if (this.current === cycle) this.current = null;
    });
    void cycle.then((result) => {
      try {
        this.options.onCycle?.(result);
      } catch (error) {
        this.log.warn({ err: error }, 'onCycle failed');
      }
    });
    this.current = cycle;
    return cycle;
  }

  private async cycle(): Promise<SyncCycleResult> {
    const result: SyncCycleResult = { ok: false, pushed: 0, rosterApplied: 0, commands: 0, error: null };
    let token: string | null = null;
    try {
      token = await this.options.token();
      if (this.waitingForNewToken(token)) {
        this.schedule(this.options.tokenCheckMs ?? 30_000);
        result.error = this.lastError;
        return result;
      }
      result.pushed = await this.pusher.pushAll(token);
      const pulled = await this.puller.pull(token, this.takeResync());
      result.rosterApplied = pulled.applied;
      result.commands = await this.runCommands(pulled.commands, token);
      if (this.takeResync()) result.rosterApplied += (await this.puller.pull(token, true)).applied;
      this.succeeded();
      result.ok = true;
    } catch (error) {
      result.error = this.failed(error, token);
    }
    return result;
  }

  private takeResync(): boolean {
    const requested = this.resyncRequested;
    this.resyncRequested = false;
    return requested;
  }

  private waitingForNewToken(token: string): boolean {
    if (this.state !== 'unauthorized' || this.rejectedToken === null) return false;
    if (token !== this.rejectedToken) return false;
    return this.now() - this.unauthorizedSinceMs < (this.options.unauthorizedRetryMs ?? 15 * 60_000);
  }

  private succeeded(): void {
    if (this.state !== 'online') this.log.info({ previous: this.state }, 'hub reachable: online');
    this.state = 'online';
    this.failures = 0;
    this.lastSuccessMs = this.now();
    this.lastError = null;
    this.rejectedToken = null;
    this.schedule(this.options.intervalMs ?? 10_000);
  }

  private failed(error: unknown, token: string | null): string {
    const sync = error instanceof SyncError ? error : new SyncError('protocol', error instanceof Error ? error.message : String(error));
    this.lastError = sync.message;
    this.failures += 1;
    if (sync.kind === 'unauthorized') {
      if (this.state !== 'unauthorized') this.unauthorizedSinceMs = this.now();
      this.state = 'unauthorized';
      this.rejectedToken = token;
      this.log.error({ status: sync.status }, 'hub refused our credentials: sync paused until the token changes');
      this.schedule(this.options.tokenCheckMs ?? 30_000);
      return sync.message;
    }
    const policy = this.options.backoff ?? DEFAULT_BACKOFF;
    const jitter = fullJitterDelay(this.failures - 1, policy, this.options.random ?? Math.random);
    // The hub's Retry-After is obeyed as given (bounded, so a bogus value cannot park us for days).
    const delay = sync.retryAfterMs !== null ? Math.min(sync.retryAfterMs, MAX_RETRY_AFTER_MS) : jitter;
    this.state = sync.kind === 'offline' ? 'offline' : 'backoff';
    this.log.warn({ kind: sync.kind, status: sync.status, delayMs: delay, failures: this.failures, error: sync.message }, 'sync failed; retrying later');
    this.schedule(delay);
    return sync.message;
  }

  private async runCommands(commands: readonly HubCommand[], token: string): Promise<number> {
    for (const command of commands) {
      let ack = this.acks.get(command.id);
      if (!ack) {
        ack = await this.execute(command);
        this.acks.set(command.id, ack);
        if (this.acks.size > MAX_REMEMBERED_ACKS) this.acks.delete(this.acks.keys().next().value as string);
      }
      await this.http.request('POST', `/v1/devices/${encodeURIComponent(this.options.deviceId)}/commands/${command.id}/ack`, token, ack);
    }
    return commands.length;
  }

  private async execute(command: HubCommand): Promise<CommandAck> {
    const hubNow = this.now() + this.serverOffsetMs;
    if (command.expiresAt !== null && Date.parse(command.expiresAt) <= hubNow) return { ok: false, error: 'expired before the device received it' };
    this.log.info({ id: command.id, kind: command.kind }, 'hub command');
    if (command.kind === 'roster.resync') {
      this.resyncRequested = true;
      return { ok: true, result: 'full roster re-pull scheduled' };
    }
    if (!this.options.onCommand) return { ok: false, error: `command ${command.kind} is not supported by this device` };
    try {
      return await this.options.onCommand(command);
    } catch (error) {
      return { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
  }
}
