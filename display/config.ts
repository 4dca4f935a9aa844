// The `board` section of the kiosk configuration, as far as the lobby board server needs it.
// Validated with zod like the rest of the config; defaults are what a school gets without editing.
import { z } from 'zod';
import { PersonRoleSchema } from '../sync/store/index.js';

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM (24 h)');
const role = PersonRoleSchema;

export const boardLimitsSchema = z
  .object({
    /** Connected board clients at most; more are refused at the handshake. */
    maxClients: z.number().int().min(1).max(1000).default(64),
    /** Messages a client may send per window before it is disconnected as a flood. */
    messagesPerWindow: z.number().int().min(1).default(20),
    windowMs: z.number().int().min(100).default(10_000),
    /** A client message larger than this (serialised) is dropped. */
    maxMessageBytes: z.number().int().min(64).max(65_536).default(1024),
    /** Packets queued for one client before it counts as stuck and is dropped (it catches up on reconnect). */
    maxBufferedPackets: z.number().int().min(1).default(256),
    /** Live arrivals are coalesced for this long into one message per client. */
    batchMs: z.number().int().min(0).max(200).default(25),
    /** ...and broadcasts are at least this far apart, so a rush costs a few broadcasts a second. */
    minIntervalMs: z.number().int().min(0).max(1000).default(100),
    /**
     * While the door is deciding, a batch waits for it to finish, but never longer than this after
     * its first update (the page must still show an arrival within half a second).
     */
    maxHoldMs: z.number().int().min(0).max(300).default(150),
    /** Arrivals in a snapshot at most (the newest ones; counts always cover the whole day). */
    snapshotArrivals: z.number().int().min(1).max(5000).default(200),
    /**
     * The board server answers every hello from one snapshot held in memory, with live updates
     * folded in (display/snapshot-cache.ts); after this long it asks the kiosk for a fresh one
     * (roster changes: expected counts, a person erased or their consent withdrawn).
     */
    snapshotRefreshMs: z.number().int().min(1000).max(600_000).default(10_000),
    /** The kiosk builds a snapshot (a read of today from SQLite) at most once per this, whoever asks. */
    snapshotBuildIntervalMs: z.number().int().min(100).max(60_000).default(1000),
    /** One client gets a snapshot at most once per this; a sooner hello is answered when it is up. */
    clientSnapshotIntervalMs: z.number().int().min(0).max(60_000).default(1000),
  })
  .strict();

export type BoardLimits = z.infer<typeof boardLimitsSchema>;

/**
 * Recent arrivals the page lists: what a 1080p TV shows readably from 5 metres. A live batch
 * carries only the newest this many: in a rush a batch holds a hundred arrivals or more, and the
 * ones beyond these would be written to every screen only to be scrolled off in the same frame.
 */
export const BOARD_ROWS = 10;

/**
 * The board thread's nice value. Under contention a nice-10 thread gets about a tenth of a core
 * against a nice-0 one (CFS weights 110 vs 1024): the door's thread and SQLite's go first, and the
 * lobby screens still get their arrivals within half a second. At 19 (weight 15) the board starved
 * whenever something else kept both cores busy (the face worker at a crowded entrance; in CI, the
 * other test files): arrivals took seconds to reach the page.
 */
export const BOARD_THREAD_NICE = 10;

const pin = z.union([z.number().int().min(0), z.string().min(1)]);

/** MAX7219 LED matrix chain in the lobby (johnny-five Led.Matrix on a Firmata board), or its simulated twin. */
export const matrixConfigSchema = z
  .object({
    driver: z.enum(['firmata', 'sim']).default('firmata'),
    /** Serial port of the Firmata board; omitted = auto-detect. */
    port: z.string().min(1).optional(),
    pins: z.object({ data: pin, clock: pin, cs: pin }).strict().default({ data: 2, clock: 3, cs: 4 }),
    devices: z.number().int().min(1).max(8).default(4),
    stepMs: z.number().int().min(20).max(2000).default(80),
    brightness: z.number().int().min(0).max(100).default(40),
  })
  .strict();

/** HD44780 LCD at the kiosk (johnny-five LCD: parallel 4-bit or an I2C backpack), or its simulated twin. */
export const lcdConfigSchema = z
  .object({
    driver: z.enum(['firmata', 'sim']).default('firmata'),
    port: z.string().min(1).optional(),
    controller: z.enum(['PARALLEL', 'PCF8574', 'PCF8574A', 'PCF8574AT', 'LCM1602', 'LCD2004']).default('PARALLEL'),
    /** PARALLEL wiring: [rs, en, d4, d5, d6, d7]. */
    pins: z.array(pin).length(6).optional(),
    rows: z.number().int().min(1).max(4).default(2),
    cols: z.number().int().min(8).max(40).default(16),
    /** How long a greeting stays before the idle text comes back. */
    holdMs: z.number().int().min(500).max(60_000).default(4000),
  })
  .strict();

export type MatrixConfig = z.infer<typeof matrixConfigSchema>;
export type LcdConfig = z.infer<typeof lcdConfigSchema>;

export const boardConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    language: z.enum(['kk', 'ru', 'en']).default('kk'),
    /** Tokens a non-loopback client (the lobby TV) must present; loopback needs none. */
    tokens: z.array(z.string().min(16, 'a board token needs at least 16 characters')).default([]),
    /** Entry after this local time is late; per-group overrides for the second shift. */
    bellTime: hhmm.default('08:00'),
    bellTimes: z.record(z.string(), hhmm).default({}),
    /** Roles whose names may appear (still subject to each person's display consent). */
    nameRoles: z.array(role).default(['student', 'staff']),
    /** Roles counted as "expected" in a class. */
    expectedRoles: z.array(role).default(['student']),
    limits: boardLimitsSchema.default(boardLimitsSchema.parse({})),
    /**
     * The board's socket server on its own worker thread and port (the page still comes from the
     * kiosk's port and connects here), so lobby screens never write on the door's event loop.
     * Port 0 takes any free port; a page open across a restart finds the new one (/board/socket.json).
     * Set a fixed one where a firewall sits between the lobby TV and the kiosk.
     */
    thread: z
      .object({
        enabled: z.boolean().default(true),
        port: z.number().int().min(0).max(65_535).default(0),
        /** The thread's nice value (why 10: BOARD_THREAD_NICE). */
        nice: z.number().int().min(0).max(19).default(BOARD_THREAD_NICE),
      })
      .strict()
      .default({ enabled: true, port: 0, nice: BOARD_THREAD_NICE }),
    matrix: matrixConfigSchema.optional(),
    lcd: lcdConfigSchema.optional(),
  })
  .strict();

export type BoardConfig = z.infer<typeof boardConfigSchema>;
