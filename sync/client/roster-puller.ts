// Pulls roster changes by cursor. Each page is validated whole before anything is applied, then
// applied in one store transaction together with its cursor; a 410 (or a resync command, or a
// re-pull interrupted by a restart) pulls from the start and replaces the roster when complete.
import type { Logger } from 'pino';
import type { RosterChange, RosterStore } from '../store/index.js';
import type { HubHttp } from './http.js';
import { SyncError } from './http.js';
import { parseWireRosterChange, rosterPageSchema, type HubCommand } from '../../protocol/index.js';
import { toRosterChange } from './wire-mapping.js';

export interface RosterPullOptions {
  http: HubHttp;
  roster: RosterStore & { replaceInProgress?(): Promise<boolean> };
  deviceId: string;
  logger: Logger;
  pageSize: number;
  onRosterApplied: (changes: readonly RosterChange[], purgedPersonIds: readonly string[]) => void | Promise<void>;
  onServerTime: (ms: number) => void;
}

export interface RosterPullResult {
  applied: number;
  pages: number;
  commands: HubCommand[];
}

function parsePage(body: unknown): { changes: RosterChange[]; cursor: string; more: boolean; commands: HubCommand[] } {
  const page = rosterPageSchema.safeParse(body);
  if (!page.success) throw new SyncError('protocol', `roster page does not match protocol v1: ${page.error.issues[0]?.message ?? 'invalid'}`);
  try {
    const changes = page.data.changes.map((raw) => toRosterChange(parseWireRosterChange(raw)));
    return { changes, cursor: page.data.cursor, more: page.data.more, commands: page.data.commands ?? [] };
  } catch (error) {
    throw new SyncError('protocol', `roster page failed validation, nothing applied: ${error instanceof Error ? error.message.slice(0, 300) : String(error)}`);
  }
}

export class RosterPuller {
  constructor(private readonly options: RosterPullOptions) {}

  async pull(token: string, forceReplace: boolean): Promise<RosterPullResult> {
    const { roster, http, logger } = this.options;
    let replace = forceReplace || ((await roster.replaceInProgress?.()) ?? false);
    let since = replace ? null : await roster.cursor();
    const result: RosterPullResult = { applied: 0, pages: 0, commands: [] };
    for (;;) {
      const query = new URLSearchParams({ limit: String(this.options.pageSize) });
      if (since !== null) query.set('since', since);
      const response = await http.request('GET', `/v1/devices/${encodeURIComponent(this.options.deviceId)}/roster?${query.toString()}`, token);
      if (response.serverTimeMs !== null) this.options.onServerTime(response.serverTimeMs);
      if (response.status === 410) {
        if (since === null || replace) throw new SyncError('protocol', 'hub answered 410 during a pull from the start');
        logger.warn({ cursor: since }, 'roster cursor expired (410): pulling everything again');
        replace = true;
        since = null;
        continue;
      }
      const page = parsePage(response.body);
      const applied = await roster.applyPage(page.changes, page.cursor, replace ? { replace: true, complete: !page.more } : undefined);
      result.applied += applied.applied;
      result.pages += 1;
      for (const command of page.commands) if (!result.commands.some((c) => c.id === command.id)) result.commands.push(command);
      await this.notify(page.changes, applied.purgedPersonIds);
      since = page.cursor;
      if (!page.more) return result;
    }
  }

  /** The kiosk's memory follows the store; its failure must not undo or repeat the page. */
  private async notify(changes: readonly RosterChange[], purged: readonly string[]): Promise<void> {
    try {
      await this.options.onRosterApplied(changes, purged);
    } catch (error) {
      this.options.logger.error({ err: error }, 'onRosterApplied failed; the store holds the page');
    }
  }
}
