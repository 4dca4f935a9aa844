// The notifier as one subsystem with a start/stop lifecycle: a loop that plans new events into the
// outbox and drains it, and (when a bot token is configured) the Telegram link bot. Every piece comes
// in through the constructor; nothing here is global.
import type { HubStorage } from '../storage.js';
import { AbsenceCheck, DEFAULT_ATTENDANCE, type AttendanceRules } from './attendance.js';
import { DEFAULT_DISPATCHER_OPTIONS, OutboxDispatcher, type DispatcherOptions, type NoticeChannel } from './dispatcher.js';
import { GuardianCommands } from './bot-commands.js';
import { CanteenNotices, DEFAULT_CANTEEN_NOTICE_RULES, type CanteenFeed, type CanteenNoticeRules } from './canteen-notices.js';
import { DEFAULT_OVERDUE_RULES, OverdueCheck, type LibraryFeed, type OverdueRules } from './library-notices.js';
import { DEFAULT_LINK_OPTIONS, GuardianLinks, type LinkOptions } from './linking.js';
import type { Language, NoticePayload, NotifyStore } from './model.js';
import { DEFAULT_PAGE_LINK_OPTIONS, ParentPageLinks, type PageLinkOptions } from './page-links.js';
import { DEFAULT_PLANNER_OPTIONS, NoticePlanner, type PlannerOptions } from './planner.js';
import { TelegramChannel, TelegramLinkBot, telegramApi } from './telegram.js';
import { WebhookChannel } from './webhook.js';

export interface NotifierLogger {
  info(object: Record<string, unknown>, message: string): void;
  warn(object: Record<string, unknown>, message: string): void;
}

export interface NotifierConfig {
  /** Null: no Telegram (webhooks only). The token is never logged. */
  telegram: { token: string; apiRoot?: string } | null;
  timeZone: string;
  defaultLanguage: Language;
  allowLoopbackHttpWebhooks: boolean;
  /** How often the loop looks for new events and due rows when idle. */
  pollMs: number;
  planner?: Partial<PlannerOptions>;
  dispatcher?: Partial<DispatcherOptions>;
  links?: Partial<LinkOptions>;
  /** Late (after the bell) and absent (not arrived by absentAt on a school day) notices; off by default. */
  attendance?: Partial<AttendanceRules>;
  /** The hub's public base URL, for the bot's /page links; null: the bot does not offer the page. */
  pageUrl?: string | null;
  pageLinks?: Partial<PageLinkOptions>;
  /** Meal-served and low-balance notices, when the notifier is given the canteen (NoticeSources). */
  canteen?: Partial<CanteenNoticeRules>;
  /** Overdue-book notices, when the notifier is given the library (NoticeSources). */
  overdue?: Partial<OverdueRules>;
}

/** The school's other subsystems the notifier announces from; each absent: no such notices. */
export interface NoticeSources {
  canteen?: CanteenFeed | null;
  library?: LibraryFeed | null;
}

export const DEFAULT_NOTIFIER_CONFIG: NotifierConfig = {
  telegram: null, timeZone: 'Asia/Almaty', defaultLanguage: 'ru', allowLoopbackHttpWebhooks: false, pollMs: 250,
};

export class Notifier {
  readonly links: GuardianLinks;
  /** Links to the parents' page (hub/notify/parent-page.ts): issued by the bot's /page and the admin route. */
  readonly pageLinks: ParentPageLinks;
  /** The school's zone: notice times, quiet hours, the parents' page's day. */
  readonly timeZone: string;
  private readonly planner: NoticePlanner;
  private readonly absence: AbsenceCheck;
  private readonly canteen: CanteenNotices | null;
  private readonly overdue: OverdueCheck | null;
  private readonly dispatcher: OutboxDispatcher;
  private readonly bot: TelegramLinkBot | null;
  private running = false;
  private loops: Array<Promise<void>> = [];
  private readonly wakers = new Set<() => void>();

  constructor(
    storage: HubStorage,
    readonly store: NotifyStore,
    private readonly logger: NotifierLogger,
    config: NotifierConfig,
    now: () => number = Date.now,
    sources: NoticeSources = {},
  ) {
    this.links = new GuardianLinks(store, storage, now, { ...DEFAULT_LINK_OPTIONS, ...config.links });
    this.timeZone = config.timeZone;
    const pageLinkOptions = { ...DEFAULT_PAGE_LINK_OPTIONS, ...config.pageLinks };
    this.pageLinks = new ParentPageLinks(store, now, pageLinkOptions);
    const attendance = { ...DEFAULT_ATTENDANCE, ...config.attendance };
    this.planner = new NoticePlanner(storage, store, logger, now, { ...DEFAULT_PLANNER_OPTIONS, timeZone: config.timeZone, bell: attendance.bell, ...config.planner });
    this.absence = new AbsenceCheck(storage, store, attendance, config.timeZone, now);
    const planner = { ...DEFAULT_PLANNER_OPTIONS, ...config.planner };
    this.canteen = sources.canteen
      ? new CanteenNotices(sources.canteen, storage, store, now, { rules: { ...DEFAULT_CANTEEN_NOTICE_RULES, ...config.canteen }, pageSize: planner.pageSize, maxAgeMs: planner.maxAgeMs })
      : null;
    this.overdue = sources.library ? new OverdueCheck(sources.library, storage, store, { ...DEFAULT_OVERDUE_RULES, ...config.overdue }, config.timeZone, now) : null;
    const channels: NoticeChannel[] = [new WebhookChannel({ allowLoopbackHttp: config.allowLoopbackHttpWebhooks, timeoutMs: 10_000 }, now)];
    if (config.telegram) {
      const api = telegramApi({ ...config.telegram, timeZone: config.timeZone, defaultLanguage: config.defaultLanguage });
      channels.push(new TelegramChannel(api, config.timeZone));
      const commands = new GuardianCommands({ store, links: this.pageLinks, pageUrl: config.pageUrl ?? null, pageTtlMs: pageLinkOptions.ttlMs });
      this.bot = new TelegramLinkBot(api, this.links, logger, config.defaultLanguage, commands);
    } else {
      this.bot = null;
    }
    const relevant = async (payload: NoticePayload): Promise<boolean> => (await this.canteen?.stillLow(payload) ?? true) && (await this.overdue?.stillOut(payload) ?? true);
    this.dispatcher = new OutboxDispatcher(store, channels, logger, now, { ...DEFAULT_DISPATCHER_OPTIONS, timeZone: config.timeZone, ...config.dispatcher }, relevant);
    this.pollMs = config.pollMs;
  }

  private readonly pollMs: number;

  start(): void {
    if (this.running) return;
    this.running = true;
    this.bot?.start();
    // Planning runs on its own, so new arrivals reach the outbox while a backlog is being sent; two
    // delivery workers keep Telegram's pace filled while one waits on its batch's database writes.
    this.loops = [
      this.loop('plan', async () => (await this.planner.catchUp()) + (await this.absence.run()) > 0),
      this.loop('deliver', async () => (await this.dispatcher.drain(1)) > 0),
      this.loop('deliver', async () => (await this.dispatcher.drain(1)) > 0),
    ];
    // The canteen's and library's notices plan on their own: a slow ledger never delays a passage's.
    if (this.canteen || this.overdue) this.loops.push(this.loop('plan-school', () => this.planSchool()));
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const wake of this.wakers) wake();
    await Promise.all([...this.loops, this.bot?.stop()]);
  }

  /** Plans and delivers now rather than at the next tick (a push just arrived). */
  poke(): void {
    for (const wake of this.wakers) wake();
  }

  /** One whole round, for tests and tools: new events (and absences) into the outbox, then every due row out. */
  async runOnce(): Promise<void> {
    await this.planner.catchUp();
    await this.absence.run();
    await this.planSchool();
    await this.dispatcher.drain();
  }

  /** Meals and low balances, then overdue books; busy while meals are still being caught up on (the overdue check paces itself). */
  private async planSchool(): Promise<boolean> {
    const meals = (await this.canteen?.catchUp()) ?? 0;
    await this.overdue?.run();
    return meals > 0;
  }

  /** Runs `step` again at once while it finds work, else after pollMs. */
  private async loop(name: string, step: () => Promise<boolean>): Promise<void> {
    while (this.running) {
      let busy = false;
      try {
        busy = await step();
      } catch (error) {
        // The database may be away (503 for the hub's other routes); the next round tries again.
        this.logger.warn({ loop: name, error: error instanceof Error ? error.message : 'unknown' }, 'notifier round failed');
      }
      if (!this.running) break;
      if (busy) continue;
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.wakers.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, this.pollMs);
        this.wakers.add(wake);
      });
    }
  }
}
