// A kiosk on a real SQLite store in a temp dir, real door controllers, and simulated relays as the
// transport fake: each relay command records the store's committed seq at that instant.
import { pino } from 'pino';
import { DoorController } from '../../../device/door/index.js';
import { SimulatedInput, SimulatedRelay, type RelayCommand } from '../../../device/hw/index.js';
import { Kiosk, type FailMode } from '../../../device/kiosk/index.js';
import { RosterCache } from '../../../device/roster-cache.js';
import type { RosterChange, Store } from '../../../sync/store/index.js';
import { person, tempStore, type TempStore } from '../../store/helpers.js';

export const silent = pino({ level: 'silent' });

export interface RelayObservation extends RelayCommand {
  /** store.events.lastSeq() when the command reached the relay. */
  committedSeq: number;
}

export interface KioskRig {
  temp: TempStore;
  store: Store;
  roster: RosterCache;
  kiosk: Kiosk;
  door: DoorController;
  sensor: SimulatedInput;
  relayLog: RelayObservation[];
  close(): Promise<void>;
}

export const ROSTER: RosterChange[] = [
  { op: 'upsert', type: 'person', data: person('p-1', { name: 'Айгерім Сейтқали' }) },
  { op: 'upsert', type: 'person', data: person('p-2', { status: 'blocked' }) },
  { op: 'upsert', type: 'person', data: person('p-3', { role: 'staff', group: null }) },
  { op: 'upsert', type: 'credential', data: { id: 'c-1', personId: 'p-1', kind: 'card', value: '04A2B91C', validFrom: null, validTo: null, singleUse: false } },
  { op: 'upsert', type: 'credential', data: { id: 'c-2', personId: 'p-2', kind: 'card', value: '04A2B91D', validFrom: null, validTo: null, singleUse: false } },
  { op: 'upsert', type: 'credential', data: { id: 'c-3', personId: 'p-3', kind: 'card', value: '0A11C0DE', validFrom: null, validTo: null, singleUse: false } },
  { op: 'upsert', type: 'credential', data: { id: 'c-q', personId: 'p-1', kind: 'qr', value: 'ONCE-1', validFrom: null, validTo: null, singleUse: true } },
  { op: 'upsert', type: 'schedule', data: { id: 's-all', groups: ['*'], roles: ['student', 'staff'], weekly: [{ days: [1, 2, 3, 4, 5, 6, 7], from: '00:00', to: '23:59' }], doors: [] } },
];

export async function kioskRig(options: { failMode?: FailMode; queueCapacity?: number } = {}): Promise<KioskRig> {
  const temp = await tempStore();
  const store = await temp.open();
  await store.roster.applyLocal(ROSTER);
  const roster = await RosterCache.load(store.roster);
  const relayLog: RelayObservation[] = [];
  const relay = new SimulatedRelay('main.relay', { contact: 'NO', activeLow: false }, (command) => {
    relayLog.push({ ...command, committedSeq: store.events.lastSeq() });
  });
  const sensor = new SimulatedInput('main.sensor');
  const door = new DoorController({ name: 'main', kind: 'door', lockType: 'fail-secure', pulseMs: 3000, heldOpenMs: 30_000, relays: { in: relay }, sensor, logger: silent });
  await door.ready;
  relayLog.length = 0;
  const kiosk = new Kiosk({
    events: store.events, roster, doors: [door], clock: temp.clock, logger: silent,
    antiPassback: 'hard', mode: 'normal', failMode: options.failMode ?? 'secure',
    queueCapacity: options.queueCapacity, retryIntervalMs: 60_000,
  });
  return {
    temp, store, roster, kiosk, door, sensor, relayLog,
    close: async () => {
      await kiosk.drain();
      await door.close();
      await store.close().catch(() => undefined);
      await temp.cleanup();
    },
  };
}

export function card(value: string, readerId = 'main-in') {
  return { kind: 'card' as const, readerId, monoMs: 1, value };
}

/** Fills the database up to SQLite's page limit so the next append fails with StoreFullError. */
export async function fillStore(store: Store): Promise<void> {
  await store.setMaxPageCount(1);
  for (let i = 0; i < 100_000; i++) {
    try {
      await store.events.append({ type: 'audit', door: null, direction: null, personId: null, credential: null, reason: 'fill', data: { n: i } });
    } catch {
      return;
    }
  }
  throw new Error('store never filled up');
}
