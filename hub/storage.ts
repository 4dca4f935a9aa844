// What the hub needs from a database, implemented twice: SQLite (sqlite-storage.ts, one school, the
// default) and PostgreSQL (pg-storage.ts, a district, several hub processes on one database), chosen
// by open-storage.ts. Both keep the same rules: an event is stored once per id and once per
// (deviceId, seq), hub seqs and roster cursors only grow and never become visible out of order.
// tests/hub/storage-contract.test.ts runs one suite against both.
import type { ClockAnchor, CommandAck, HubCommand, PushResponse, RosterEntityType, SeqSkip, WireEvent, WireRosterChange } from '../protocol/index.js';

export interface DeviceRecord {
  id: string;
  name: string | null;
  /** scrypt$N$r$p$salt$hash (auth.ts); the token itself is never stored. */
  tokenHash: string;
  disabled: boolean;
}

/** An event as the read API hands it to a consumer (a parent-notification service). */
export interface HubEvent {
  /** The hub's own ingestion order: consumers page by it (`?after=`). */
  hubSeq: number;
  deviceId: string;
  receivedAt: string;
  /** True time: the device's trusted wall time, or re-anchored from a later trusted anchor in the same boot, or null. */
  trueAt: string | null;
  timeSource: 'device' | 'reanchored' | 'unknown';
  event: WireEvent;
}

/** A rejected event whose id (and seq) are known only as far as the payload told us. */
export interface IngestRejection {
  id: string;
  /** The event's seq when the payload had a readable one: a refused event still takes its seq. */
  seq: number | null;
  error: string;
}

/** One entry of a push, in the order sent: a valid event, or one validation refused. */
export type IngestItem = { event: WireEvent } | { rejected: IngestRejection };

/** A page of the event read API; rows that cannot be handed out are reported, not thrown. */
export interface EventReadResult {
  events: HubEvent[];
  skipped: Array<{ hubSeq: number; deviceId: string; error: string }>;
  /** The last row read, good or bad: the consumer's next `after`. */
  lastHubSeq: number | null;
  more: boolean;
}

/** A seq collision or a declared skip, kept for the operator (`GET /v1/admin/alarms`). */
export interface SeqAlarm {
  id: number;
  deviceId: string;
  kind: 'seq_conflict' | 'id_conflict' | 'seq_skipped';
  seq: number;
  detail: Record<string, unknown>;
  at: string | null;
}

export interface RosterRow {
  cursor: number;
  change: WireRosterChange;
}

export interface RosterPageResult {
  changes: WireRosterChange[];
  cursor: number;
  more: boolean;
}

export interface CommandRecord extends HubCommand {
  deviceId: string;
  state: 'pending' | 'acked';
  ack: CommandAck | null;
}

/** What one retention step removed (retention.ts). */
export interface RetentionStep {
  deleted: number;
  /** True when the step stopped at its batch size: there may be more to remove. */
  more: boolean;
  /** PostgreSQL: the month partitions dropped whole. */
  droppedPartitions: string[];
}

export interface HubStorage {
  migrate(): Promise<void>;
  close(): Promise<void>;

  addDevice(id: string, name: string | null, tokenHash: string): Promise<boolean>;
  setDeviceToken(id: string, tokenHash: string): Promise<boolean>;
  device(id: string): Promise<DeviceRecord | null>;
  listDevices(): Promise<Array<Omit<DeviceRecord, 'tokenHash'>>>;

  /**
   * Stores valid events once, under the seq rule (contiguous from the highest stored or skipped seq
   * + 1; beyond a gap: deferred); `items` also carries the events validation refused, in order.
   */
  ingest(deviceId: string, items: readonly IngestItem[], anchor: ClockAnchor | null, skip: SeqSkip | null, nowMs: number): Promise<PushResponse>;
  readEvents(afterHubSeq: number, limit: number, deviceId?: string): Promise<EventReadResult>;
  seqAlarms(afterId: number, limit: number, deviceId?: string): Promise<SeqAlarm[]>;
  /**
   * Removes events the hub received before `cutoffMs`, one bounded step per call: SQLite deletes at
   * most `batchSize` rows, PostgreSQL drops the month partitions that lie wholly before the cutoff.
   * A removed event still counts as received: sent again it is a duplicate, and its device's next
   * expected seq does not fall back.
   */
  pruneEventsBefore(cutoffMs: number, batchSize: number): Promise<RetentionStep>;

  /** A named consumer's position in the event log (0 when it has none yet), kept in the hub's meta table. */
  consumerCursor(name: string): Promise<number>;
  /** Moves it from `from` to `to`; false when another hub process moved it first. */
  advanceConsumerCursor(name: string, from: number, to: number): Promise<boolean>;

  /** Applies admin changes in one transaction; returns the last cursor. A person delete erases its dependants. */
  applyRoster(changes: readonly WireRosterChange[]): Promise<number>;
  /**
   * Changes after `since`. `full`: a pull from the start (upserts only, no horizon check);
   * otherwise null when `since` is older than the compaction horizon (410 Gone).
   */
  rosterPage(since: number | null, limit: number, full: boolean): Promise<RosterPageResult | null>;
  rosterEntity(type: RosterEntityType, id: string): Promise<WireRosterChange | null>;
  listGroups(): Promise<Array<{ group: string; people: number }>>;
  /** Drops delete tombstones; devices with an older cursor then get 410 and pull everything. */
  compactRoster(): Promise<number>;

  addCommand(deviceId: string, command: HubCommand): Promise<void>;
  pendingCommands(deviceId: string, nowMs: number): Promise<HubCommand[]>;
  ackCommand(deviceId: string, commandId: string, ack: CommandAck, nowMs: number): Promise<boolean>;
  command(deviceId: string, commandId: string): Promise<CommandRecord | null>;
}
