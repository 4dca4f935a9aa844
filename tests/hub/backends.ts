// What both hub storages are opened with in the contract tests: SQLite in a temp folder, and
// PostgreSQL on one throwaway server per test file with a fresh database per storage.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { PgHubStorage, SqliteHubStorage, type HubStorage, type IngestItem } from '../../hub/index.js';
import { wireEventSchema, type WireEvent, type WireRosterChange } from '../../protocol/index.js';
import { silentLogger } from '../sync/helpers.js';
import { startPostgres, type TempPostgres } from '../helpers/postgres.js';

export interface StorageBackend {
  name: 'sqlite' | 'postgres';
  start(): Promise<void>;
  /** A new, empty, migrated storage. `sameAs`: a second handle (another "process") on the same database. */
  open(sameAs?: HubStorage): Promise<HubStorage>;
  /** Where an opened storage lives (a SQLite file or a PostgreSQL URL), for stores that open their own connection (the library). */
  location(storage: HubStorage): string;
  stop(): Promise<void>;
}

function sqliteBackend(): StorageBackend {
  let dir = '';
  let count = 0;
  const files = new Map<HubStorage, string>();
  return {
    name: 'sqlite',
    async start() {
      dir = await mkdtemp(join(tmpdir(), 'esik-hub-contract-'));
    },
    async open(sameAs) {
      const file = (sameAs && files.get(sameAs)) || join(dir, `hub-${++count}.db`);
      const storage = await SqliteHubStorage.open(file);
      files.set(storage, file);
      return storage;
    },
    location: (storage) => files.get(storage) ?? '',
    stop: () => rm(dir, { recursive: true, force: true }),
  };
}

function postgresBackend(): StorageBackend {
  let server: TempPostgres | null = null;
  const urls = new Map<HubStorage, string>();
  return {
    name: 'postgres',
    async start() {
      server = await startPostgres();
    },
    async open(sameAs) {
      if (!server) throw new Error('postgres backend not started');
      const url = (sameAs && urls.get(sameAs)) || (await server.createDatabase());
      const storage = await PgHubStorage.open(url, silentLogger);
      urls.set(storage, url);
      return storage;
    },
    location: (storage) => urls.get(storage) ?? '',
    stop: async () => server?.stop(),
  };
}

export const backends: ReadonlyArray<[string, () => StorageBackend]> = [
  ['sqlite', sqliteBackend],
  ['postgres', postgresBackend],
];

const WALL = Date.UTC(2026, 8, 1, 3, 0, 0);

/** A valid wire event at `seq` (trusted time unless overridden). */
export function event(seq: number, overrides: Partial<WireEvent> = {}): WireEvent {
  return wireEventSchema.parse({
    id: uuidv7(), seq, type: 'access.granted', at: new Date(WALL + seq).toISOString(), wallMs: WALL + seq, timeTrusted: true,
    bootId: 'boot-a', monoMs: 1000 + seq, door: 'main', direction: 'in', personId: 'p-1', credential: { kind: 'card', ref: 'c-1' }, reason: null, ...overrides,
  });
}

export function items(...events: WireEvent[]): IngestItem[] {
  return events.map((e) => ({ event: e }));
}

export const NOW = Date.UTC(2026, 8, 1, 4, 0, 0);

export function person(id: string, overrides: Record<string, unknown> = {}): WireRosterChange {
  return {
    op: 'upsert', type: 'person',
    data: { id, name: `Name ${id}`, shortName: null, group: '5B', role: 'student', status: 'active', validFrom: null, validTo: null, biometricConsent: true, displayConsent: 'short', ...overrides },
  };
}

export function template(id: string, personId: string): WireRosterChange {
  return { op: 'upsert', type: 'template', data: { id, personId, modality: 'face', algo: 'face-api-128', data: 'AAAAAA==' } };
}

export function credential(id: string, personId: string): WireRosterChange {
  return { op: 'upsert', type: 'credential', data: { id, personId, kind: 'card', value: `card-${id}`, validFrom: null, validTo: null, singleUse: false } };
}
