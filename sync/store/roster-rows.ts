// Roster records to and from their rows. Names and template vectors are sealed here with the
// FieldCipher; the AAD binds each sealed value to its row (and a template to its owner), so a
// sealed value moved to another row does not open.
import type { FieldCipher } from './cipher.js';
import type { Credential, DisplayConsent, Modality, Person, PersonRole, PersonStatus, Schedule, TemplateRecord } from './types.js';
import { type Row, type SqlValue, blob, blobOrNull, num, text, textOrNull } from './db.js';

export const nameAad = (personId: string): string => `people.name:${personId}`;
export const shortNameAad = (personId: string): string => `people.short_name:${personId}`;
export const templateAad = (id: string, personId: string, modality: string): string =>
  `templates.vector:${id}:${personId}:${modality}`;

export const PERSON_COLUMNS = [
  'id', 'name_sealed', 'short_name_sealed', 'group_name', 'role', 'status', 'valid_from', 'valid_to',
  'biometric_consent', 'display_consent', 'seen_gen',
] as const;
export const CREDENTIAL_COLUMNS = ['id', 'person_id', 'kind', 'value', 'valid_from', 'valid_to', 'single_use', 'seen_gen'] as const;
export const TEMPLATE_COLUMNS = ['id', 'person_id', 'modality', 'algo', 'dims', 'vector_sealed', 'seen_gen'] as const;

export function personParams(person: Person, cipher: FieldCipher, gen: number): SqlValue[] {
  return [
    person.id,
    cipher.seal(Buffer.from(person.name, 'utf8'), nameAad(person.id)),
    person.shortName === null ? null : cipher.seal(Buffer.from(person.shortName, 'utf8'), shortNameAad(person.id)),
    person.group,
    person.role,
    person.status,
    person.validFrom,
    person.validTo,
    person.biometricConsent ? 1 : 0,
    person.displayConsent,
    gen,
  ];
}

export function rowToPerson(row: Row, cipher: FieldCipher): Person {
  const id = text(row, 'id');
  const shortSealed = blobOrNull(row, 'short_name_sealed');
  return {
    id,
    name: cipher.open(blob(row, 'name_sealed'), nameAad(id)).toString('utf8'),
    shortName: shortSealed === null ? null : cipher.open(shortSealed, shortNameAad(id)).toString('utf8'),
    group: textOrNull(row, 'group_name'),
    role: text(row, 'role') as PersonRole,
    status: text(row, 'status') as PersonStatus,
    validFrom: textOrNull(row, 'valid_from'),
    validTo: textOrNull(row, 'valid_to'),
    biometricConsent: num(row, 'biometric_consent') === 1,
    displayConsent: text(row, 'display_consent') as DisplayConsent,
  };
}

export function credentialParams(credential: Credential, gen: number): SqlValue[] {
  return [
    credential.id, credential.personId, credential.kind, credential.value,
    credential.validFrom, credential.validTo, credential.singleUse ? 1 : 0, gen,
  ];
}

export function rowToCredential(row: Row): Credential {
  return {
    id: text(row, 'id'),
    personId: text(row, 'person_id'),
    kind: text(row, 'kind') as Credential['kind'],
    value: text(row, 'value'),
    validFrom: textOrNull(row, 'valid_from'),
    validTo: textOrNull(row, 'valid_to'),
    singleUse: num(row, 'single_use') === 1,
  };
}

export function templateParams(template: TemplateRecord, cipher: FieldCipher, gen: number): SqlValue[] {
  if (!(template.vector instanceof Float32Array)) {
    throw new TypeError(`template ${template.id}: vector must be a Float32Array`);
  }
  // Float32Array is little-endian on every platform esik runs on (arm64, x86-64).
  const plain = Buffer.from(template.vector.buffer, template.vector.byteOffset, template.vector.byteLength);
  return [
    template.id, template.personId, template.modality, template.algo, template.vector.length,
    cipher.seal(plain, templateAad(template.id, template.personId, template.modality)), gen,
  ];
}

export function rowToTemplate(row: Row, cipher: FieldCipher): TemplateRecord {
  const id = text(row, 'id');
  const personId = text(row, 'person_id');
  const modality = text(row, 'modality') as Modality;
  const plain = cipher.open(blob(row, 'vector_sealed'), templateAad(id, personId, modality));
  if (plain.length % 4 !== 0) throw new TypeError(`template ${id}: vector length ${plain.length} is not a float32 multiple`);
  // Copy into an aligned buffer of its own, then wipe the decrypted temporary.
  const vector = new Float32Array(plain.length / 4);
  new Uint8Array(vector.buffer).set(plain);
  plain.fill(0);
  return { id, personId, modality, algo: text(row, 'algo'), vector };
}

export function rowToSchedule(row: Row): Schedule {
  const body: unknown = JSON.parse(text(row, 'body'));
  if (typeof body !== 'object' || body === null || typeof (body as { id?: unknown }).id !== 'string') {
    throw new TypeError(`schedule ${text(row, 'id')}: stored body is not a schedule`);
  }
  return body as Schedule;
}
