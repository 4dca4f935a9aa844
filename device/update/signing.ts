// Ed25519 release signatures with node:crypto only. The private key lives with whoever builds
// releases; kiosks hold just the public key (/etc/esik/release-key.pub), so a stolen kiosk cannot
// sign an update for the others.
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { safeWriteFile } from '../util/safe-write.js';

export interface ReleaseKeyPair {
  publicKeyPem: string;
  privateKeyPem: string;
}

export function generateReleaseKeyPair(): ReleaseKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/** Writes `<prefix>.key` (0600) and `<prefix>.pub` (0644). */
export async function writeReleaseKeyPair(prefix: string): Promise<ReleaseKeyPair> {
  const pair = generateReleaseKeyPair();
  await safeWriteFile(`${prefix}.key`, pair.privateKeyPem, 0o600);
  await safeWriteFile(`${prefix}.pub`, pair.publicKeyPem, 0o644);
  return pair;
}

function ed25519(key: KeyObject, kind: string): KeyObject {
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new Error(`${kind} is a ${key.asymmetricKeyType ?? 'symmetric'} key, expected ed25519`);
  }
  return key;
}

export function loadPrivateKey(pem: string): KeyObject {
  return ed25519(createPrivateKey(pem), 'signing key');
}

export function loadPublicKey(pem: string): KeyObject {
  return ed25519(createPublicKey(pem), 'release public key');
}

export async function readPublicKey(path: string): Promise<KeyObject> {
  return loadPublicKey(await readFile(path, 'utf8'));
}

export function signBytes(data: Uint8Array, privateKey: KeyObject): Buffer {
  return sign(null, data, privateKey);
}

/** False for any malformed or non-matching signature; never throws on garbage input. */
export function verifyBytes(data: Uint8Array, signature: Uint8Array, publicKey: KeyObject): boolean {
  if (signature.length !== 64) return false;
  try {
    return verify(null, data, publicKey, signature);
  } catch {
    return false;
  }
}
