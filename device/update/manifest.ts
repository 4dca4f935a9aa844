// The signed description of a release. The signature covers these exact bytes, and the bytes name the
// payload's SHA-256, so one Ed25519 check authenticates the whole archive.
import { z } from 'zod';

/** Versions become folder names: keep them to a safe alphabet, never a path. */
export const RELEASE_VERSION = /^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$/;

/**
 * The programs released with the same key: the kiosk (`esik`) and the hub (`esik-hub`). The name is
 * signed, so a kiosk refuses a hub archive (and the other way round) before reading its payload.
 */
export const RELEASE_PROGRAMS = ['esik', 'esik-hub'] as const;
export type ReleaseProgram = (typeof RELEASE_PROGRAMS)[number];

export const ReleaseManifestSchema = z
  .object({
    format: z.literal(1),
    name: z.enum(RELEASE_PROGRAMS),
    version: z.string().regex(RELEASE_VERSION),
    /** The store schema this release migrates the database to (the store's SCHEMA_VERSION). */
    schemaVersion: z.number().int().nonnegative(),
    /**
     * The oldest release schemaVersion that can still read a database this release has migrated.
     * Installing refuses (unless forced) when the running release is older: it could not be rolled back to.
     */
    minReadableSchema: z.number().int().nonnegative(),
    payload: z.object({
      file: z.literal('payload.tar.gz'),
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
      bytes: z.number().int().positive(),
      /**
       * Total size of the payload's files once unpacked: the updater stops unpacking beyond it.
       * Optional only so that releases signed before it existed still install (bounded by a fixed ceiling).
       */
      unpackedBytes: z.number().int().nonnegative().optional(),
    }),
    createdAt: z.string(),
    /** process.arch of the build: native modules (sqlite3, node-hid) are per architecture. */
    arch: z.string().optional(),
    node: z.string().optional(),
  })
  .refine((m) => m.minReadableSchema <= m.schemaVersion, {
    message: 'minReadableSchema cannot exceed schemaVersion',
  });

export type ReleaseManifest = z.infer<typeof ReleaseManifestSchema>;

export const MANIFEST_FILE = 'manifest.json';
export const SIGNATURE_FILE = 'manifest.sig';
export const PAYLOAD_FILE = 'payload.tar.gz';

export function parseManifest(bytes: Uint8Array): ReleaseManifest {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new Error('manifest.json is not valid JSON');
  }
  const result = ReleaseManifestSchema.safeParse(json);
  if (!result.success) {
    throw new Error(`manifest.json is invalid: ${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return result.data;
}
