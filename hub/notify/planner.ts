// Reads the hub's events in hub-seq order and turns each passage of a child into outbox rows, one per
// (event, guardian, channel), written together with the new cursor in one transaction: a crash
// before the commit re-reads the page, after it the rows are there; a key written twice is kept once.
import type { HubEvent, HubStorage } from '../storage.js';
import { outboxKey, type GuardianRecord, type NewOutboxRow, type NoticeKind, type NoticePayload, type NotifyStore } from './model.js';

export interface PlannerOptions {
  pageSize: number;
  /** A passage older than this when first read is not announced (a notifier back after a day's outage). */
  maxAgeMs: number;
}

export const DEFAULT_PLANNER_OPTIONS: PlannerOptions = { pageSize: 200, maxAgeMs: 3600_000 };

interface PlannerLogger {
  warn(object: Record<string, unknown>, message: string): void;
}

function noticeKind(event: HubEvent): NoticeKind | null {
  if (event.event.type !== 'access.granted' || event.event.personId === null) return null;
  if (event.event.direction === 'in') return 'arrival';
  if (event.event.direction === 'out') return 'departure';
  return null;
}

export class NoticePlanner {
  constructor(
    private readonly storage: HubStorage,
    private readonly store: NotifyStore,
    private readonly logger: PlannerLogger,
    private readonly now: () => number = Date.now,
    private readonly options: PlannerOptions = DEFAULT_PLANNER_OPTIONS,
  ) {}

  /** Plans pages until the reader is caught up. Returns how many rows were written. */
  async catchUp(): Promise<number> {
    let written = 0;
    for (;;) {
      const from = await this.store.cursor();
      const page = await this.storage.readEvents(from, this.options.pageSize);
      for (const bad of page.skipped) this.logger.warn({ hubSeq: bad.hubSeq, deviceId: bad.deviceId, error: bad.error }, 'notifier skipped an unreadable event');
      if (page.lastHubSeq === null || page.lastHubSeq <= from) return written;
      const rows = await this.rowsFor(page.events);
      // Another hub process moved the cursor first: its rows are the same keys; read on from there.
      if (await this.store.plan(from, page.lastHubSeq, rows, this.now())) written += rows.length;
      if (!page.more) return written;
    }
  }

  private async rowsFor(events: readonly HubEvent[]): Promise<NewOutboxRow[]> {
    const now = this.now();
    const passages = events.flatMap((event) => {
      const kind = noticeKind(event);
      const at = event.trueAt ?? event.receivedAt;
      if (kind === null || now - Date.parse(at) > this.options.maxAgeMs) return [];
      return [{ event, kind, at, personId: event.event.personId ?? '' }];
    });
    if (passages.length === 0) return [];
    const guardians = await this.store.activeGuardians([...new Set(passages.map((p) => p.personId))]);
    const byPerson = new Map<string, GuardianRecord[]>();
    for (const guardian of guardians) byPerson.set(guardian.personId, [...(byPerson.get(guardian.personId) ?? []), guardian]);
    const names = new Map<string, string | null>();
    const rows: NewOutboxRow[] = [];
    for (const passage of passages) {
      const forChild = byPerson.get(passage.personId);
      if (!forChild) continue;
      const firstName = await this.firstName(passage.personId, names);
      // A child deleted or blocked on the hub (consent withdrawn, left school) is not announced.
      if (firstName === null) continue;
      const payload: NoticePayload = { kind: passage.kind, eventId: passage.event.event.id, personId: passage.personId, firstName, at: passage.at, door: passage.event.event.door };
      for (const guardian of forChild) {
        if (guardian.telegramChat !== null) rows.push({ key: outboxKey(payload.eventId, guardian.id, 'telegram'), guardianId: guardian.id, channel: 'telegram', payload });
        if (guardian.webhookUrl !== null) rows.push({ key: outboxKey(payload.eventId, guardian.id, 'webhook'), guardianId: guardian.id, channel: 'webhook', payload });
      }
    }
    return rows;
  }

  private async firstName(personId: string, cache: Map<string, string | null>): Promise<string | null> {
    if (cache.has(personId)) return cache.get(personId) ?? null;
    const entity = await this.storage.rosterEntity('person', personId);
    const name = entity?.op === 'upsert' && entity.type === 'person' && entity.data.status === 'active' ? (entity.data.name.trim().split(/\s+/)[0] ?? null) : null;
    cache.set(personId, name);
    return name;
  }
}
