// Row <-> record conversions both console stores share. A read never throws on one bad stored row
// (GUIDE 4c): a roster row whose JSON does not parse is left out, not allowed to stop the page.
import { isRole } from './roles.js';
import type { AccountRecord, AuditRecord, RosterPerson } from './store.js';

export interface AccountRow {
  id: string;
  username: string;
  display_name: string;
  role: string;
  class_name: string | null;
  password_hash: string;
  failed_attempts: number | string;
  locked_at_ms: number | string | null;
  created_ms: number | string;
}

export function rowToAccount(row: AccountRow): AccountRecord | null {
  if (!isRole(row.role)) return null;
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    role: row.role,
    className: row.class_name,
    passwordHash: row.password_hash,
    failedAttempts: Number(row.failed_attempts),
    lockedAtMs: row.locked_at_ms === null ? null : Number(row.locked_at_ms),
    createdMs: Number(row.created_ms),
  };
}

export interface AuditRow {
  id: number | string;
  at_ms: number | string;
  account_id: string | null;
  username: string;
  action: string;
  address: string;
  subject: string | null;
  detail: string;
}

export function rowToAudit(row: AuditRow): AuditRecord {
  let detail: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(row.detail);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) detail = parsed as Record<string, unknown>;
  } catch {
    detail = { unreadable: true };
  }
  return { id: Number(row.id), atMs: Number(row.at_ms), accountId: row.account_id, username: row.username, action: row.action, address: row.address, subject: row.subject, detail };
}

export function rowToPerson(row: { entity_id: string; data: string | null }): RosterPerson | null {
  if (row.data === null) return null;
  try {
    const data = JSON.parse(row.data) as Record<string, unknown>;
    const text = (key: string): string | null => (typeof data[key] === 'string' ? data[key] : null);
    const name = text('name');
    if (name === null) return null;
    return { id: row.entity_id, name, group: text('group'), role: text('role') ?? 'student', status: text('status') ?? 'active' };
  } catch {
    return null;
  }
}

export const ACCOUNT_COLUMNS = 'id, username, display_name, role, class_name, password_hash, failed_attempts, locked_at_ms, created_ms';
