// Key rotation: every sealed field opened with the current cipher and sealed again with the next,
// inside the caller's single transaction, so a crash leaves the whole database on one key.
import type { FieldCipher } from './cipher.js';
import { type SqlRunner, blob, blobOrNull, text } from './db.js';
import { kvSet } from './kv.js';
import { nameAad, shortNameAad, templateAad } from './roster-rows.js';

/** A known value sealed with the current key: opening it at start proves the key file matches. */
export const CHECK_KEY = 'cipher.check';
export const KEY_ID_KEY = 'cipher.keyId';
export const CHECK_AAD = 'kv.cipher.check';
export const CHECK_PLAIN = 'esik field cipher check v1';

export async function rekeyFields(sql: SqlRunner, current: FieldCipher, next: FieldCipher): Promise<number> {
  let rows = 0;
  for (const row of await sql.all('SELECT id, name_sealed, short_name_sealed FROM people')) {
    const id = text(row, 'id');
    const name = current.open(blob(row, 'name_sealed'), nameAad(id));
    const shortSealed = blobOrNull(row, 'short_name_sealed');
    const shortName = shortSealed === null ? null : current.open(shortSealed, shortNameAad(id));
    await sql.run('UPDATE people SET name_sealed = ?, short_name_sealed = ? WHERE id = ?', [
      next.seal(name, nameAad(id)),
      shortName === null ? null : next.seal(shortName, shortNameAad(id)),
      id,
    ]);
    rows += 1;
  }
  for (const row of await sql.all('SELECT id, person_id, modality, vector_sealed FROM templates')) {
    const aad = templateAad(text(row, 'id'), text(row, 'person_id'), text(row, 'modality'));
    const plain = current.open(blob(row, 'vector_sealed'), aad);
    await sql.run('UPDATE templates SET vector_sealed = ? WHERE id = ?', [next.seal(plain, aad), text(row, 'id')]);
    plain.fill(0);
    rows += 1;
  }
  await kvSet(sql, CHECK_KEY, next.seal(Buffer.from(CHECK_PLAIN), CHECK_AAD).toString('base64'));
  await kvSet(sql, KEY_ID_KEY, next.keyId);
  return rows;
}
