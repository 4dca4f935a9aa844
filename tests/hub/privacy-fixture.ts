// Shared pieces of the data-subject request tests: a real hub (buildHub on port 0) over SQLite in a
// temp folder or a throwaway PostgreSQL, the child whose data is asked about, devices that pull the
// roster the way a kiosk does (the acknowledgement is the since= of the next pull), and the byte
// needles a destruction must leave nowhere.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { fetch } from 'undici';
import { buildHub, PgHubStorage, SqliteHubStorage, type HubStorage } from '../../hub/index.js';
import { openPersonKeys } from '../../hub/keys/index.js';
import { encodeTemplateVector, type WireRosterChange } from '../../protocol/index.js';
import type { Needle } from '../helpers/file-scan.js';
import { startPostgres, type TempPostgres } from '../helpers/postgres.js';
import { adminCall, registerDevice, silentLogger } from '../sync/helpers.js';

export interface PrivacyHub {
  url: string;
  adminToken: string;
  storage: HubStorage;
  /** SQLite: the folder holding hub.db and its -wal/-shm (and the person key store); null on PostgreSQL. */
  dbDir: string | null;
  /** PostgreSQL: the throwaway server's folder (its data directory with pg_wal); null on SQLite. */
  pgDataDir: string | null;
  /** PostgreSQL: the folder holding the person key store and master key (never in the database). */
  keyDir: string | null;
  stop(): Promise<void>;
}

export async function startPrivacyHub(kind: 'sqlite' | 'postgres', holidays: string[] = []): Promise<PrivacyHub> {
  let postgres: TempPostgres | null = null;
  let dir: string | null = null;
  let keyDir: string | null = null;
  let storage: HubStorage;
  if (kind === 'sqlite') {
    dir = await mkdtemp(join(tmpdir(), 'esik-privacy-'));
    storage = await SqliteHubStorage.open(join(dir, 'hub.db'));
  } else {
    postgres = await startPostgres();
    keyDir = await mkdtemp(join(tmpdir(), 'esik-privacy-keys-'));
    const keys = await openPersonKeys({ keyStore: join(keyDir, 'person-keys.sqlite'), masterKey: join(keyDir, 'master-key') });
    storage = await PgHubStorage.open(await postgres.createDatabase(), silentLogger, undefined, keys);
  }
  const adminToken = randomBytes(24).toString('base64url');
  // With the console: its audit table is part of what a request to know answers.
  const app: FastifyInstance = await buildHub({ storage, logger: silentLogger, adminToken, console: {}, privacy: { deadlines: { holidays } } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    adminToken,
    storage,
    dbDir: dir,
    pgDataDir: postgres?.dataDir ?? null,
    keyDir,
    stop: async () => {
      await app.close();
      await storage.close();
      await postgres?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
      if (keyDir) await rm(keyDir, { recursive: true, force: true });
    },
  };
}

/** The child: a Kazakh name (two-byte UTF-8), a card, a face template. */
export const CHILD = {
  id: 'p-aliya',
  name: 'Әлия Қасымқызы Жұмабаева',
  card: '04C0FFEE7A',
  vector: Float32Array.from({ length: 128 }, (_, i) => Math.sin(i * 1.37) * 0.31 + 0.0123),
};

export function childRoster(): WireRosterChange[] {
  return [
    { op: 'upsert', type: 'person', data: { id: CHILD.id, name: CHILD.name, shortName: 'Әлия Ж.', group: '5B', role: 'student', status: 'active', validFrom: null, validTo: null, biometricConsent: true, displayConsent: 'short' } },
    { op: 'upsert', type: 'credential', data: { id: 'c-aliya', personId: CHILD.id, kind: 'card', value: CHILD.card, validFrom: null, validTo: null, singleUse: false } },
    { op: 'upsert', type: 'template', data: { id: 't-aliya', personId: CHILD.id, modality: 'face', algo: 'faceapi-resnet128-v1', data: encodeTemplateVector(CHILD.vector) } },
  ];
}

/** Pupils of 5B may pass the main door at any time (a kiosk denies anyone without a schedule). */
export function allDaySchedule(): WireRosterChange {
  return { op: 'upsert', type: 'schedule', data: { id: 's-5b', groups: ['5B'], roles: ['student'], weekly: [{ days: [1, 2, 3, 4, 5, 6, 7], from: '00:00', to: '23:59' }], doors: [] } };
}

/** Another pupil, who must come through every request about the child untouched. */
export function otherRoster(): WireRosterChange[] {
  return [
    { op: 'upsert', type: 'person', data: { id: 'p-other', name: 'Other Pupil', shortName: null, group: '5B', role: 'student', status: 'active', validFrom: null, validTo: null, biometricConsent: false, displayConsent: 'short' } },
    { op: 'upsert', type: 'credential', data: { id: 'c-other', personId: 'p-other', kind: 'card', value: '04BEEF0001', validFrom: null, validTo: null, singleUse: false } },
  ];
}

function utf16le(text: string): Buffer {
  return Buffer.from(text, 'utf16le');
}

/** What a destruction must leave in no file: the name and card (UTF-8, UTF-16LE), the template (raw and base64). */
export function childNeedles(): Needle[] {
  const raw = Buffer.from(CHILD.vector.buffer, CHILD.vector.byteOffset, CHILD.vector.byteLength);
  const base64 = encodeTemplateVector(CHILD.vector);
  return [
    { what: 'name (UTF-8)', bytes: Buffer.from(CHILD.name) },
    { what: 'name (UTF-16LE)', bytes: utf16le(CHILD.name) },
    { what: 'card value (UTF-8)', bytes: Buffer.from(CHILD.card) },
    { what: 'card value (UTF-16LE)', bytes: utf16le(CHILD.card) },
    { what: 'template (float32 bytes)', bytes: raw.subarray(0, 64) },
    { what: 'template (base64)', bytes: Buffer.from(base64.slice(0, 64)) },
  ];
}

/** A device that pulls the roster by cursor as a kiosk does, and keeps what it was sent. */
export class PullingDevice {
  cursor: string | null = null;
  readonly received: WireRosterChange[] = [];

  private constructor(private readonly hub: PrivacyHub, readonly id: string, private readonly token: string) {}

  static async register(hub: PrivacyHub, id: string): Promise<PullingDevice> {
    return new PullingDevice(hub, id, await registerDevice(hub, id));
  }

  /** Pushes events as this device; returns the HTTP status. */
  async push(events: readonly unknown[]): Promise<number> {
    const response = await fetch(`${this.hub.url}/v1/devices/${this.id}/events`, {
      method: 'POST', headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ events }),
    });
    await response.text();
    return response.status;
  }

  /** One sync: pages until `more` is false. Its first request acknowledges the previous sync's cursor. */
  async sync(): Promise<void> {
    for (;;) {
      const query = this.cursor === null ? '' : `?since=${encodeURIComponent(this.cursor)}`;
      const response = await fetch(`${this.hub.url}/v1/devices/${this.id}/roster${query}`, { headers: { authorization: `Bearer ${this.token}` } });
      if (response.status !== 200) throw new Error(`roster pull ${response.status}: ${await response.text()}`);
      const page = (await response.json()) as { changes: WireRosterChange[]; cursor: string; more: boolean };
      this.received.push(...page.changes);
      this.cursor = page.cursor;
      if (!page.more) return;
    }
  }
}

export async function newRequest(hub: { url: string; adminToken: string }, kind: 'know' | 'block' | 'destroy', receivedOn: string, personId = CHILD.id): Promise<{ id: string; deadline: string; status: string }> {
  const created = await adminCall(hub, 'POST', '/v1/admin/privacy/requests', { kind, personId, requester: 'Гүлнар, the mother', channel: 'in_person', receivedOn });
  if (created.status !== 201) throw new Error(`request not registered: ${created.status} ${JSON.stringify(created.json)}`);
  return created.json as { id: string; deadline: string; status: string };
}

/** A console audit record about the person, as the console writes one when an account opens their page. */
export async function auditAbout(hub: PrivacyHub, personId: string): Promise<void> {
  const sql = `INSERT INTO console_audit (at_ms, account_id, username, action, address, subject, detail) VALUES (1788231600000, NULL, 'director', 'person.view', '127.0.0.1', 'person:${personId}', '{}')`;
  if (hub.storage instanceof SqliteHubStorage) await hub.storage.database.run(sql);
  else if (hub.storage instanceof PgHubStorage) await hub.storage.database.query(sql);
}
