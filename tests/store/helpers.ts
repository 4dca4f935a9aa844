import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import {
  type EventClock, type EventDraft, type FieldCipher, type Person, type Store, type StoreOptions,
  createFieldCipher, openStore,
} from '../../sync/store/index.js';

export const silentLogger = pino({ level: 'silent' });

export class ManualClock implements EventClock {
  constructor(public wall = Date.UTC(2026, 8, 1, 2, 58, 12, 345), public mono = 1000, public isTrusted = true, public offset = 300) {}
  wallMs(): number { return this.wall; }
  monoMs(): number { return this.mono; }
  trusted(): boolean { return this.isTrusted; }
  utcOffsetMinutes(): number { return this.offset; }
}

export function randomCipher(keyId = `k-${randomBytes(4).toString('hex')}`): FieldCipher {
  return createFieldCipher(randomBytes(32), keyId);
}

export interface TempStore {
  dir: string;
  path: string;
  cipher: FieldCipher;
  clock: ManualClock;
  open(overrides?: Partial<StoreOptions>): Promise<Store>;
  cleanup(): Promise<void>;
}

export async function tempStore(): Promise<TempStore> {
  const dir = await mkdtemp(join(tmpdir(), 'esik-store-'));
  const path = join(dir, 'esik.db');
  const cipher = randomCipher();
  const clock = new ManualClock();
  return {
    dir, path, cipher, clock,
    open: (overrides = {}) => openStore({ path, deviceId: 'dev-1', bootId: 'boot-1', clock, cipher, logger: silentLogger, ...overrides }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

export function grant(personId: string, door = 'main', direction: 'in' | 'out' = 'in'): EventDraft {
  return { type: 'access.granted', door, direction, personId, credential: { kind: 'card', ref: 'c-1' }, reason: null };
}

export function person(id: string, overrides: Partial<Person> = {}): Person {
  return {
    id, name: `Name ${id}`, shortName: `N. ${id}`, group: '5B', role: 'student', status: 'active',
    validFrom: null, validTo: null, biometricConsent: true, displayConsent: 'short', ...overrides,
  };
}

export function vector(seed: number, dims = 128): Float32Array {
  const v = new Float32Array(dims);
  for (let i = 0; i < dims; i++) v[i] = Math.sin(seed * 1000 + i) * 0.5 + seed / 1e6;
  return v;
}
