// The undici dispatcher the sync client talks through: trusts a given CA (a school's own or a
// self-signed hub certificate) and optionally pins the hub's public key (SHA-256 of the SPKI,
// base64, as in HPKP), refusing any other key even if a trusted CA signed it.
import { X509Certificate, createHash } from 'node:crypto';
import { TLSSocket } from 'node:tls';
import { Agent, buildConnector } from 'undici';

export interface HubTlsOptions {
  /** PEM CA bundle to trust instead of the system store. */
  ca?: string | Buffer;
  /** Accepted public-key pins: base64 SHA-256 of the certificate's SubjectPublicKeyInfo. */
  pins?: readonly string[];
  /** Client certificate and key for mutual TLS. */
  cert?: string | Buffer;
  key?: string | Buffer;
  connectTimeoutMs?: number;
}

export class PinMismatchError extends Error {
  readonly code = 'ESIK_PIN_MISMATCH';
}

/** base64 SHA-256 of a DER SubjectPublicKeyInfo (`openssl x509 -pubkey | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64`). */
export function publicKeyPin(pubkey: Buffer): string {
  return createHash('sha256').update(pubkey).digest('base64');
}

export function createHubDispatcher(options: HubTlsOptions = {}): Agent {
  const pins = options.pins ?? [];
  // With pins and no CA the pin alone authenticates the hub (a self-signed certificate); with a CA
  // the chain and host name are checked too.
  const pinOnly = pins.length > 0 && options.ca === undefined;
  const base = buildConnector({
    ca: options.ca,
    cert: options.cert,
    key: options.key,
    rejectUnauthorized: !pinOnly,
    timeout: options.connectTimeoutMs ?? 5_000,
  });
  const connect: buildConnector.connector = (connectOptions, callback) => {
    base(connectOptions, (...args) => {
      const [error, socket] = args;
      if (error !== null) {
        callback(error, null);
        return;
      }
      if (pins.length > 0 && socket instanceof TLSSocket) {
        const raw = socket.getPeerCertificate().raw as Buffer | undefined;
        const pin = raw ? publicKeyPin(new X509Certificate(raw).publicKey.export({ type: 'spki', format: 'der' })) : '(none)';
        if (!pins.includes(pin)) {
          socket.destroy();
          callback(new PinMismatchError(`hub public key ${pin} matches no configured pin`), null);
          return;
        }
      }
      callback(null, socket);
    });
  };
  return new Agent({ connect });
}
