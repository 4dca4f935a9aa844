// What the console keeps in the hub's database, behind one contract implemented for SQLite
// (sqlite-store.ts) and PostgreSQL (pg-store.ts), like the hub's own HubStorage. Audit records are
// append-only in the database itself (triggers refuse UPDATE and DELETE), not merely by convention.
import type { Role } from './roles.js';

export interface AccountRecord {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  /** The class a class teacher is scoped to; null for every other role. */
  className: string | null;
  /** scrypt$N$r$p$salt$hash (hub/auth.ts). */
  passwordHash: string;
  /** Attempts counted since the last success (counted before each verification). */
  failedAttempts: number;
  lockedAtMs: number | null;
  createdMs: number;
}

export type NewAccount = Omit<AccountRecord, 'failedAttempts' | 'lockedAtMs'>;

export interface AuditEntry {
  atMs: number;
  /** null for an attempt by no known account (a wrong username). */
  accountId: string | null;
  username: string;
  action: string;
  address: string;
  /** Whose data the action touched: `class:5B`, `account:u-1`, `person:p-7`, `devices`, or null. */
  subject: string | null;
  detail: Record<string, unknown>;
}

export interface AuditRecord extends AuditEntry {
  id: number;
}

/** One roster person as the console reads it (students and staff alike). */
export interface RosterPerson {
  id: string;
  name: string;
  group: string | null;
  role: string;
  status: string;
}

export interface DeviceHealthRow {
  id: string;
  name: string | null;
  disabled: boolean;
  lastReceivedMs: number | null;
  eventsSince: number;
}

export interface ConsoleStore {
  migrate(): Promise<void>;

  createAccount(account: NewAccount): Promise<boolean>;
  accountByName(username: string): Promise<AccountRecord | null>;
  accountById(id: string): Promise<AccountRecord | null>;
  listAccounts(): Promise<AccountRecord[]>;
  /** Adds one attempt before it is verified and returns the new count; null for an unknown username. */
  countAttempt(username: string, nowMs: number, lockAt: number): Promise<number | null>;
  clearAttempts(id: string): Promise<void>;
  setPassword(id: string, passwordHash: string): Promise<boolean>;
  unlock(id: string): Promise<boolean>;

  /** The session-signing secret: the first process to ask stores `candidate`; every later one gets it. */
  sessionSecret(candidate: string): Promise<string>;
  saveSession(id: string, accountId: string | null, data: string, expiresMs: number): Promise<void>;
  loadSession(id: string, nowMs: number): Promise<string | null>;
  deleteSession(id: string): Promise<void>;
  deleteSessionsOf(accountId: string): Promise<void>;
  deleteExpiredSessions(nowMs: number): Promise<number>;

  appendAudit(entry: AuditEntry): Promise<void>;
  /** One account's records with fromMs <= at < toMs, oldest first, at most `limit`. */
  auditOf(accountId: string, fromMs: number, toMs: number, limit: number): Promise<AuditRecord[]>;

  rosterPeople(): Promise<RosterPerson[]>;
  /** Earliest granted entry ('in') per person with a true time in [fromMs, toMs). */
  firstArrivals(fromMs: number, toMs: number): Promise<Map<string, number>>;
  /** Earliest granted entry per person per local day (days start at UTC midnight - offsetMs) in [fromMs, toMs): the register. */
  dailyFirstArrivals(fromMs: number, toMs: number, offsetMs: number): Promise<Array<{ personId: string; firstMs: number }>>;
  /** Latest granted exit ('out') per person per local day in [fromMs, toMs): staff attendance's last-out time. */
  dailyLastExits(fromMs: number, toMs: number, offsetMs: number): Promise<Array<{ personId: string; lastMs: number }>>;
  deviceHealth(sinceMs: number): Promise<DeviceHealthRow[]>;
}
