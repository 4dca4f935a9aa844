// What every console route shares, handed to each by the plugin (no module state): the stores, the
// clock, and the helpers that render a page and write an audit record for the current request.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ConsoleAccounts } from './accounts.js';
import type { AttendanceReader, SchoolDay } from './attendance.js';
import type { ConsentService } from './consent.js';
import type { LibraryStore } from '../library/index.js';
import type { PrivacyService } from '../privacy/index.js';
import type { HubStorage } from '../storage.js';
import type { EnrolmentService } from './enrolment.js';
import type { PeopleService } from './people.js';
import { layout, type Html, type NavItem } from './html.js';
import { insightCatalog } from './insight-messages.js';
import { canteenCatalog } from './canteen-messages.js';
import { catalog, isLanguage, type Catalog, type Language } from './messages.js';
import { peopleCatalog } from './people-messages.js';
import { privacyCatalog } from './privacy-messages.js';
import { can } from './roles.js';
import type { AccountRecord, ConsoleStore } from './store.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in account, set in onRequest; null on the public routes. */
    consoleAccount: AccountRecord | null;
  }
}

export const LANG_COOKIE = 'esik_lang';

export interface ConsoleContext {
  store: ConsoleStore;
  accounts: ConsoleAccounts;
  attendance: AttendanceReader;
  people: PeopleService;
  enrolment: EnrolmentService;
  consent: ConsentService;
  /** Data-subject requests (hub/privacy); null on a storage without its tables (a test double). */
  privacy: PrivacyService | null;
  /** The school library (hub/library) and the roster its reports classify borrowers by; null when the hub serves none. */
  library: { store: LibraryStore; storage: HubStorage } | null;
  day: SchoolDay;
  now: () => number;
}

export function languageOf(request: FastifyRequest): Language {
  const chosen = request.cookies[LANG_COOKIE];
  return isLanguage(chosen) ? chosen : 'kk';
}

export function textsOf(request: FastifyRequest): Catalog {
  return catalog(languageOf(request));
}

/** The signed-in account; routes behind the auth hook only (the hook guarantees it). */
export function accountOf(request: FastifyRequest): AccountRecord {
  const account = request.consoleAccount;
  if (!account) throw new Error('console route reached without an account');
  return account;
}

function navFor(account: AccountRecord | null, lang: Language): NavItem[] {
  if (!account) return [];
  const t = catalog(lang);
  const items: NavItem[] = [];
  if (can(account.role, 'attendance.counts')) items.push({ href: '/console/attendance', label: t.attendance });
  if (can(account.role, 'attendance.own_class') && account.className) items.push({ href: `/console/classes/${encodeURIComponent(account.className)}`, label: `${t.klass} ${account.className}` });
  if (can(account.role, 'people.manage')) items.push({ href: '/console/people', label: peopleCatalog(lang).people });
  if (can(account.role, 'privacy.manage')) items.push({ href: '/console/privacy', label: privacyCatalog(lang).requests });
  if (can(account.role, 'staff.attendance')) items.push({ href: '/console/staff', label: insightCatalog(lang).staff });
  if (can(account.role, 'library.manage')) items.push({ href: '/console/library', label: insightCatalog(lang).library });
  if (can(account.role, 'canteen.manage')) items.push({ href: '/console/canteen', label: canteenCatalog(lang).canteen });
  if (can(account.role, 'devices')) items.push({ href: '/console/devices', label: t.devices });
  if (can(account.role, 'accounts.manage')) items.push({ href: '/console/accounts', label: t.accounts });
  if (can(account.role, 'audit.export')) items.push({ href: '/console/audit', label: t.audit });
  items.push({ href: '/console/password', label: t.changePassword });
  return items;
}

export function sendPage(request: FastifyRequest, reply: FastifyReply, title: string, body: Html, status = 200): FastifyReply {
  const lang = languageOf(request);
  const t = catalog(lang);
  const account = request.consoleAccount;
  const html = layout({
    lang,
    t,
    title,
    path: request.url.split('?')[0] ?? '/console',
    user: account ? { displayName: account.displayName, role: account.role } : null,
    nav: navFor(account, lang),
    csrfToken: account ? reply.generateCsrf() : null,
    body,
  });
  return reply.code(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(html);
}

/** Appends the request's audit record: who, what, when, from where, on whose data. */
export async function audit(ctx: ConsoleContext, request: FastifyRequest, action: string, subject: string | null, detail: Record<string, unknown> = {}, who?: AccountRecord | null): Promise<void> {
  const account = who === undefined ? request.consoleAccount : who;
  await ctx.store.appendAudit({
    atMs: ctx.now(),
    accountId: account?.id ?? null,
    username: account?.username ?? (typeof detail.username === 'string' ? detail.username : ''),
    action,
    address: request.ip,
    subject,
    detail,
  });
}
