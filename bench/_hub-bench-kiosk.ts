// A simulated kiosk for the hub bench and the multi-process fault tests: what the real sync client
// does on the wire (sync/client/pusher.ts, roster-puller.ts), without a kiosk store. Its outbox is
// an in-memory queue in seq order: a batch leaves it only when a hub answers that it accepted the
// events or already had them, so a push whose answer was lost (a hub killed mid-push) is simply
// sent again, to the same hub or another. Its roster is what its pulls applied, by cursor.
import { v7 as uuidv7 } from 'uuid';
import { Client } from 'undici';
import { PROTOCOL_HEADER, PROTOCOL_VERSION, type PushResponse, type WireEvent, type WireRosterChange } from '../protocol/index.js';

/** The school's UTC offset the kiosks stamp on `at` (Kazakhstan: +05:00). */
const OFFSET_MS = 5 * 3_600_000;

export interface PushOutcome {
  status: number;
  latencyMs: number;
  /** Events that left the outbox (accepted or already stored). */
  settled: number;
  accepted: number;
  duplicates: number;
  /** Events the hub deferred (a gap before them): they stay queued. */
  deferred: number;
  retryAfterS: number | null;
}

export interface PullOutcome {
  status: number;
  latencyMs: number;
  changes: WireRosterChange[];
  pages: number;
}

function rosterKey(change: WireRosterChange): string {
  if (change.op === 'delete') return `${change.type}:${change.id}`;
  if (change.type === 'holiday') return `holiday:${change.data.date}`;
  if (change.type === 'setting') return `setting:${change.data.key}`;
  return `${change.type}:${change.data.id}`;
}

/** Upserts keyed by entity: what a full pull hands out, and what a device holds after its pulls. */
export function applyRosterChanges(roster: Map<string, WireRosterChange>, changes: readonly WireRosterChange[]): void {
  for (const change of changes) {
    if (change.op === 'delete') roster.delete(rosterKey(change));
    else roster.set(rosterKey(change), change);
  }
}

export class SimulatedKiosk {
  readonly bootId = `boot-${uuidv7()}`;
  /** Events not yet settled by a hub, oldest first. */
  pending: WireEvent[] = [];
  /** Events this kiosk has made, ever (its last seq). */
  made = 0;
  /** Events the hub refused outright: a correct hub never does, so the bench and tests report them. */
  readonly rejected: Array<{ id: string; error: string }> = [];
  readonly roster = new Map<string, WireRosterChange>();
  cursor: string | null = null;
  private readonly bootedAt = performance.now();
  private readonly clients = new Map<string, Client>();

  constructor(
    readonly id: string,
    readonly token: string,
    /** The source address of this kiosk's connections (127.x.y.z): each kiosk is its own client to the hub. */
    private readonly localAddress?: string,
  ) {}

  /** Makes `count` events (card presentations at the main door), as the door would record them. */
  enqueue(count: number): void {
    for (let i = 0; i < count; i += 1) {
      const wallMs = Date.now();
      this.made += 1;
      this.pending.push({
        id: uuidv7(),
        seq: this.made,
        deviceId: this.id,
        type: 'access.granted',
        at: new Date(wallMs + OFFSET_MS).toISOString().replace('Z', '+05:00'),
        timeTrusted: true,
        wallMs,
        monoMs: Math.round((performance.now() - this.bootedAt) * 1000) / 1000,
        bootId: this.bootId,
        door: 'main',
        direction: 'in',
        personId: `p-${this.id}-${this.made % 900}`,
        credential: { kind: 'card', ref: `card-${this.made % 900}` },
        reason: 'schedule',
      });
    }
  }

  /** One keep-alive connection per hub, like a kiosk's HTTP agent. */
  private client(url: string): Client {
    let client = this.clients.get(url);
    if (!client) {
      client = new Client(url, { pipelining: 1, keepAliveTimeout: 60_000, headersTimeout: 60_000, bodyTimeout: 60_000, ...(this.localAddress ? { localAddress: this.localAddress } : {}) });
      this.clients.set(url, client);
    }
    return client;
  }

  private headers(json: boolean): Record<string, string> {
    return { authorization: `Bearer ${this.token}`, [PROTOCOL_HEADER]: PROTOCOL_VERSION, ...(json ? { 'content-type': 'application/json' } : {}) };
  }

  /** Pushes the oldest `batchSize` pending events; network errors are thrown, the events stay queued. */
  async push(url: string, batchSize: number): Promise<PushOutcome> {
    const batch = this.pending.slice(0, batchSize);
    const started = performance.now();
    const anchor = { bootId: this.bootId, monoMs: Math.round((performance.now() - this.bootedAt) * 1000) / 1000, wallMs: Date.now() };
    const response = await this.client(url).request({
      method: 'POST',
      path: `/v1/devices/${this.id}/events`,
      headers: this.headers(true),
      body: JSON.stringify({ events: batch, anchor }),
    });
    const text = await response.body.text();
    const latencyMs = performance.now() - started;
    const retryAfter = response.headers['retry-after'];
    const outcome: PushOutcome = { status: response.statusCode, latencyMs, settled: 0, accepted: 0, duplicates: 0, deferred: 0, retryAfterS: typeof retryAfter === 'string' ? Number(retryAfter) : null };
    if (response.statusCode !== 200) return outcome;
    const answer = JSON.parse(text) as PushResponse;
    const sent = new Set(batch.map((e) => e.id));
    const settled = new Set([...answer.accepted, ...answer.duplicates].filter((id) => sent.has(id)));
    for (const refused of answer.rejected) {
      if (sent.has(refused.id)) {
        this.rejected.push(refused);
        settled.add(refused.id);
      }
    }
    this.pending = this.pending.filter((e) => !settled.has(e.id));
    return { ...outcome, settled: settled.size, accepted: answer.accepted.length, duplicates: answer.duplicates.length, deferred: answer.deferred?.length ?? 0 };
  }

  /** Pulls roster pages from the cursor until the hub has no more; a pull from the start replaces the roster. */
  async pull(url: string, pageSize = 1000): Promise<PullOutcome> {
    const started = performance.now();
    const outcome: PullOutcome = { status: 200, latencyMs: 0, changes: [], pages: 0 };
    const fresh = new Map<string, WireRosterChange>();
    let replacing = this.cursor === null;
    let since = this.cursor;
    for (;;) {
      const query = `limit=${pageSize}${since === null ? '' : `&since=${since}`}`;
      const response = await this.client(url).request({ method: 'GET', path: `/v1/devices/${this.id}/roster?${query}`, headers: this.headers(false) });
      const text = await response.body.text();
      outcome.status = response.statusCode;
      if (response.statusCode === 410 && !replacing) {
        replacing = true;
        since = null;
        continue;
      }
      if (response.statusCode !== 200) break;
      const page = JSON.parse(text) as { changes: WireRosterChange[]; cursor: string; more: boolean };
      outcome.pages += 1;
      outcome.changes.push(...page.changes);
      applyRosterChanges(replacing ? fresh : this.roster, page.changes);
      since = page.cursor;
      // Like the real client, an incremental page is kept with its cursor; a pull from the start only whole.
      if (!replacing) this.cursor = since;
      if (page.more) continue;
      if (replacing) {
        this.roster.clear();
        for (const [key, change] of fresh) this.roster.set(key, change);
      }
      this.cursor = since;
      break;
    }
    outcome.latencyMs = performance.now() - started;
    return outcome;
  }

  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => c.destroy()));
    this.clients.clear();
  }
}
