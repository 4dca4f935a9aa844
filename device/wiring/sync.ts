// Wires the sync client into the kiosk: token from the token file (re-read every cycle, so a
// rotated token needs no restart), the hub's Date header into the kiosk clock, pulled roster pages
// into the in-memory roster (which purges deleted and blocked people from the matcher; the store
// already purged them on disk), hub commands onto the doors and the kiosk mode (each at most once,
// remembered in the store across restarts: executed-commands.ts), and
// `esik sync status | now` through the admin socket.
import { readFile } from 'node:fs/promises';
import { SyncClient, createHubDispatcher, type CommandAck, type HubCommand, type SyncClientOptions } from '../../sync/index.js';
import type { KioskServices } from '../services.js';
import { alarmRaised, auditEvent } from '../system-events.js';
import { KIOSK_MODES } from '../vocabulary.js';
import { ExecutedCommandLog } from './executed-commands.js';

async function openDoorRemotely(services: KioskServices, command: HubCommand): Promise<CommandAck> {
  const doorName = command.args.door;
  if (typeof doorName !== 'string') return { ok: false, error: 'args.door must name a door' };
  const door = services.doors.get(doorName);
  if (!door) return { ok: false, error: `no door "${doorName}" on this kiosk` };
  // The record comes first: a door never opens without a durable reason.
  const recorded = await services.kiosk.record(auditEvent('remote_open', { actor: 'hub', commandId: command.id }, { door: doorName }));
  if (recorded === null) return { ok: false, error: 'the event store is failing: door not opened' };
  await door.grant('in');
  return { ok: true, result: { door: doorName, seq: recorded.seq } };
}

/** Only settings that are safe to change at run time are settable from the hub. */
async function setRemoteValue(services: KioskServices, command: HubCommand): Promise<CommandAck> {
  const { key, value } = command.args;
  if (key === 'kiosk.mode') {
    const mode = KIOSK_MODES.find((m) => m === value);
    if (!mode) return { ok: false, error: `kiosk.mode must be one of ${KIOSK_MODES.join(', ')}` };
    await services.kiosk.setMode(mode, `hub:${command.id}`);
    return { ok: true, result: { key, value: mode } };
  }
  return { ok: false, error: `${typeof key === 'string' ? key : '(no key)'} cannot be set remotely` };
}

export function executeHubCommand(services: KioskServices, command: HubCommand): Promise<CommandAck> {
  switch (command.kind) {
    case 'door.open':
      return openDoorRemotely(services, command);
    case 'config.set':
      return setRemoteValue(services, command);
    default:
      return Promise.resolve({ ok: false, error: `unsupported command ${command.kind}` });
  }
}

export async function attachSync(services: KioskServices, overrides: Partial<SyncClientOptions> = {}): Promise<SyncClient | null> {
  const config = services.config.sync;
  const logger = services.logger.child({ ns: 'sync-wiring' });
  if (!config.url) {
    logger.info('sync.url is not set: running without upstream');
    services.addStatus('sync', () => ({ state: 'disabled' }));
    services.admin.get('/v1/sync/status', () => ({ state: 'disabled' }));
    services.admin.post('/v1/sync/now', () => ({ ok: false, error: 'sync is not configured (sync.url)' }));
    return null;
  }
  const tokenFile = config.tokenFile;
  if (!tokenFile) throw new Error('sync.url is set but sync.tokenFile is not: the hub needs this device\'s token');
  const dispatcher = config.url.startsWith('https:')
    ? createHubDispatcher({ ca: config.caFile ? await readFile(config.caFile) : undefined, pins: config.pins })
    : undefined;
  // Remembered in the store: a command the hub re-delivers after a crash is never run twice.
  const executed = new ExecutedCommandLog({
    state: services.store.state,
    logger: services.logger,
    wallMs: () => services.clock.wallMs(),
    trustedWallMs: () => (services.clock.trusted() ? services.clock.wallMs() : null),
  });
  const client = new SyncClient({
    baseUrl: config.url,
    deviceId: services.config.device.id,
    token: async () => (await readFile(tokenFile, 'utf8')).trim(),
    outbox: services.store.outbox,
    roster: services.store.roster,
    logger: services.logger,
    dispatcher,
    intervalMs: config.intervalMs,
    onRosterApplied: (changes, purged) => services.roster.applyChanges(changes, purged),
    onCommand: (command) => executed.runOnce(command, () => executeHubCommand(services, command)),
    onServerTime: (ms) => services.clock.setOffsetFromHub(ms),
    // Our events the hub refused as seq/id conflicts stay quarantined (sync status shows them); the alarm is durable and syncs.
    onConflict: async (conflicts) => {
      const events = conflicts.slice(0, 20).map((c) => ({ id: c.id, seq: c.seq }));
      await services.kiosk.record(alarmRaised('sync_conflict', { count: conflicts.length, events }));
    },
    clockAnchor: () => (services.clock.trusted() ? { bootId: services.bootId, monoMs: services.clock.monoMs(), wallMs: services.clock.wallMs() } : null),
    onCycle: (result) => {
      if (result.ok) services.metrics.markSyncSucceeded(services.clock.wallMs());
    },
    ...overrides,
  });
  services.kiosk.on('event', () => client.notify());
  services.addStatus('sync', () => client.status());
  services.admin.get('/v1/sync/status', () => client.status());
  services.admin.post('/v1/sync/now', async () => ({ ...(await client.syncNow()), status: await client.status() }));
  services.onShutdown(() => client.stop());
  client.start();
  return client;
}
