// Hub commands this kiosk has started, remembered in SQLite so that none runs twice, even across a
// crash. The sync client keeps acks in memory (a lost ack is re-sent without re-running), but a
// kiosk killed between running a command and the hub receiving its ack used to run it again after
// the restart, when the hub re-delivered it inside its validity window: a second remote door-open.
//
// Order: record the id (committed, synchronous=FULL) -> run -> record the ack -> the client acks.
// Recording before acting makes a command at-most-once, which is the right side to err on for a
// door: a crash between the record and the relay means the door did not open and the hub is told
// so; it never means the door opens twice. A command whose id cannot be recorded is not run.
import { z } from 'zod';
import type { Logger } from 'pino';
import { commandAckSchema, type CommandAck, type HubCommand, type Store } from '../../sync/index.js';

/** The store's kv row (under Store.state's "state." prefix) holding the remembered commands. */
export const EXECUTED_COMMANDS_KEY = 'hubCommands.executed';

/** How many commands are remembered at most (oldest forgotten first); ~200 bytes each. */
const DEFAULT_CAPACITY = 256;
/** An expired command is kept this long after its expiry, for clock differences with the hub. */
const EXPIRED_KEEP_MS = 24 * 3600_000;

const entrySchema = z.object({
  id: z.string(),
  kind: z.string(),
  startedMs: z.number(),
  expiresAt: z.string().nullable(),
  /** null: started, not finished (the kiosk stopped in between). */
  ack: commandAckSchema.nullable(),
});
type ExecutedEntry = z.infer<typeof entrySchema>;

export const INTERRUPTED_ACK: CommandAck = {
  ok: false,
  error: 'the kiosk restarted while running this command; it is not run again (at most once): see the kiosk\'s audit events',
};

export interface ExecutedCommandLogOptions {
  state: Store['state'];
  logger: Logger;
  wallMs: () => number;
  /** Wall-clock ms when the kiosk's clock is trusted, else null (nothing is pruned by age then). */
  trustedWallMs: () => number | null;
  capacity?: number;
}

export class ExecutedCommandLog {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly log: Logger;

  constructor(private readonly options: ExecutedCommandLogOptions) {
    this.log = options.logger.child({ ns: 'hub-commands' });
  }

  /** Runs `execute` unless this command id was started before; one command at a time. */
  runOnce(command: HubCommand, execute: () => Promise<CommandAck>): Promise<CommandAck> {
    const result = this.tail.then(() => this.runAlone(command, execute));
    this.tail = result.catch(() => undefined);
    return result;
  }

  private async runAlone(command: HubCommand, execute: () => Promise<CommandAck>): Promise<CommandAck> {
    let entries: ExecutedEntry[];
    try {
      entries = await this.load();
    } catch (error) {
      this.log.error({ err: error, id: command.id }, 'cannot read the executed-command record: command not run');
      return { ok: false, error: 'the kiosk cannot read its command record: not run' };
    }
    const previous = entries.find((entry) => entry.id === command.id);
    if (previous !== undefined) {
      this.log.warn({ id: command.id, kind: command.kind, finished: previous.ack !== null }, 'hub command already run here: not run again');
      return previous.ack ?? INTERRUPTED_ACK;
    }
    const entry: ExecutedEntry = { id: command.id, kind: command.kind, startedMs: this.options.wallMs(), expiresAt: command.expiresAt, ack: null };
    const next = this.prune([...entries, entry]);
    try {
      await this.options.state.set(EXECUTED_COMMANDS_KEY, next);
    } catch (error) {
      this.log.error({ err: error, id: command.id }, 'cannot record the hub command before running it: command not run');
      return { ok: false, error: 'the event store is failing: command not run' };
    }
    const ack = await execute().catch((error: unknown): CommandAck => ({ ok: false, error: error instanceof Error ? error.message : String(error) }));
    entry.ack = ack;
    // If this write fails the entry stays "started": a re-delivery is answered as interrupted, never re-run.
    await this.options.state.set(EXECUTED_COMMANDS_KEY, next).catch((error: unknown) => this.log.error({ err: error, id: command.id }, 'cannot record the ack of a hub command'));
    return ack;
  }

  /** Stored entries; one unreadable entry is dropped with a warning, never stops the others. */
  private async load(): Promise<ExecutedEntry[]> {
    const stored = await this.options.state.get(EXECUTED_COMMANDS_KEY);
    if (stored === undefined) return [];
    if (!Array.isArray(stored)) {
      this.log.warn({ key: EXECUTED_COMMANDS_KEY }, 'executed-command record is not a list; starting a new one');
      return [];
    }
    const entries: ExecutedEntry[] = [];
    for (const item of stored) {
      const parsed = entrySchema.safeParse(item);
      if (parsed.success) entries.push(parsed.data);
      else this.log.warn({ key: EXECUTED_COMMANDS_KEY }, 'unreadable executed-command entry dropped');
    }
    return entries;
  }

  private prune(entries: ExecutedEntry[]): ExecutedEntry[] {
    const now = this.options.trustedWallMs();
    const live = now === null ? entries : entries.filter((entry) => entry.expiresAt === null || Date.parse(entry.expiresAt) + EXPIRED_KEEP_MS > now);
    return live.slice(-(this.options.capacity ?? DEFAULT_CAPACITY));
  }
}
