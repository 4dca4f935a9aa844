// The only thing display/ knows of the kiosk: a feed of board-safe arrivals and a way to read
// today's state. What reaches this interface is already masked per display consent; display/ never
// sees a template, a photo, a national id number or a full name the person did not consent to show.
import type { EventEmitter } from 'node:events';
import type { Direction, PersonRole } from '../sync/store/index.js';

export interface BoardArrival {
  /** The event's device seq: the page resumes from the last one it saw. */
  seq: number;
  /** ISO-8601 wall time of the passage. */
  at: string;
  direction: Direction;
  /** Already masked: "Aigerim S.", "A. S." or "" when display consent is none. */
  displayName: string;
  group: string | null;
  role: PersonRole;
  /** Entered after the configured bell time for the group. */
  late: boolean;
  door: string;
}

export interface BoardGroupCount {
  group: string;
  expected: number;
  present: number;
  late: number;
}

export interface BoardSnapshot {
  date: string; // "2026-11-23" in school time
  arrivals: BoardArrival[];
  groups: BoardGroupCount[];
  lastSeq: number;
}

/** A group's counts including every passage up to and including `seq` (newer counts replace older ones). */
export interface BoardCounts {
  seq: number;
  groups: BoardGroupCount[];
}

/**
 * 'arrival' right after the event is committed, then 'counts' for the arrival's group, so screens
 * can update present/late without knowing who is who.
 */
export interface BoardFeedEvents {
  arrival: [arrival: BoardArrival];
  counts: [counts: BoardCounts];
}

export interface BoardFeed extends EventEmitter<BoardFeedEvents> {
  /** Today's state from SQLite; with `afterSeq`, only arrivals after it (reconnect catch-up). */
  snapshot(afterSeq?: number): Promise<BoardSnapshot>;
}
