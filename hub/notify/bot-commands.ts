// The bot's commands for a chat already linked: /page (a fresh link to the parents' page) and /quiet
// (the chat's quiet hours). A chat not linked gets the same "not linked" answer as /stop gives, and
// nothing about any child.
import { catalog } from './catalog.js';
import type { NotifyStore } from './model.js';
import type { ParentPageLinks } from './page-links.js';
import { parseQuietText } from './quiet.js';

export interface GuardianCommandOptions {
  store: NotifyStore;
  links: ParentPageLinks;
  /** The hub's public base URL (https://hub.school.kz); null: the page is not offered. */
  pageUrl: string | null;
  /** How long a page link lives, said in the reply. */
  pageTtlMs: number;
}

export class GuardianCommands {
  constructor(private readonly options: GuardianCommandOptions) {}

  /** The reply to /page or /quiet from `chat`, or null for any other command. */
  async answer(chat: string, command: string, rest: string, fallback: Parameters<typeof catalog>[0]): Promise<string | null> {
    if (command !== '/page' && command !== '/quiet') return null;
    const guardians = await this.options.store.guardiansOfChat(chat);
    const first = guardians[0];
    if (!first) return catalog(fallback).notLinked;
    const words = catalog(first.language);
    if (command === '/page') {
      if (!this.options.pageUrl) return words.noPage;
      const link = await this.options.links.issue(guardians.map((g) => g.id));
      return words.page(`${this.options.pageUrl.replace(/\/+$/, '')}${link.path}`, Math.round(this.options.pageTtlMs / 3600_000));
    }
    const quiet = parseQuietText(rest);
    if (quiet === null || (quiet === 'off' && rest.trim() === '')) return words.quietHelp;
    for (const guardian of guardians) await this.options.store.setQuietHours(guardian.id, quiet === 'off' ? null : quiet);
    return quiet === 'off' ? words.quietOff : words.quietSet(quiet.start, quiet.end);
  }
}
