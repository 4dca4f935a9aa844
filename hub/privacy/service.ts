// Data-subject requests (Law 94-V): registered with a deadline, then carried out. A block and a
// destruction go through the roster like any admin edit, so every kiosk applies them on its next
// pull; the request closes when every registered, enabled device has acknowledged a cursor at or
// past that change (the `since` of its next pull: it asks for what follows what it has applied).
import { randomBytes, randomUUID } from 'node:crypto';
import { rosterTypes, type WireRosterChange } from '../../protocol/index.js';
import { HubError } from '../errors.js';
import type { HubStorage } from '../storage.js';
import { knowExport, type KnowExport } from './export.js';
import { DEFAULT_DEADLINES, deadlineFor, isOverdue, type AckRecord, type DeadlineSettings, type DeviceAck, type NewRequest, type RequestKind, type RequestStatus, type StoredRequest } from './model.js';
import type { HeldRosterRow, PrivacyStore } from './store.js';

export interface PrivacyServiceOptions {
  storage: HubStorage;
  store: PrivacyStore;
  now: () => number;
  /** Any subset of the kinds' working days, and public holidays; the rest from DEFAULT_DEADLINES. */
  deadlines?: { workingDays?: Partial<Record<RequestKind, number>>; holidays?: readonly string[] };
  /** IANA zone of the school's calendar, for "today" when listing overdue requests. */
  timeZone?: string;
}

const MAX_EXPORT_EVENTS = 100_000;

type DeviceStates = Array<{ deviceId: string; ack: DeviceAck | null }>;

/** A random stand-in for an erased person's id in their events: nothing maps it back. */
function newPseudonym(): string {
  return `erased-${randomBytes(12).toString('hex')}`;
}

export class PrivacyService {
  private readonly deadlines: DeadlineSettings;
  /** Last acknowledged cursor per device, to skip writes that would change nothing (every pull asks). */
  private readonly knownAcks = new Map<string, number>();

  constructor(private readonly options: PrivacyServiceOptions) {
    this.deadlines = {
      workingDays: { ...DEFAULT_DEADLINES.workingDays, ...options.deadlines?.workingDays },
      holidays: options.deadlines?.holidays ?? DEFAULT_DEADLINES.holidays,
    };
  }

  /** Today's date in the school's calendar (YYYY-MM-DD). */
  today(): string {
    return new Intl.DateTimeFormat('en-CA', { timeZone: this.options.timeZone ?? 'Asia/Almaty', year: 'numeric', month: '2-digit', day: '2-digit' }).format(this.options.now());
  }

  async register(input: NewRequest): Promise<StoredRequest> {
    const request: StoredRequest = {
      ...input,
      id: randomUUID(),
      deadline: deadlineFor(input.receivedOn, input.kind, this.deadlines),
      status: 'open',
      createdMs: this.options.now(),
      targetCursor: null,
      executedMs: null,
      closedMs: null,
      record: null,
    };
    await this.options.store.insertRequest(request);
    return request;
  }

  /** The request, closed first if every device has now acknowledged it. */
  async get(id: string): Promise<StoredRequest & { overdue: boolean }> {
    const stored = await this.options.store.request(id);
    if (!stored) throw new HubError(404, 'not_found', `no request ${id}`);
    const request = await this.closeIfAcknowledged(stored);
    return { ...request, overdue: isOverdue(request, this.today()) };
  }

  async list(status: RequestStatus | null, overdueOnly: boolean, limit: number): Promise<Array<StoredRequest & { overdue: boolean }>> {
    const today = this.today();
    const out: Array<StoredRequest & { overdue: boolean }> = [];
    const stored = await this.options.store.listRequests(status, limit);
    // Read the devices once for the whole page, not once per request awaiting them.
    const states = stored.some((r) => r.status === 'awaiting_devices') ? await this.deviceStates() : [];
    for (const each of stored) {
      const request = await this.closeIfAcknowledged(each, states);
      const overdue = isOverdue(request, today);
      if (!overdueOnly || overdue) out.push({ ...request, overdue });
    }
    return out;
  }

  /** A device asked for the roster after `cursor`: it holds everything up to it. */
  async rosterPulled(deviceId: string, cursor: number): Promise<void> {
    if ((this.knownAcks.get(deviceId) ?? -1) >= cursor) return;
    await this.options.store.recordRosterAck(deviceId, cursor, this.options.now());
    this.knownAcks.set(deviceId, cursor);
  }

  /** Every enabled device's acknowledgement, `done` when at or past `cursor`. */
  async deviceAcks(cursor: number): Promise<AckRecord['devices']> {
    return (await this.ackRecord(cursor)).devices;
  }

  /** Carries out an open request: know answers at once; block and destroy wait for the devices. */
  async execute(id: string): Promise<{ request: StoredRequest; export?: KnowExport }> {
    const request = await this.options.store.request(id);
    if (!request) throw new HubError(404, 'not_found', `no request ${id}`);
    if (request.status !== 'open') throw new HubError(409, 'conflict', `request ${id} is ${request.status}`);
    if (request.kind === 'know') return this.answerKnow(request);
    const executedMs = this.options.now();
    const outcome = request.kind === 'block' ? await this.block(request.personId) : await this.destroy(request.personId);
    const done: StoredRequest = { ...request, status: 'awaiting_devices', targetCursor: outcome.cursor, executedMs, record: outcome.record };
    await this.options.store.updateRequest(done);
    return { request: await this.closeIfAcknowledged(done) };
  }

  /**
   * The answer to a closed request to know, computed again as of now: the console offers it as a
   * download after the request was carried out (the answer is not stored: it is the child's data).
   */
  async knowAnswer(id: string): Promise<KnowExport> {
    const request = await this.options.store.request(id);
    if (!request) throw new HubError(404, 'not_found', `no request ${id}`);
    if (request.kind !== 'know' || request.status !== 'closed') throw new HubError(409, 'conflict', `request ${id} is not an answered request to know`);
    return this.exportOf(request.personId);
  }

  private async exportOf(personId: string): Promise<KnowExport> {
    const held = await this.options.store.holdings(personId, MAX_EXPORT_EVENTS);
    return knowExport(personId, { ...held, roster: await this.openedRoster(held.roster) }, await this.options.storage.listDevices(), this.options.now());
  }

  /** The store reads roster rows as stored (names and templates sealed): open them through the storage. */
  private async openedRoster(rows: readonly HeldRosterRow[]): Promise<HeldRosterRow[]> {
    const out: HeldRosterRow[] = [];
    for (const row of rows) {
      const type = rosterTypes.find((t) => t === row.type);
      const opened = row.op === 'upsert' && type ? await this.options.storage.rosterEntity(type, row.entityId) : null;
      out.push(opened?.op === 'upsert' ? { ...row, data: opened.data } : row);
    }
    return out;
  }

  private async answerKnow(request: StoredRequest): Promise<{ request: StoredRequest; export: KnowExport }> {
    const exported = await this.exportOf(request.personId);
    const nowMs = this.options.now();
    const closed: StoredRequest = { ...request, status: 'closed', executedMs: nowMs, closedMs: nowMs, record: { answered: new Date(nowMs).toISOString(), items: exported.summary } };
    await this.options.store.updateRequest(closed);
    return { request: closed, export: exported };
  }

  private async block(personId: string): Promise<{ cursor: number; record: Record<string, unknown> }> {
    const current = await this.options.storage.rosterEntity('person', personId);
    if (current?.op !== 'upsert' || current.type !== 'person') throw new HubError(404, 'not_found', `no person ${personId}`);
    // Through applyRoster like the console's block: the hub and kiosks purge the credentials and
    // templates of a blocked person, and re-send them on unblock.
    const cursor = await this.options.storage.applyRoster([{ op: 'upsert', type: 'person', data: { ...current.data, status: 'blocked' } }]);
    return { cursor, record: { blocked: new Date(this.options.now()).toISOString() } };
  }

  private async destroy(personId: string): Promise<{ cursor: number; record: Record<string, unknown> }> {
    const held = await this.options.store.holdings(personId, 0);
    const dependants = held.roster.filter((row) => row.op === 'upsert' && (row.type === 'credential' || row.type === 'template'));
    // Explicit tombstones for each credential and template before the person's: a kiosk that
    // missed the person row still deletes what could identify them.
    const changes: WireRosterChange[] = dependants.map((row) => ({ op: 'delete', type: row.type as 'credential' | 'template', id: row.entityId }));
    changes.push({ op: 'delete', type: 'person', id: personId });
    const cursor = await this.options.storage.applyRoster(changes);
    // Events keep their place in each device's seq and the attendance counts, but under a random
    // pseudonym no table maps back to the child; credential refs and free data are dropped.
    const erased = await this.options.store.eraseHubCopies(personId, newPseudonym());
    return {
      cursor,
      record: { destroyed: new Date(this.options.now()).toISOString(), credentials: dependants.filter((r) => r.type === 'credential').length, templates: dependants.filter((r) => r.type === 'template').length, ...erased },
    };
  }

  /** Every registered, enabled device with its last acknowledged cursor (null: never pulled by cursor). */
  private async deviceStates(): Promise<DeviceStates> {
    const acks = new Map((await this.options.store.rosterAcks()).map((ack) => [ack.deviceId, ack]));
    const devices = (await this.options.storage.listDevices()).filter((device) => !device.disabled);
    return devices.map((device) => ({ deviceId: device.id, ack: acks.get(device.id) ?? null }));
  }

  private async ackRecord(targetCursor: number, states?: DeviceStates): Promise<AckRecord> {
    return {
      targetCursor,
      devices: (states ?? (await this.deviceStates())).map(({ deviceId, ack }) => ({
        deviceId, ackedCursor: ack?.cursor ?? null, ackedAt: ack ? new Date(ack.atMs).toISOString() : null, done: (ack?.cursor ?? -1) >= targetCursor,
      })),
    };
  }

  private async closeIfAcknowledged(request: StoredRequest, states?: DeviceStates): Promise<StoredRequest> {
    if (request.status !== 'awaiting_devices' || request.targetCursor === null) return request;
    const acks = await this.ackRecord(request.targetCursor, states);
    if (!acks.devices.every((device) => device.done)) return { ...request, record: { ...request.record, acknowledgements: acks } };
    // Events a kiosk recorded before it applied the delete may have been pushed since the
    // destruction: every device has now pulled past it, so they are in; pseudonymise them too (under
    // a new pseudonym: the first one is kept nowhere, deliberately).
    const late = request.kind === 'destroy' ? await this.options.store.eraseHubCopies(request.personId, newPseudonym()) : null;
    const record = { ...request.record, ...(late ? { lateEventsPseudonymised: late.eventsPseudonymised, ...(late.walTruncated === undefined ? {} : { walTruncatedAtClose: late.walTruncated }) } : {}), acknowledgements: acks };
    const closed: StoredRequest = { ...request, status: 'closed', closedMs: this.options.now(), record };
    await this.options.store.updateRequest(closed);
    return closed;
  }
}
