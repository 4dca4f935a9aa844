// The roster's personal fields sealed with each person's key (person-keys.ts): a person's name and
// short name, a template's vector. The stored JSON keeps its other fields in clear (the group for
// listGroups, the status for a block), with the sealed ones under `sealed`. The AAD names the
// table, field and entity (and a template's owner and modality), as the kiosk's store does, so a
// sealed value moved to another row does not open.
import type { RosterEntityType, WireRosterChange } from '../../protocol/index.js';
import type { FieldCipher } from '../../lib/index.js';
import type { PersonKeyStore } from './person-keys.js';

/** A stored roster row as both storages read it. */
export interface SealedRosterRow {
  type: RosterEntityType;
  entity_id: string;
  op: 'upsert' | 'delete';
  data: string | null;
}

type Json = Record<string, unknown>;

const nameAad = (id: string): string => `roster.person.name:${id}`;
const shortNameAad = (id: string): string => `roster.person.short_name:${id}`;
const templateAad = (id: string, personId: string, modality: string): string => `roster.template.data:${id}:${personId}:${modality}`;

/** Whose key seals this upsert's data (null: nothing personal to seal). */
function ownerOf(type: RosterEntityType, data: Json): string | null {
  if (type === 'person' && typeof data.id === 'string') return data.id;
  if (type === 'template' && typeof data.personId === 'string') return data.personId;
  return null;
}

const b64 = (buffer: Buffer): string => buffer.toString('base64');

function sealWith(cipher: FieldCipher, type: RosterEntityType, data: Json): Json {
  if (type === 'person') {
    const { name, shortName, ...rest } = data;
    const id = String(data.id);
    const seal = (value: unknown, aad: string): string | null => (typeof value === 'string' ? b64(cipher.seal(Buffer.from(value, 'utf8'), aad)) : null);
    return { ...rest, sealed: { name: seal(name, nameAad(id)), shortName: seal(shortName, shortNameAad(id)) } };
  }
  const { data: vector, ...rest } = data;
  const plain = Buffer.from(String(vector), 'base64');
  const sealed = b64(cipher.seal(plain, templateAad(String(data.id), String(data.personId), String(data.modality))));
  plain.fill(0);
  return { ...rest, sealed: { data: sealed } };
}

function openWith(cipher: FieldCipher, type: RosterEntityType, data: Json, sealed: Json): Json {
  const open = (value: unknown, aad: string): Buffer | null => (typeof value === 'string' ? cipher.open(Buffer.from(value, 'base64'), aad) : null);
  const { sealed: _sealed, ...rest } = data;
  if (type === 'person') {
    const id = String(data.id);
    return { ...rest, name: open(sealed.name, nameAad(id))?.toString('utf8') ?? '', shortName: open(sealed.shortName, shortNameAad(id))?.toString('utf8') ?? null };
  }
  const plain = open(sealed.data, templateAad(String(data.id), String(data.personId), String(data.modality)));
  if (plain === null) throw new Error('sealed template without data');
  return { ...rest, data: b64(plain) };
}

function parse(text: string | null): Json | null {
  try {
    const value: unknown = JSON.parse(text ?? 'null');
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : null;
  } catch {
    return null;
  }
}

/** Seals and opens roster data; both storages go through it for every write and read of `data`. */
export class RosterSealer {
  constructor(private readonly keys: PersonKeyStore) {}

  /** The JSON text to store for each change (null for a delete), personal fields sealed. */
  async seal(changes: readonly WireRosterChange[]): Promise<Array<string | null>> {
    const owners = changes.flatMap((change) => (change.op === 'upsert' ? [ownerOf(change.type, change.data as unknown as Json)] : [])).filter((id): id is string => id !== null);
    const ciphers = owners.length > 0 ? await this.keys.keysFor(owners) : new Map<string, FieldCipher>();
    return changes.map((change) => {
      if (change.op === 'delete') return null;
      const data = change.data as unknown as Json;
      const cipher = ciphers.get(ownerOf(change.type, data) ?? '');
      return JSON.stringify(cipher ? sealWith(cipher, change.type, data) : data);
    });
  }

  /**
   * The rows as wire changes, opened. A row that cannot be opened (its person's key destroyed, or
   * the value damaged) reads as that entity's deletion: erased, never an error. A row stored in
   * clear by an older hub reads as it is (the storages seal those in place at start).
   */
  async open(rows: readonly SealedRosterRow[]): Promise<WireRosterChange[]> {
    const parsed = rows.map((row) => (row.op === 'upsert' ? parse(row.data) : null));
    const owners = parsed.flatMap((data, i) => (data && data.sealed ? [ownerOf(rows[i]?.type ?? 'person', data) ?? ''] : []));
    const ciphers = owners.length > 0 ? await this.keys.existing(owners) : new Map<string, FieldCipher>();
    return rows.map((row, i): WireRosterChange => {
      const erased: WireRosterChange = { op: 'delete', type: row.type, id: row.entity_id };
      const data = parsed[i];
      if (row.op === 'delete') return erased;
      if (!data) return erased;
      const sealed = data.sealed;
      if (typeof sealed !== 'object' || sealed === null) return { op: 'upsert', type: row.type, data } as unknown as WireRosterChange;
      const cipher = ciphers.get(ownerOf(row.type, data) ?? '');
      if (!cipher) return erased;
      try {
        return { op: 'upsert', type: row.type, data: openWith(cipher, row.type, data, sealed as Json) } as unknown as WireRosterChange;
      } catch {
        return erased;
      }
    });
  }

  /** True when a stored upsert's data holds personal fields in clear (an older hub's row). */
  static isClear(row: SealedRosterRow): boolean {
    if (row.op !== 'upsert' || (row.type !== 'person' && row.type !== 'template')) return false;
    const data = parse(row.data);
    return data !== null && data.sealed === undefined && ownerOf(row.type, data) !== null;
  }

  /** Destroys the person's key: every sealed copy of their names and templates becomes unreadable. */
  destroy(personId: string): Promise<boolean> {
    return this.keys.destroy(personId);
  }

  identity(): Promise<string> {
    return this.keys.identity();
  }

  close(): Promise<void> {
    return this.keys.close();
  }
}
