// The notifier as hub/main.ts starts it, configured from the environment (secrets from files or the
// environment, never the command line, like the admin token):
//   ESIK_HUB_NOTIFY=1                      run the notifier (webhooks; Telegram too with a token)
//   ESIK_HUB_TELEGRAM_TOKEN_FILE / _TOKEN  the bot token (implies ESIK_HUB_NOTIFY)
//   ESIK_HUB_TELEGRAM_API_ROOT             another Bot API server (a local one, the emulator in tests)
//   ESIK_HUB_TIME_ZONE                     the school's time zone for notice times (Asia/Almaty)
//   ESIK_HUB_NOTIFY_LANGUAGE               kk | ru | en: replies to chats not linked yet (ru)
//   ESIK_HUB_NOTIFY_LOOPBACK_HTTP=1        allow http:// webhooks to loopback (tests only)
//   ESIK_HUB_NOTIFY_LEASE_MS               how long a claim holds an outbox row (60000; tests shorten it)
//   ESIK_HUB_SCHOOL_BELL=08:30             a first arrival after it is announced as late
//   ESIK_HUB_ABSENT_AT=10:00               not arrived by then on a school day: an absent notice
//   ESIK_HUB_SCHOOL_DAYS=1,2,3,4,5         ISO weekdays the school works (1 = Monday)
//   ESIK_HUB_PUBLIC_URL=https://hub.example the hub's address as guardians reach it: the bot's /page links
//   ESIK_HUB_NOTIFY_MEALS=0                no notice per meal served (low balances still; default on)
//   ESIK_HUB_LOW_BALANCE_TIYN=100000       a canteen balance below it is low (1 000 ₸); off: no such notices
//   ESIK_HUB_OVERDUE_AT=09:00              overdue books are checked from this local time; off: no such notices
//   ESIK_HUB_OVERDUE_REPEAT_DAYS=7         days between reminders while a book is out; 0: one notice only
//   ESIK_HUB_OVERDUE_MAX=4                 notices per loan and due date, the first included
import { readFile } from 'node:fs/promises';
import { parseStorageLocation } from '../open-storage.js';
import type { PgLogger } from '../pg-db.js';
import type { HubStorage } from '../storage.js';
import { parseHhMm, type AttendanceRules } from './attendance.js';
import type { CanteenNoticeRules } from './canteen-notices.js';
import type { OverdueRules } from './library-notices.js';
import { LANGUAGES, type NotifyStore } from './model.js';
import { DEFAULT_NOTIFIER_CONFIG, Notifier, type NoticeSources, type NotifierConfig, type NotifierLogger } from './notifier.js';
import { PgNotifyStore } from './pg-store.js';
import { SqliteNotifyStore } from './sqlite-store.js';

/** The notifier's store over the same database as the hub's storage (which has applied the migrations). */
export async function openNotifyStore(location: string, logger: PgLogger): Promise<NotifyStore> {
  const parsed = parseStorageLocation(location);
  if (parsed.kind === 'sqlite') return SqliteNotifyStore.open(parsed.file);
  const store = PgNotifyStore.open(parsed.url, logger);
  await store.migrate();
  return store;
}

async function telegramToken(env: NodeJS.ProcessEnv): Promise<string | null> {
  const file = env.ESIK_HUB_TELEGRAM_TOKEN_FILE;
  if (file) return (await readFile(file, 'utf8')).trim() || null;
  return env.ESIK_HUB_TELEGRAM_TOKEN?.trim() || null;
}

function positiveInteger(text: string, name: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`invalid ${name}: ${text}`);
  return value;
}

function attendanceFromEnv(env: NodeJS.ProcessEnv): Partial<AttendanceRules> {
  const rules: Partial<AttendanceRules> = { bell: env.ESIK_HUB_SCHOOL_BELL || null, absentAt: env.ESIK_HUB_ABSENT_AT || null };
  // Malformed times refuse the start here rather than being ignored.
  parseHhMm(rules.bell ?? null);
  parseHhMm(rules.absentAt ?? null);
  if (env.ESIK_HUB_SCHOOL_DAYS) {
    const days = env.ESIK_HUB_SCHOOL_DAYS.split(',').map((d) => Number(d.trim()));
    if (days.some((d) => !Number.isInteger(d) || d < 1 || d > 7)) throw new Error(`invalid ESIK_HUB_SCHOOL_DAYS: ${env.ESIK_HUB_SCHOOL_DAYS}`);
    rules.schoolDays = days;
  }
  return rules;
}

function wholeNumber(text: string, name: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isInteger(value) || value < 0) throw new Error(`invalid ${name}: ${text}`);
  return value;
}

function canteenFromEnv(env: NodeJS.ProcessEnv): Partial<CanteenNoticeRules> {
  const rules: Partial<CanteenNoticeRules> = { mealServed: env.ESIK_HUB_NOTIFY_MEALS !== '0' };
  const low = env.ESIK_HUB_LOW_BALANCE_TIYN;
  if (low) rules.lowBalanceTiyn = low === 'off' ? null : wholeNumber(low, 'ESIK_HUB_LOW_BALANCE_TIYN');
  return rules;
}

function overdueFromEnv(env: NodeJS.ProcessEnv): Partial<OverdueRules> {
  const rules: Partial<OverdueRules> = {};
  if (env.ESIK_HUB_OVERDUE_AT) rules.checkAt = env.ESIK_HUB_OVERDUE_AT === 'off' ? null : env.ESIK_HUB_OVERDUE_AT;
  parseHhMm(rules.checkAt ?? null);
  if (env.ESIK_HUB_OVERDUE_REPEAT_DAYS) {
    const days = wholeNumber(env.ESIK_HUB_OVERDUE_REPEAT_DAYS, 'ESIK_HUB_OVERDUE_REPEAT_DAYS');
    rules.repeatDays = days === 0 ? null : days;
  }
  if (env.ESIK_HUB_OVERDUE_MAX) rules.maxNotices = positiveInteger(env.ESIK_HUB_OVERDUE_MAX, 'ESIK_HUB_OVERDUE_MAX');
  return rules;
}

/** An http(s) URL without credentials, query or fragment; refused at start otherwise. */
function publicUrl(text: string | undefined): string | null {
  if (!text) return null;
  const url = new URL(text);
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password || url.search || url.hash) throw new Error(`invalid ESIK_HUB_PUBLIC_URL: ${text}`);
  return url.toString().replace(/\/+$/, '');
}

export async function notifierConfigFromEnv(env: NodeJS.ProcessEnv): Promise<NotifierConfig | null> {
  const token = await telegramToken(env);
  if (!token && env.ESIK_HUB_NOTIFY !== '1') return null;
  const language = LANGUAGES.find((l) => l === env.ESIK_HUB_NOTIFY_LANGUAGE) ?? DEFAULT_NOTIFIER_CONFIG.defaultLanguage;
  const timeZone = env.ESIK_HUB_TIME_ZONE ?? DEFAULT_NOTIFIER_CONFIG.timeZone;
  // Refuse to start on a zone Intl does not know rather than send wrong times.
  new Intl.DateTimeFormat('en', { timeZone }).format(0);
  return {
    ...DEFAULT_NOTIFIER_CONFIG,
    telegram: token ? { token, apiRoot: env.ESIK_HUB_TELEGRAM_API_ROOT || undefined } : null,
    timeZone,
    defaultLanguage: language,
    allowLoopbackHttpWebhooks: env.ESIK_HUB_NOTIFY_LOOPBACK_HTTP === '1',
    attendance: attendanceFromEnv(env),
    pageUrl: publicUrl(env.ESIK_HUB_PUBLIC_URL),
    canteen: canteenFromEnv(env),
    overdue: overdueFromEnv(env),
    ...(env.ESIK_HUB_NOTIFY_LEASE_MS ? { dispatcher: { leaseMs: positiveInteger(env.ESIK_HUB_NOTIFY_LEASE_MS, 'ESIK_HUB_NOTIFY_LEASE_MS') } } : {}),
  };
}

/**
 * Null when the environment does not ask for a notifier. Not started: the caller starts and stops it.
 * `sources`: the canteen and library the hub runs, for their notices.
 */
export async function notifierFromEnv(
  storage: HubStorage, location: string, logger: NotifierLogger & PgLogger, env: NodeJS.ProcessEnv, sources: NoticeSources = {},
): Promise<Notifier | null> {
  const config = await notifierConfigFromEnv(env);
  if (!config) return null;
  return new Notifier(storage, await openNotifyStore(location, logger), logger, config, Date.now, sources);
}
