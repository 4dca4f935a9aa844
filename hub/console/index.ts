// The school console (issue 17), served by the hub under /console: accounts and roles, sessions,
// audit, attendance and device pages. registerConsole() adds it to a hub's fastify instance;
// seedDemoAccounts() makes one account per role for the demo.
import type { FastifyInstance } from 'fastify';
import { PollingLoop } from '../../lib/index.js';
import type { TokenVerifier } from '../hub-auth.js';
import type { LibraryStore } from '../library/index.js';
import type { PrivacyService } from '../privacy/index.js';
import type { HubStorage } from '../storage.js';
import { ConsoleAccounts } from './accounts.js';
import { AttendanceReader, DEFAULT_SCHOOL_DAY, type SchoolDay } from './attendance.js';
import type { ConsoleCanteen } from './canteen-pages.js';
import { ConsentService } from './consent.js';
import type { ConsoleContext } from './context.js';
import { EnrolmentService } from './enrolment.js';
import { HubFaceEngine, type EnrolmentFaceEngine } from '../faces/index.js';
import { PasswordPolicy } from './passwords.js';
import { DEFAULT_CONSOLE_LIMITS, consolePlugin, type ConsoleLimits } from './plugin.js';
import { PeopleService } from './people.js';
import { consentStoreFor, consoleStoreFor, peopleStoreFor } from './store-for.js';

export { ConsoleAccounts, MAX_ATTEMPTS, type LoginResult, type NewAccountInput } from './accounts.js';
export { DEFAULT_SCHOOL_DAY, type SchoolDay } from './attendance.js';
export { PasswordPolicy, MIN_PASSWORD_LENGTH } from './passwords.js';
export { ROLES, type Role } from './roles.js';
export type { AccountRecord, AuditRecord, ConsoleStore } from './store.js';
export { consentStoreFor, consoleStoreFor, peopleStoreFor } from './store-for.js';
export { ConsentService, purposeStates, type NewConsent, type PurposeState } from './consent.js';
export { ConsentStore, consentChannels, consentPurposes, type ConsentRecord, type ConsentPurpose, type ConsentChannel } from './consent-store.js';
export { parseIin, iinCheckDigit, makeIin } from './iin.js';
export { parseClassList, parseClassListBytes, type PupilRow, type RowError } from './class-import.js';
export { PeopleService } from './people.js';
export { seedDemoAccounts, createAccount, createDirector, unlockByName, type DemoAccount } from './seed.js';


export interface ConsoleOptions {
  /** Sign-out after this long without a request (default 15 minutes). */
  idleTimeoutMs?: number;
  schoolDay?: SchoolDay;
  limits?: Partial<ConsoleLimits>;
  /** Photo enrolment's face engine (default: biometric/ on a worker thread, loaded on first use). */
  faces?: EnrolmentFaceEngine;
  /** How often lapsed consent terms are withdrawn (default 10 minutes; also done before each consent page). */
  consentSweepMs?: number;
}

export interface RegisterConsoleInput extends ConsoleOptions {
  storage: HubStorage;
  /** The hub's scrypt verifier (its worker thread). */
  hasher: TokenVerifier;
  now: () => number;
  secureCookies: boolean;
  /** The hub's data-subject requests and devices' roster acknowledgements (hub/privacy), when served. */
  privacy?: PrivacyService | null;
  /** The canteen's ledger, meals, settings and top-ups (hub/canteen), for the canteen pages; without them they answer 404. */
  canteen?: Omit<ConsoleCanteen, 'storage'> | null;
  /** The school library, for the librarian's pages; without it they answer 404. */
  library?: LibraryStore | null;
}

export async function registerConsole(app: FastifyInstance, input: RegisterConsoleInput): Promise<void> {
  const store = await consoleStoreFor(input.storage);
  await store.migrate();
  const accounts = new ConsoleAccounts(store, input.hasher, await PasswordPolicy.load(), input.now);
  await accounts.start();
  const peopleStore = await peopleStoreFor(input.storage);
  await peopleStore.migrate();
  const day = input.schoolDay ?? DEFAULT_SCHOOL_DAY;
  const people = new PeopleService(input.storage, peopleStore);
  const faces = input.faces ?? new HubFaceEngine({ logger: app.log });
  app.addHook('onClose', () => faces.close());
  const enrolment = new EnrolmentService(input.storage, faces);
  const consent = await startConsent(app, input, peopleStore, day);
  const ctx: ConsoleContext = { store, accounts, attendance: new AttendanceReader(store, day), people, enrolment, consent, privacy: input.privacy ?? null, library: input.library ? { store: input.library, storage: input.storage } : null, day, now: input.now };
  const idleTimeoutMs = input.idleTimeoutMs ?? 15 * 60_000;
  await app.register(consolePlugin, { prefix: '/console', ctx, idleTimeoutMs, secureCookies: input.secureCookies, limits: { ...DEFAULT_CONSOLE_LIMITS, ...input.limits }, canteen: input.canteen ? { ...input.canteen, storage: input.storage } : null });
  // Expired sessions are refused when read; this only keeps the table small.
  const sweep = setInterval(() => {
    store.deleteExpiredSessions(input.now()).catch((error: unknown) => app.log.warn({ err: error }, 'console session sweep failed'));
  }, Math.max(60_000, idleTimeoutMs));
  sweep.unref();
  app.addHook('onClose', () => clearInterval(sweep));
}

/** The consent records' service, and its sweep withdrawing lapsed terms (consent.ts says why on the hub). */
async function startConsent(app: FastifyInstance, input: RegisterConsoleInput, people: Awaited<ReturnType<typeof peopleStoreFor>>, day: SchoolDay): Promise<ConsentService> {
  const store = await consentStoreFor(input.storage);
  await store.migrate();
  const privacy = input.privacy ?? null;
  // The school's calendar: the privacy service's zone when served, else the school day's offset.
  const today = (): string => privacy?.today() ?? new Date(input.now() + day.utcOffsetMinutes * 60_000).toISOString().slice(0, 10);
  const consent = new ConsentService({ storage: input.storage, store, people, privacy, now: input.now, today });
  const sweep = new PollingLoop(() => consent.expireDue(), input.consentSweepMs ?? 10 * 60_000, (error) => app.log.warn({ err: error }, 'consent expiry sweep failed; retrying'), true);
  sweep.start();
  app.addHook('onClose', () => sweep.stop());
  return consent;
}
