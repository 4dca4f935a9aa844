// The composition root: configuration → logger → key → store → roster → hardware → doors → kiosk
// → HTTP + socket.io → admin socket → optional subsystems. Nothing else constructs long-lived
// objects; every piece gets its dependencies here (balena-supervisor's supervisor.ts).
import { mkdir } from 'node:fs/promises';
import Fastify from 'fastify';
import { Registry } from 'prom-client';
import type { Logger } from 'pino';
import { Server as SocketIoServer } from 'socket.io';
import { v7 as uuidv7 } from 'uuid';
import { registerAdminRoutes, listenAdmin } from './admin/index.js';
import { KioskClock } from './clock.js';
import { clockOverrideFromEnv } from './clock-override.js';
import { loadConfig, type KioskConfig } from './config/index.js';
import { Kiosk } from './kiosk/index.js';
import { buildHardware } from './kiosk/index.js';
import { openKioskStoreAtBoot } from './kiosk/index.js';
import { dbCorruptAlarmDraft } from './recovery/index.js';
import { seedRosterIfEmpty } from './kiosk/index.js';
import { RosterCache } from './roster-cache.js';
import { KioskMetrics } from './metrics.js';
import { FaceEngineHolder } from './biometric/index.js';
import { deviceStarted, deviceStopped } from './system-events.js';
import type { KioskServices, StatusProvider } from './services.js';
import { registerKeyRoutes } from './security/key-rotation.js';
import { attachTechnicianAccess } from './security/pin-guard.js';
// ---- wiring imports: each optional subsystem adds its import here ----
import { attachBoard } from './wiring/board.js';
import { BOARD_SOCKET_SERVER_OPTIONS } from '../display/index.js';
import { attachHealth } from './wiring/health.js';
import { attachBiometrics } from './wiring/biometric.js';
import { attachSync } from './wiring/sync.js';
import { attachTill } from './wiring/till.js';
import { attachDesk } from './wiring/desk.js';
import { presentationAttackActions } from './config/index.js';
import { createKioskLogger } from './systemd/logger.js';
import { closeWithin, ConnectionGatekeeper, limitConnections, shortenHeadersTimeout } from '../lib/index.js';
// ---- end wiring imports ----

export const VERSION = '0.1.0';

export interface RunningKiosk {
  services: KioskServices;
  /** Stops readers, finishes in-flight decisions, puts doors in their safe state, closes the store. */
  stop(reason: string): Promise<void>;
}

async function openCore(config: KioskConfig, logger: Logger, bootId: string) {
  await mkdir(config.device.stateDir, { recursive: true, mode: 0o750 });
  // ESIK_FAKE_CLOCK_FILE (fault tests only) moves the wall clock and the NTP state under a real process.
  const clock = new KioskClock({ utcOffsetMinutes: config.device.utcOffsetMinutes, logger, ...clockOverrideFromEnv(process.env) });
  clock.start();
  // A damaged database is quarantined and its unsent events salvaged rather than keeping the door down.
  const { store, recovery } = await openKioskStoreAtBoot(config, { bootId, clock, logger });
  if (config.device.seedRosterFile !== undefined) await seedRosterIfEmpty(store.roster, config.device.seedRosterFile, logger);
  await store.registerDoors(config.doors.map((door) => ({ name: door.name, kind: door.kind })));
  const roster = await RosterCache.load(store.roster);
  return { clock, store, roster, recovery };
}

export interface StartKioskOptions {
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  /** Test-only: which client addresses the technician PIN guard treats as local (default: real loopback). */
  pinGuardIsLoopback?: (address: string | undefined) => boolean;
}

export async function startKiosk(configFile: string, options: StartKioskOptions = {}): Promise<RunningKiosk> {
  const { config, file, overrides } = await loadConfig(configFile, options.env);
  const logger = options.logger ?? createKioskLogger({ base: { device: config.device.id } });
  const bootId = uuidv7();
  const { clock, store, roster, recovery } = await openCore(config, logger, bootId);
  const hardware = await buildHardware(config, logger, () => clock.monoMs());
  const kiosk = new Kiosk({
    events: store.events, roster, doors: [...hardware.doors.values()], clock, logger,
    antiPassback: config.policy.antiPassback, mode: config.policy.mode, failMode: config.storage.failMode,
    credentialModes: config.policy.credentialModes, presentationAttack: presentationAttackActions(config.biometric?.presentationAttack),
    lastPassages: await store.lastPassages(), usedCredentialIds: await store.usedSingleUseCredentials(),
  });
  const http = Fastify({ logger: false });
  let gatekeeper: ConnectionGatekeeper | null = null;
  // A client on the network holds a few connections, not thousands (lib/connection-limits.ts).
  limitConnections(http.server);
  shortenHeadersTimeout(http.server);
  // Board and simulator messages are tiny; a 16 KiB cap keeps a misbehaving client from making us buffer megabytes.
  const io = new SocketIoServer(http.server, { serveClient: true, ...BOARD_SOCKET_SERVER_OPTIONS });
  const shutdownHooks: Array<() => Promise<void> | void> = [];
  const statusProviders = new Map<string, StatusProvider>();
  const services: KioskServices = {
    config, configFile: file, logger, bootId, clock, store, roster, kiosk, ...hardware, http, io, admin: Fastify({ logger: false }),
    publicPort: () => gatekeeper?.port ?? portOf(http.server),
    addStatus: (name, provider) => void statusProviders.set(name, provider),
    onShutdown: (fn) => void shutdownHooks.push(fn),
    storeRecovery: recovery,
    // Made before any wiring, so the attach lines below may run in any order.
    metrics: new KioskMetrics(new Registry(), { defaultLabels: { device: config.device.id } }),
    faceEngine: new FaceEngineHolder(),
  };
  services.addStatus('storeRecovery', () => recovery ?? { recovered: false });
  registerAdminRoutes(services, statusProviders);
  registerKeyRoutes(services);
  // The simulator behind one technician-PIN guard: sessions, lockouts, PINs verified on their own thread.
  await attachTechnicianAccess(services, { isLoopback: options.pinGuardIsLoopback });
  // ---- wiring: each optional subsystem adds one line here, e.g. `await attachBoard(services);` ----
  await attachBoard(services, { openFirmataBoard: hardware.openFirmataBoard });
  await attachHealth(services);
  await attachBiometrics(services);
  await attachSync(services);
  // The canteen till, when configured, takes the readers that name it; the others serve the doors.
  const tillReaders = await attachTill(services);
  // The library desk, when configured: the librarian's page; its scanners type into it.
  await attachDesk(services);
  // ---- end wiring ----

  for (const reader of hardware.readers.values()) {
    if (!tillReaders.has(reader.id)) kiosk.attachReader(reader);
    await reader.start();
  }
  if (config.policy.mode !== 'normal') await kiosk.setMode(config.policy.mode);
  gatekeeper = await listenPublic(services);
  await listenAdmin(services.admin, config.admin.socketPath ?? `${config.device.stateDir}/admin.sock`);
  await kiosk.record(deviceStarted({ version: VERSION, configFile: file, envOverrides: overrides }));
  if (recovery !== null) await kiosk.record(dbCorruptAlarmDraft(recovery));
  logger.info({ http: { address: config.http.host, port: services.publicPort() }, gatekeeper: gatekeeper !== null, admin: config.admin.socketPath, doors: [...hardware.doors.keys()] }, 'kiosk started');
  return { services, stop: (reason) => stopKiosk(services, shutdownHooks, reason, () => hardware.openFirmataBoard.close()) };
}

const portOf = (server: { address(): unknown }): number | null => {
  const address = server.address();
  return typeof address === 'object' && address !== null && 'port' in address && typeof address.port === 'number' ? address.port : null;
};

/**
 * The public port: on the kiosk's own loop when only loopback can reach it, else (or when set 'on')
 * through a gatekeeper process that takes floods of connects off the door's loop (lib/gatekeeper.ts).
 */
async function listenPublic(services: KioskServices): Promise<ConnectionGatekeeper | null> {
  const { http, config, logger } = services;
  const open = config.http.gatekeeper === 'on' || (config.http.gatekeeper === 'auto' && !isLoopbackHost(config.http.host));
  if (!open) {
    await http.listen({ host: config.http.host, port: config.http.port });
    return null;
  }
  await http.ready();
  // Node starts closing connections that are slow to send their headers (headersTimeout) when the
  // server emits 'listening'; this one never listens itself, so it is told here, or a silent
  // connection handed in would be held for ever.
  http.server.emit('listening');
  const gatekeeper = new ConnectionGatekeeper(http.server, { host: config.http.host, port: config.http.port, logger: logger.child({ ns: 'gatekeeper' }) });
  await gatekeeper.start();
  // Stopped first among the hooks: no new connection is handed in while the kiosk shuts down.
  services.onShutdown(() => gatekeeper.stop());
  return gatekeeper;
}

const isLoopbackHost = (host: string): boolean => host === 'localhost' || host === '::1' || host.startsWith('127.');

async function stopKiosk(services: KioskServices, shutdownHooks: Array<() => Promise<void> | void>, reason: string, closeSerialPorts: () => Promise<void>): Promise<void> {
  const { logger, kiosk } = services;
  logger.info({ reason }, 'stopping');
  await kiosk.drain();
  for (const hook of shutdownHooks.reverse()) {
    await Promise.resolve(hook()).catch((error: unknown) => logger.error({ err: error }, 'shutdown hook failed'));
  }
  await services.doorSet.safeState().catch((error: unknown) => logger.error({ err: error }, 'a door did not reach its safe state'));
  await kiosk.record(deviceStopped(reason));
  // Within a second whatever the clients hold open (lib/http-close.ts): the doors wait for this restart.
  await closeWithin(services.http.server, () => services.io.close().catch(() => undefined));
  await Promise.allSettled([closeWithin(services.http.server, () => services.http.close()), closeWithin(services.admin.server, () => services.admin.close())]);
  await services.doorSet.close();
  // Only after the doors are closed (their relays are in the safe state): releases the Firmata ttys.
  await closeSerialPorts().catch((error: unknown) => logger.error({ err: error }, 'a Firmata serial port did not close'));
  services.clock.stop();
  await services.store.close();
  logger.info('stopped');
}

/** `esik run`: starts the kiosk and stops it on SIGTERM/SIGINT within a hard deadline. */
export async function runKiosk(configFile: string, hardDeadlineMs = 10_000): Promise<void> {
  const running = await startKiosk(configFile);
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    const deadline = setTimeout(() => {
      running.services.logger.fatal({ signal, hardDeadlineMs }, 'shutdown deadline passed; exiting');
      process.exit(1);
    }, hardDeadlineMs);
    deadline.unref();
    running.stop(signal).then(
      () => {
        process.exitCode = 0;
      },
      (error: unknown) => {
        running.services.logger.fatal({ err: error }, 'shutdown failed');
        process.exitCode = 1;
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}
