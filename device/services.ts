// Everything the composition root builds, handed to each optional subsystem's wiring module
// (`device/wiring/<name>.ts`: board, sync, health, biometric). A wiring module takes what it
// needs from here, registers its routes and status, and registers its own cleanup. Every field is
// set when the object is built and never replaced, so the wiring modules may run in any order;
// what one subsystem fills for another (the face engine) is a holder made here beforehand.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Server as SocketIoServer } from 'socket.io';
import type { KioskClock } from './clock.js';
import type { KioskConfig } from './config/index.js';
import type { DoorController, DoorSet } from './door/index.js';
import type { CredentialReader, DigitalInput, Relay } from './hw/index.js';
import type { Kiosk } from './kiosk/index.js';
import type { RosterCache } from './roster-cache.js';
import type { KioskMetrics } from './metrics.js';
import type { Store } from '../sync/store/index.js';
import type { StoreRecoveryReport } from './recovery/index.js';
import type { FaceEngineHolder } from './biometric/index.js';

/** A section of `esik status`: a subsystem reports its own state (sync backlog, gallery size...). */
export type StatusProvider = () => unknown;

export interface KioskServices {
  config: KioskConfig;
  configFile: string;
  logger: Logger;
  /** This process's boot id, recorded on every event. */
  bootId: string;
  clock: KioskClock;
  store: Store;
  roster: RosterCache;
  kiosk: Kiosk;
  doors: Map<string, DoorController>;
  doorSet: DoorSet;
  readers: Map<string, CredentialReader>;
  relays: Map<string, Relay>;
  inputs: Map<string, DigitalInput>;
  /** Public HTTP server (`http.host:port`): /sim, /board, /metrics... Routes must be added before listen. */
  http: FastifyInstance;
  /** The port `http` is reached on once listening (its own, or its gatekeeper's: lib/gatekeeper.ts); null before. */
  publicPort(): number | null;
  /** One socket.io server on `http`; the board uses namespace /board, the simulator /sim. */
  io: SocketIoServer;
  /** Technician API on the admin unix socket; wiring modules may add `/v1/<name>/...` routes. */
  admin: FastifyInstance;
  /** Adds a section to `esik status` (and the admin /v1/status answer). */
  addStatus(name: string, provider: StatusProvider): void;
  /** Runs at shutdown, in reverse order of registration, before the store closes. */
  onShutdown(fn: () => Promise<void> | void): void;
  /** Prometheus metrics: made by the composition root; the health wiring serves them, others count into them. */
  metrics: KioskMetrics;
  /** Non-null when the database was damaged at this boot and rebuilt (device/recovery); health shows it. */
  storeRecovery: StoreRecoveryReport | null;
  /** The face engine once loaded: filled by the biometric wiring; enrolment from the simulator page extracts with it. */
  faceEngine: FaceEngineHolder;
}
