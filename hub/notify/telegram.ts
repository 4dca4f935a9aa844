// Telegram through grammY: sending notices, and a poller that takes guardians' /start CODE and /stop.
// The bot token is a secret: it is in every Bot API URL, so only error messages grammY builds itself
// (which name the method, not the URL) are ever logged or stored.
import { Api, GrammyError, HttpError } from 'grammy';
import type { Update } from 'grammy/types';
import { catalog, noticeText } from './catalog.js';
import type { GuardianCommands } from './bot-commands.js';
import type { SendOutcome, NoticeChannel } from './dispatcher.js';
import type { GuardianLinks } from './linking.js';
import type { GuardianRecord, Language, OutboxRow } from './model.js';

export interface TelegramOptions {
  token: string;
  /** The Bot API server; the emulator's URL in tests. */
  apiRoot?: string;
  timeZone: string;
  /** Language of replies to a chat that is not linked yet (nothing is known about it). */
  defaultLanguage: Language;
}

export function telegramApi(options: TelegramOptions): Api {
  return new Api(options.token, { apiRoot: options.apiRoot, timeoutSeconds: 15 });
}

/** What may be logged of a Bot API failure: grammY's own words, never the URL (it holds the token). */
function describeError(error: unknown): string {
  const outcome = telegramOutcome(error);
  return outcome.ok ? 'no error' : outcome.error;
}

/** A failed Bot API call as an outcome: 429 and 5xx and network failures retry; other 4xx are permanent. */
export function telegramOutcome(error: unknown): SendOutcome {
  if (error instanceof GrammyError) {
    const retryAfterS = error.parameters.retry_after;
    const retry = error.error_code === 429 || error.error_code >= 500;
    return { ok: false, retry, retryAfterMs: retryAfterS === undefined ? undefined : retryAfterS * 1000, error: `telegram ${error.error_code}: ${error.description}` };
  }
  if (error instanceof HttpError) return { ok: false, retry: true, error: 'telegram: network error' };
  return { ok: false, retry: true, error: 'telegram: unexpected error' };
}

/**
 * Telegram's limits for a bot: about 30 messages a second overall and one a second to a chat; a 429
 * beyond them. Sends reserve a slot (spaced 1/perSecond apart overall, 1 s apart per chat) and wait
 * for it, so a burst of arrivals is paced rather than refused. Per process: several hub processes on
 * one bot share the limit only through Telegram's 429s, which are honoured.
 */
/**
 * Messages a second the notifier allows itself per bot: Telegram's documented bulk limit ("not more
 * than 30 messages per second or so"). At 28, a morning's burst of 1,000 pupils × 2 guardians in a
 * minute queued ~2 s longer at the median (bench notify). Link replies and chat-held sends can go a
 * little beyond it; Telegram then answers 429 with retry_after, which the dispatcher honours.
 */
export const TELEGRAM_PACE_PER_SECOND = 30;

export class TelegramPacer {
  private nextSlotMs = 0;
  private readonly chatNext = new Map<string, number>();

  constructor(
    private readonly perSecond = TELEGRAM_PACE_PER_SECOND,
    private readonly perChatMs = 1_000,
    private readonly now: () => number = Date.now,
    private readonly wait: (ms: number) => Promise<void> = sleep,
  ) {}

  async slot(chat: string): Promise<void> {
    const now = this.now();
    const botAt = Math.max(now, this.nextSlotMs);
    const chatAt = this.chatNext.get(chat) ?? 0;
    const at = Math.max(botAt, chatAt);
    // A send held back by its chat does not push every other chat's slots a second ahead; it goes
    // without a bot slot of its own (rare: a second notice to one chat within a second); a 429 then is honoured.
    if (chatAt <= botAt) this.nextSlotMs = botAt + 1000 / this.perSecond;
    this.chatNext.set(chat, at + this.perChatMs);
    if (this.chatNext.size > 10_000) {
      for (const [key, next] of this.chatNext) if (next <= now) this.chatNext.delete(key);
    }
    if (at > now) await this.wait(at - now);
  }
}

export class TelegramChannel implements NoticeChannel {
  readonly name = 'telegram' as const;
  readonly idempotent = false;
  constructor(
    private readonly api: Api,
    private readonly timeZone: string,
    private readonly pacer: TelegramPacer = new TelegramPacer(),
  ) {}

  async ready(guardian: GuardianRecord): Promise<void> {
    if (guardian.telegramChat !== null) await this.pacer.slot(guardian.telegramChat);
  }

  async send(row: OutboxRow, guardian: GuardianRecord): Promise<SendOutcome> {
    if (guardian.telegramChat === null) return { ok: false, retry: false, error: 'no chat' };
    try {
      await this.api.sendMessage(guardian.telegramChat, noticeText(row.payload, guardian.language, this.timeZone));
      return { ok: true };
    } catch (error) {
      return telegramOutcome(error);
    }
  }
}

interface BotLogger {
  warn(object: Record<string, unknown>, message: string): void;
}

/**
 * Long-polls getUpdates and answers /start CODE, a bare code, /stop, and (through GuardianCommands) /page and /quiet. The offset is acknowledged
 * with the next call, so an update is handled at least once; redeeming a used code again only says
 * the code is not valid, and /stop twice is harmless.
 */
export class TelegramLinkBot {
  private running = false;
  private loop: Promise<void> | null = null;
  private offset = 0;
  private abort: AbortController | null = null;

  constructor(
    private readonly api: Api,
    private readonly links: GuardianLinks,
    private readonly logger: BotLogger,
    private readonly language: Language,
    private readonly commands: GuardianCommands | null = null,
    private readonly idleMs = 300,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.poll();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.abort?.abort();
    await this.loop;
  }

  private async poll(): Promise<void> {
    while (this.running) {
      let updates: Update[];
      try {
        this.abort = new AbortController();
        // grammY types its signal with the abort-controller polyfill's class; Node's is the same at run time.
        const signal = this.abort.signal as unknown as Parameters<Api['getUpdates']>[1];
        updates = await this.api.getUpdates({ offset: this.offset, timeout: 20, allowed_updates: ['message'] }, signal);
      } catch (error) {
        if (this.running) this.logger.warn({ error: describeError(error) }, 'telegram getUpdates failed');
        await sleep(this.running ? 2_000 : 0);
        continue;
      }
      for (const update of updates) {
        this.offset = Math.max(this.offset, update.update_id + 1);
        await this.handle(update).catch((error: unknown) => this.logger.warn({ error: describeError(error) }, 'telegram update not handled'));
      }
      // A server that answers at once with nothing (the emulator does not long-poll) is not hammered.
      if (updates.length === 0) await sleep(this.idleMs);
    }
  }

  private async handle(update: Update): Promise<void> {
    const message = update.message;
    if (!message?.text || message.chat.type !== 'private') return;
    const chat = String(message.chat.id);
    const reply = await this.answer(chat, message.text.trim());
    await this.api.sendMessage(chat, reply);
  }

  private async answer(chat: string, text: string): Promise<string> {
    const words = catalog(this.language);
    const [command, ...rest] = text.split(/\s+/);
    if (command === '/stop') return (await this.links.stop(chat)) > 0 ? words.stopped : words.notLinked;
    const answered = command && this.commands ? await this.commands.answer(chat, command, rest.join(' '), this.language) : null;
    if (answered !== null) return answered;
    const code = command === '/start' ? rest.join('') : command?.startsWith('/') ? '' : text;
    if (!code) return words.help;
    const result = await this.links.redeem(chat, code);
    if (result.ok) return catalog(result.guardian.language).linked(await this.childName(result.guardian));
    if (result.reason === 'rate_limited') return words.tooManyTries(Math.ceil(result.retryAfterMs / 60_000));
    return words.badCode;
  }

  private async childName(guardian: GuardianRecord): Promise<string> {
    return (await this.links.childFirstName(guardian.personId)) ?? '—';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
