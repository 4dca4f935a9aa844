// Test helpers for the parents' notifier: the telegram-test-api emulator on a loopback port chosen by
// the system, guardians' messages into it, the bot's messages out of it, and passages for the hub.
import type { Server } from 'node:http';
import { TelegramServer } from 'telegram-test-api/lib/telegramServer.js';
import { v7 as uuidv7 } from 'uuid';
import { wireEventSchema, type WireEvent } from '../../protocol/index.js';

export const BOT_TOKEN = '123456:TEST-bot-token-never-logged';

export interface Emulator {
  server: TelegramServer;
  apiRoot: string;
  /** A guardian's message from a private chat (chat id = user id). */
  say(chat: number, text: string): Promise<void>;
  /** Texts the bot sent to `chat`, oldest first. */
  sent(chat: number): string[];
  allSent(): Array<{ chat: string; text: string }>;
  waitFor(chat: number, count: number, timeoutMs?: number): Promise<string[]>;
  stop(): Promise<void>;
}

export async function startEmulator(): Promise<Emulator> {
  const server = new TelegramServer({ host: '127.0.0.1', storeTimeout: 600 });
  // The emulator treats port 0 as "unset" (9000): set it after construction to let the system choose.
  server.config.port = 0;
  await server.start();
  const address = (server as unknown as { server: Server }).server.address();
  if (typeof address !== 'object' || !address) throw new Error('emulator did not listen');
  const apiRoot = `http://127.0.0.1:${address.port}`;
  const allSent = (): Array<{ chat: string; text: string }> =>
    server.storage.botMessages.filter((m) => m.botToken === BOT_TOKEN).map((m) => ({ chat: String(m.message.chat_id), text: String(m.message.text) }));
  const sent = (chat: number): string[] => allSent().filter((m) => m.chat === String(chat)).map((m) => m.text);
  return {
    server,
    apiRoot,
    async say(chat, text) {
      await server.addUserMessage({
        botToken: BOT_TOKEN, date: Math.floor(Date.now() / 1000), text,
        chat: { id: chat, type: 'private', first_name: `Parent ${chat}` }, from: { id: chat, is_bot: false, first_name: `Parent ${chat}` },
      });
    },
    sent,
    allSent,
    async waitFor(chat, count, timeoutMs = 8_000) {
      const until = Date.now() + timeoutMs;
      while (sent(chat).length < count) {
        if (Date.now() > until) throw new Error(`chat ${chat}: ${sent(chat).length} of ${count} messages after ${timeoutMs} ms: ${JSON.stringify(sent(chat))}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return sent(chat);
    },
    stop: async () => {
      await server.stop();
    },
  };
}

/** A card passage of `personId` at the main door, `direction` in or out, just now. */
export function passage(seq: number, personId: string, direction: 'in' | 'out', wallMs = Date.now()): WireEvent {
  return wireEventSchema.parse({
    id: uuidv7(), seq, type: 'access.granted', at: new Date(wallMs).toISOString(), wallMs, timeTrusted: true, bootId: 'boot-a',
    monoMs: 1000 + seq, door: 'main', direction, personId, credential: { kind: 'card', ref: 'c-1' }, reason: null,
  });
}

export async function until(check: () => Promise<boolean> | boolean, timeoutMs = 8_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export const silentNotifyLogger = { info: () => undefined, warn: () => undefined };
