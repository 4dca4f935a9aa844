// The school console (issue 17), served by the hub under /console: accounts and roles, sessions,
// audit, attendance and device pages. registerConsole() adds it to a hub's fastify instance;
// seedDemoAccounts() makes one account per role for the demo.
import type { FastifyInstance } from 'fastify';
import type { TokenVerifier } from '../hub-auth.js';
import type { HubStorage } from '../storage.js';
import { ConsoleAccounts } from './accounts.js';
import { AttendanceReader, DEFAULT_SCHOOL_DAY, type SchoolDay } from './attendance.js';
import type { ConsoleContext } from './context.js';
import { EnrolmentService } from './enrolment.js';
import { HubFaceEngine, type EnrolmentFaceEngine } from '../faces/index.js';
import { PasswordPolicy } from './passwords.js';
import { DEFAULT_CONSOLE_LIMITS, consolePlugin, type ConsoleLimits } from './plugin.js';
import { PeopleService } from './people.js';
import { consoleStoreFor, peopleStoreFor } from './store-for.js';

export { ConsoleAccounts, MAX_ATTEMPTS, type LoginResult, type NewAccountInput } from './accounts.js';
export { DEFAULT_SCHOOL_DAY, type SchoolDay } from './attendance.js';
export { PasswordPolicy, MIN_PASSWORD_LENGTH } from './passwords.js';
export { ROLES, type Role } from './roles.js';
export type { AccountRecord, AuditRecord, ConsoleStore } from './store.js';
export { consoleStoreFor, peopleStoreFor } from './store-for.js';
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
}

export interface RegisterConsoleInput extends ConsoleOptions {
  storage: HubStorage;
  /** The hub's scrypt verifier (its worker thread). */
  hasher: TokenVerifier;
  now: () => number;
  secureCookies: boolean;
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
  const ctx: ConsoleContext = { store, accounts, attendance: new AttendanceReader(store, day), people, enrolment, day, now: input.now };
  const idleTimeoutMs = input.idleTimeoutMs ?? 15 * 60_000;
  await app.register(consolePlugin, { prefix: '/console', ctx, idleTimeoutMs, secureCookies: input.secureCookies, limits: { ...DEFAULT_CONSOLE_LIMITS, ...input.limits } });
  // Expired sessions are refused when read; this only keeps the table small.
  const sweep = setInterval(() => {
    store.deleteExpiredSessions(input.now()).catch((error: unknown) => app.log.warn({ err: error }, 'console session sweep failed'));
  }, Math.max(60_000, idleTimeoutMs));
  sweep.unref();
  app.addHook('onClose', () => clearInterval(sweep));
}
