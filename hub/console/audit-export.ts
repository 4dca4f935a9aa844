// One account's actions over a period, as CSV (RFC 4180, with a guard against spreadsheet formula
// injection) or JSON. Periods are given as dates on the school's clock (whole days, `to` included)
// or as ISO date-times (`to` excluded).
import type { SchoolDay } from './attendance.js';
import type { AuditRecord } from './store.js';

/** More than any one person does in a year of school days; the export stays one bounded response. */
export const MAX_EXPORT_ROWS = 100_000;

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export function parsePeriod(from: string, to: string, day: SchoolDay): { fromMs: number; toMs: number } | null {
  const offset = day.utcOffsetMinutes * 60_000;
  const fromMs = DATE.test(from) ? Date.parse(`${from}T00:00:00Z`) - offset : Date.parse(from);
  const toMs = DATE.test(to) ? Date.parse(`${to}T00:00:00Z`) - offset + 86_400_000 : Date.parse(to);
  if (!Number.isFinite(fromMs) || !Number.isFinite(toMs) || toMs <= fromMs) return null;
  return { fromMs, toMs };
}

function csvCell(value: string): string {
  // A cell starting with = + - @ would be a formula in a spreadsheet: quote it as text.
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export const AUDIT_CSV_HEADER = ['id', 'at', 'username', 'action', 'address', 'subject', 'detail'];

export function auditCsv(records: readonly AuditRecord[]): string {
  const lines = [AUDIT_CSV_HEADER.join(',')];
  for (const r of records) {
    lines.push([String(r.id), new Date(r.atMs).toISOString(), r.username, r.action, r.address, r.subject ?? '', JSON.stringify(r.detail)].map(csvCell).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

export function auditJson(records: readonly AuditRecord[]): string {
  return JSON.stringify(records.map((r) => ({ id: r.id, at: new Date(r.atMs).toISOString(), accountId: r.accountId, username: r.username, action: r.action, address: r.address, subject: r.subject, detail: r.detail })));
}
