// The answer to a request to know (Law 94-V): everything the hub holds about the child and where
// each item came from. Template vectors are never part of it: a template is listed by its id,
// modality, algorithm and size only (a vector is biometric data that would travel in the export).
import type { DeviceRecord } from '../storage.js';
import type { Holdings } from './store.js';

export interface ExportItem {
  kind: 'person' | 'person_details' | 'guardian' | 'consent' | 'credential' | 'template' | 'roster_other' | 'event' | 'alarm' | 'guardian_link' | 'audit';
  /** Where it is held and where it came from: table, row key, the device that sent it, when. */
  source: { table: string; key: string; origin: string; at: string | null };
  data: Record<string, unknown>;
}

export interface KnowExport {
  personId: string;
  generatedAt: string;
  summary: Record<string, number>;
  items: ExportItem[];
  /** Where the kiosks keep their copies: each device holds the roster rows above until told otherwise. */
  devices: Array<{ deviceId: string; name: string | null }>;
}

const iso = (ms: number): string | null => (Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString() : null);

function templateMetadata(data: Record<string, unknown> | null): Record<string, unknown> {
  const vector = typeof data?.data === 'string' ? data.data : '';
  return { id: data?.id ?? null, modality: data?.modality ?? null, algo: data?.algo ?? null, vectorBytes: Buffer.byteLength(vector, 'base64') };
}

function rosterItems(held: Holdings): ExportItem[] {
  return held.roster.map((row) => {
    const kind: ExportItem['kind'] = row.type === 'person' || row.type === 'credential' || row.type === 'template' ? row.type : 'roster_other';
    const data = row.op === 'delete' ? { deleted: true } : row.type === 'template' ? templateMetadata(row.data) : (row.data ?? {});
    // Roster rows are written by the school (admin API or console), never by a device.
    return { kind, source: { table: 'roster', key: `${row.type}/${row.entityId} cursor ${row.cursor}`, origin: 'school administration (roster)', at: null }, data };
  });
}

export function knowExport(personId: string, held: Holdings, devices: ReadonlyArray<Omit<DeviceRecord, 'tokenHash'>>, nowMs: number): KnowExport {
  const items: ExportItem[] = [
    ...rosterItems(held),
    ...held.events.map((e): ExportItem => ({ kind: 'event', source: { table: 'events', key: `hub_seq ${e.hubSeq}`, origin: `device ${e.deviceId}`, at: iso(e.receivedMs) }, data: e.body })),
    ...held.alarms.map((a): ExportItem => ({ kind: 'alarm', source: { table: 'seq_alarms', key: `id ${a.id}`, origin: `device ${a.deviceId}`, at: iso(a.atMs) }, data: { kind: a.kind, detail: a.detail } })),
    ...held.guardians.map((g): ExportItem => ({
      kind: 'guardian_link',
      source: { table: 'notify_guardians', key: g.id, origin: 'parents\' notifier (linked by the school)', at: iso(g.createdMs) },
      data: { language: g.language, channels: g.channels, noticesHeld: g.notices },
    })),
    // The console's hub-only details: entered by the school (class-list import or the people pages).
    ...(held.details?.person ? [{ kind: 'person_details' as const, source: { table: 'console_people', key: personId, origin: 'school administration (console)', at: null }, data: held.details.person }] : []),
    ...(held.details?.guardians ?? []).map((g): ExportItem => ({ kind: 'guardian', source: { table: 'console_guardians', key: g.id, origin: 'school administration (console)', at: null }, data: { name: g.name, phone: g.phone } })),
    // Consent given or withdrawn by a legal representative, as the school recorded it (append-only).
    ...(held.details?.consents ?? []).map((c): ExportItem => ({ kind: 'consent', source: { table: 'console_consents', key: String(c.id), origin: c.recorded_by === 'hub' ? 'the hub (term expired)' : `school administration (console, ${String(c.recorded_by)})`, at: iso(Number(c.recorded_ms)) }, data: c })),
    // Who in the school looked at or changed the child's data (the console's audit; append-only).
    ...held.audit.map((a): ExportItem => ({ kind: 'audit', source: { table: 'console_audit', key: `id ${a.id}`, origin: `console account ${a.username}`, at: iso(a.atMs) }, data: { action: a.action, subject: a.subject } })),
  ];
  const summary: Record<string, number> = {};
  for (const item of items) summary[item.kind] = (summary[item.kind] ?? 0) + 1;
  return { personId, generatedAt: new Date(nowMs).toISOString(), summary, items, devices: devices.map((d) => ({ deviceId: d.id, name: d.name })) };
}
