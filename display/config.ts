// The `board` section of the kiosk configuration, as far as the lobby board server needs it.
// Validated with zod like the rest of the config; defaults are what a school gets without editing.
import { z } from 'zod';

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM (24 h)');
const role = z.enum(['student', 'staff', 'visitor', 'guardian']);

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
    /** Arrivals in a snapshot at most (the newest ones; counts always cover the whole day). */
    snapshotArrivals: z.number().int().min(1).max(5000).default(200),
  })
  .strict();

export type BoardLimits = z.infer<typeof boardLimitsSchema>;

export const boardConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    language: z.enum(['kk', 'ru', 'en']).default('kk'),
    /** Tokens a non-loopback client (the lobby TV) must present; loopback needs none. */
    tokens: z.array(z.string().min(16, 'a board token needs at least 16 characters')).default([]),
    /** Entry after this local time is late; per-group overrides for the second shift. */
    bellTime: hhmm.default('08:30'),
    bellTimes: z.record(z.string(), hhmm).default({}),
    /** Roles whose names may appear (still subject to each person's display consent). */
    nameRoles: z.array(role).default(['student', 'staff']),
    /** Roles counted as "expected" in a class. */
    expectedRoles: z.array(role).default(['student']),
    limits: boardLimitsSchema.default(boardLimitsSchema.parse({})),
  })
  .strict();

export type BoardConfig = z.infer<typeof boardConfigSchema>;
