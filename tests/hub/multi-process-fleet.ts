// The workload of the multi-process fault tests: real hub processes on one PostgreSQL database,
// simulated kiosks (bench/_hub-bench-kiosk.ts) that push and pull through whichever hub answers,
// two roster writers (one per hub slot), and a consumer paging the event read API as a
// parent-notification service would. Faults are the caller's: it kills a hub or the database
// while `run` is going, and swaps in a new hub with `replace`.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { SimulatedKiosk } from '../../bench/_hub-bench-kiosk.js';
import { adminRequest, registerDevice, startHubChild, type HubChild } from '../../bench/_hub-bench-process.js';

export interface FleetOptions {
  devices: number;
  /** Push-and-pull rounds per kiosk. */
  rounds: number;
  /** Pause between a kiosk's rounds, so the workload is still running when the fault comes. */
  roundPauseMs: number;
}

/** How long a kiosk (or writer, or consumer) keeps retrying before the run is declared stuck. */
const STUCK_AFTER_MS = 45_000;

export interface ConsumedEvent {
  hubSeq: number;
  deviceId: string;
  seq: number;
}

function randomInt(min: number, max: number): number {
  return min + Math.floor(Math.random() * (max - min + 1));
}

/** Two hub slots on one database; kiosks alternate between them and fail over to the other. */
export class Fleet {
  readonly hubs: HubChild[];
  kiosks: SimulatedKiosk[] = [];
  /** What the consumer read through the read API, in the order it read it. */
  readonly consumed: ConsumedEvent[] = [];
  pushes = 0;
  failovers = 0;
  rosterWrites = 0;
  private observer: SimulatedKiosk | null = null;
  private readonly sending = new Map<string, number>();
  private running = false;

  private constructor(
    readonly databaseUrl: string,
    hubs: HubChild[],
    readonly adminToken: string,
  ) {
    this.hubs = hubs;
  }

  /** Two hubs started at once on a fresh database (both migrate it), and the kiosks registered through either. */
  static async start(databaseUrl: string, devices: number): Promise<Fleet> {
    const adminToken = randomBytes(24).toString('base64url');
    const hubs = await Promise.all([startHubChild({ postgres: databaseUrl }, adminToken), startHubChild({ postgres: databaseUrl }, adminToken)]);
    const fleet = new Fleet(databaseUrl, hubs, adminToken);
    for (let i = 0; i < devices; i += 1) {
      const id = `kiosk-${i}`;
      fleet.kiosks.push(new SimulatedKiosk(id, await registerDevice(hubs[i % 2], id), `127.20.0.${i + 1}`));
    }
    fleet.observer = new SimulatedKiosk('observer', await registerDevice(hubs[0], 'observer'), '127.20.1.1');
    return fleet;
  }

  /** The roster as the hubs hold it now: a pull from the start by a device that never pulled before. */
  async hubRoster(): Promise<Map<string, unknown>> {
    const observer = this.observer as SimulatedKiosk;
    observer.cursor = null;
    await this.pull(observer, 0);
    return new Map(observer.roster);
  }

  /** Which hub processes died on their own, and what they said: a test failure names the cause. */
  describeHubs(): string {
    return this.hubs
      .map((hub, slot) => {
        const ended = hub.child.exitCode ?? hub.child.signalCode;
        return ended === null ? `hub ${slot} running` : `hub ${slot} exited (${String(ended)}): ${hub.stderr().slice(-1500)}`;
      })
      .join('; ');
  }

  /** Pushes in flight to the hub at `url` right now. */
  inFlight(url: string): number {
    return this.sending.get(url) ?? 0;
  }

  /** A new hub process in slot `slot` (after its predecessor was killed). */
  async replace(slot: number): Promise<void> {
    this.hubs[slot] = await startHubChild({ postgres: this.databaseUrl }, this.adminToken);
  }

  /** Until `work` succeeds on one hub or the other: starting with `preferred`, then alternating. */
  private async failover<T>(preferred: number, work: (hub: HubChild) => Promise<T | null>): Promise<T> {
    const started = performance.now();
    for (let attempt = 0; ; attempt += 1) {
      const hub = this.hubs[(preferred + attempt) % this.hubs.length];
      try {
        const result = await work(hub);
        if (result !== null) return result;
      } catch {
        // A refused connection or one cut mid-request: the other hub is tried next.
      }
      this.failovers += 1;
      if (performance.now() - started > STUCK_AFTER_MS) throw new Error(`no hub answered for ${STUCK_AFTER_MS} ms; ${this.describeHubs()}`);
      if (attempt % 2 === 1) await sleep(100 + Math.random() * 200);
    }
  }

  /** Pushes everything the kiosk holds, each batch to whichever hub answers 200. */
  async pushAll(kiosk: SimulatedKiosk, preferred: number): Promise<void> {
    while (kiosk.pending.length > 0) {
      await this.failover(preferred, async (hub) => {
        this.sending.set(hub.url, this.inFlight(hub.url) + 1);
        try {
          const outcome = await kiosk.push(hub.url, 40);
          return outcome.status === 200 && outcome.deferred === 0 ? outcome : null;
        } finally {
          this.sending.set(hub.url, this.inFlight(hub.url) - 1);
        }
      });
      this.pushes += 1;
    }
  }

  async pull(kiosk: SimulatedKiosk, preferred: number): Promise<void> {
    await this.failover(preferred, async (hub) => ((await kiosk.pull(hub.url)).status === 200 ? true : null));
  }

  private async kioskLoop(kiosk: SimulatedKiosk, index: number, options: FleetOptions): Promise<void> {
    for (let round = 0; round < options.rounds; round += 1) {
      // Now and then a big batch: a push that takes long enough to be cut by a fault.
      kiosk.enqueue(round % 7 === 3 ? 120 : randomInt(1, 12));
      const preferred = (index + round) % 2;
      await this.pushAll(kiosk, preferred);
      await this.pull(kiosk, 1 - preferred);
      await sleep(options.roundPauseMs);
    }
  }

  /** Adds, renames and deletes people through one hub slot (the other writer uses the other slot). */
  private async rosterWriter(slot: number): Promise<void> {
    for (let n = 0; this.running; n += 1) {
      const id = `w${slot}-p${n}`;
      const change =
        n % 5 === 4
          ? { method: 'DELETE' as const, path: `/v1/admin/people/w${slot}-p${n - 3}`, body: undefined }
          : n % 3 === 2
            ? { method: 'PUT' as const, path: `/v1/admin/people/w${slot}-p${n - 1}`, body: { name: `Renamed ${n}` } }
            : { method: 'PUT' as const, path: `/v1/admin/people/${id}`, body: { name: `Person ${n}`, group: `${1 + (n % 11)}A` } };
      // An answer lost to a fault leaves the change applied or not: the hubs' roster is the truth either way.
      await this.failover(slot, async (hub) => ((await adminRequest(hub, change.method, change.path, change.body)).status < 300 ? true : null));
      this.rosterWrites += 1;
      await sleep(randomInt(5, 40));
    }
  }

  /** Reads one page of events after `after`; returns the next `after` and whether there is more. */
  private async consumePage(after: number, preferred: number): Promise<{ next: number; more: boolean }> {
    const page = await this.failover(preferred, async (hub) => {
      const answer = await adminRequest(hub, 'GET', `/v1/events?after=${after}&limit=500`);
      return answer.status === 200 ? (answer.body as { events: Array<{ hubSeq: number; deviceId: string; event: { seq: number } }>; next: number; more: boolean }) : null;
    });
    for (const row of page.events) this.consumed.push({ hubSeq: row.hubSeq, deviceId: row.deviceId, seq: row.event.seq });
    return { next: page.next, more: page.more };
  }

  /** A consumer that pages the read API while events arrive, alternating between the hubs. */
  private async consumer(): Promise<number> {
    let after = 0;
    for (let n = 0; this.running; n += 1) {
      const page = await this.consumePage(after, n % 2);
      after = page.next;
      if (!page.more) await sleep(20);
    }
    return after;
  }

  /** Runs the kiosks to the end of their rounds, with the writers and the consumer alongside; `during` is the fault. */
  async run(options: FleetOptions, during: () => Promise<void>): Promise<void> {
    this.running = true;
    const background = Promise.all([this.rosterWriter(0), this.rosterWriter(1), this.consumer()]);
    // Awaited below; until then a failure of theirs is not an unhandled rejection.
    background.catch(() => undefined);
    const kiosks = Promise.all(this.kiosks.map((kiosk, index) => this.kioskLoop(kiosk, index, options)));
    try {
      await Promise.all([kiosks, during()]);
    } finally {
      this.running = false;
      const [, , after] = await background;
      // The consumer reads to the end once the last push was answered.
      let page = { next: after, more: true };
      while (page.more) page = await this.consumePage(page.next, 0);
    }
    // Every kiosk catches up with the roster as the writers left it, through the first slot.
    for (const kiosk of this.kiosks) await this.pull(kiosk, 0);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.kiosks, ...(this.observer ? [this.observer] : [])].map((k) => k.close()));
    await Promise.all(this.hubs.map((h) => h.stop()));
  }
}
