// The kiosk's configuration: one JSON file, validated here with typed defaults. Sections owned by
// other parts of the kiosk (biometric, board, sync, health, security, storage) are typed for real
// so a typo is refused at start-up rather than silently ignored; their owners refine them.
import { z } from 'zod';

import { DoorConfigSchema, type DoorConfig } from '../door/index.js';
import { InputConfigSchema, ReaderConfigSchema, RelayConfigSchema, type ReaderConfig } from '../hw/index.js';
import { boardConfigSchema } from '../../display/index.js';
import { AntiPassbackModeSchema, FailModeSchema, KioskModeSchema } from '../vocabulary.js';
import { SECOND_FACTOR_DEFAULTS, accessCrossCheck, credentialModesSchema, presentationAttackSchema, secondFactorSchema } from './access-schema.js';
import { canteenTillSchema } from './canteen-schema.js';
import { libraryDeskSchema } from './library-schema.js';

export { DoorConfigSchema, ReaderConfigSchema, RelayConfigSchema, InputConfigSchema, type DoorConfig, type ReaderConfig };

const matchPolicySchema = z.object({
  threshold: z.number().min(-1).max(1),
  minMargin: z.number().min(0).max(2).default(0.05),
  consecutiveFrames: z.number().int().min(1).max(30).default(1),
  windowMs: z.number().int().min(0).max(60_000).default(2000),
});

/** The face policy the kiosk ships (`biometric.face`); `npm run eval:door` measures it (docs/biometrics.md). */
// From `npm run eval:door -- --levers` (docs/biometrics.md): on LFW the margin between the best and
// second-best person is mostly under 0.05 even for the right person, so 0.05 refused four genuine
// attempts in five; 0.02 with the threshold that admits no calibration-part stranger (0.9525,
// rounded up) is the K = 2 row with the best calibration-part acceptance.
export const DEFAULT_FACE_POLICY = { threshold: 0.953, minMargin: 0.02, consecutiveFrames: 2, windowMs: 2000 };

/** The kiosk's face detector defaults (`biometric.faceDetector`); the pipeline bench runs with them too. */
export const KIOSK_FACE_DETECTOR = { inputSize: 320, ssd: false };

/** `biometric.faceDetector` (default: the kiosk's) as the face engine's detector options. */
export function faceDetectorOptions(detector: { inputSize: number; ssd: boolean } = KIOSK_FACE_DETECTOR): { tinyInputSize: number; ssd: boolean } {
  return { tinyInputSize: detector.inputSize, ssd: detector.ssd };
}

/** Palm: the policy plus what identifies the reader's feature format (its vector length is the reader's `dimension`). */
const palmPolicySchema = matchPolicySchema.extend({
  /** Reader model and feature version from its documentation; stored templates of another algo are not used. */
  algo: z.string().min(1).max(64).default('sim-palm-v1'),
  /** The reader's own quality figure (0..1) below which a scan is a bad capture. */
  minQuality: z.number().min(0).max(1).default(0.5),
});

export const ConfigSchema = z.object({
  device: z
    .object({
      id: z.string().min(1).regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "-" and "_" only').default('esik-dev'),
      stateDir: z.string().min(1).default('./var'),
      /** Kazakhstan is UTC+5 since 2024-03-01: +300. */
      utcOffsetMinutes: z.number().int().min(-720).max(840).default(300),
      /** A roster JSON applied once to an empty database (the demo); production pulls from upstream. */
      seedRosterFile: z.string().optional(),
    })
    .default({ id: 'esik-dev', stateDir: './var', utcOffsetMinutes: 300 }),
  doors: z
    .array(DoorConfigSchema)
    .min(1, 'at least one door')
    .refine((doors) => new Set(doors.map((d) => d.name)).size === doors.length, 'door names must be unique'),
  readers: z.array(ReaderConfigSchema).default([]),
  policy: z
    .object({
      antiPassback: AntiPassbackModeSchema.default('off'),
      mode: KioskModeSchema.default('normal'),
      credentialModes: credentialModesSchema,
      secondFactor: secondFactorSchema,
    })
    .default({ antiPassback: 'off', mode: 'normal', credentialModes: [], secondFactor: SECOND_FACTOR_DEFAULTS }),
  biometric: z
    .object({
      // DEFAULT_FACE_POLICY: calibrated per attempt by `npm run eval:door`; the pair threshold (~0.91)
      // would let most strangers match *someone*. Calibrate per site and put the result in the config.
      face: matchPolicySchema.default(DEFAULT_FACE_POLICY),
      palm: palmPolicySchema.default({ threshold: 0.9, minMargin: 0.05, consecutiveFrames: 1, windowMs: 2000, algo: 'sim-palm-v1', minQuality: 0.5 }),
      // The kiosk's face detector. 320 px input finds faces at kiosk distance in a camera frame; 416
      // (the detector's own default) finds smaller ones but its first run grows TF.js's wasm heap by
      // ~50 MB more, and the SSD second chance by ~140 MB more, for good (README, "Face pipeline
      // benchmark"). Evaluation and enrolment tools keep 416 with SSD.
      faceDetector: z
        .object({
          inputSize: z.number().int().min(128).max(608).multipleOf(32).default(KIOSK_FACE_DETECTOR.inputSize),
          ssd: z.boolean().default(KIOSK_FACE_DETECTOR.ssd),
        })
        .strict()
        .default(KIOSK_FACE_DETECTOR),
      backend: z.enum(['auto', 'wasm', 'tensorflow']).default('auto'),
      modelDir: z.string().optional(),
      // Presentation-attack detection per door (absent: off everywhere): device/config/access-schema.ts.
      presentationAttack: presentationAttackSchema.optional(),
    })
    .optional(),
  http: z
    .object({
      host: z.string().min(1).default('127.0.0.1'), port: z.number().int().min(0).max(65535).default(8080),
      // Who accepts the port's connections (lib/gatekeeper.ts): 'auto' is a gatekeeper process when
      // the port is open to the network (host not loopback), the kiosk's own loop when it is not.
      gatekeeper: z.enum(['auto', 'on', 'off']).default('auto'),
    })
    .strict()
    .default({ host: '127.0.0.1', port: 8080, gatekeeper: 'auto' }),
  admin: z
    .object({ socketPath: z.string().min(1).optional() })
    .default({}),
  // Lobby board, LED matrix and kiosk LCD: the schema lives with the board (display/config.ts).
  board: boardConfigSchema.default(() => boardConfigSchema.parse({})),
  sync: z
    .object({
      url: z.url().optional(),
      tokenFile: z.string().optional(),
      intervalMs: z.number().int().min(1000).default(15_000),
      /** PEM CA to trust for the hub (e.g. its self-signed certificate); default: system CAs. */
      caFile: z.string().optional(),
      /** Hub public-key pins: base64 SHA-256 of the SPKI (docs/protocol.md). */
      pins: z.array(z.string().regex(/^[A-Za-z0-9+/]{43}=$/, 'base64 SHA-256')).default([]),
    })
    .default({ intervalMs: 15_000, pins: [] }),
  health: z
    .object({ host: z.string().min(1).default('127.0.0.1'), port: z.number().int().min(0).max(65535).default(8081) })
    .default({ host: '127.0.0.1', port: 8081 }),
  security: z
    .object({ keyFile: z.string().min(1).optional(), pinHashFile: z.string().optional() })
    .default({}),
  storage: z
    .object({
      retentionDays: z.number().int().min(1).default(90),
      maxBytes: z.number().int().min(1_000_000).optional(),
      /**
       * What the door does when an event cannot be recorded: `secure` denies everyone;
       * `open-for-known` lets known active people through and keeps their events in memory
       * until the store is back.
       */
      failMode: FailModeSchema.default('secure'),
    })
    .default({ retentionDays: 90, failMode: 'secure' }),
  // Present: this kiosk is also a canteen till; readers naming the till feed it, not a door (device/config/canteen-schema.ts).
  canteen: canteenTillSchema.optional(),
  // Present: this kiosk is also a library desk with the librarian's page at /library (device/config/library-schema.ts).
  library: libraryDeskSchema.optional(),
});

export type KioskConfig = z.infer<typeof ConfigSchema>;

/** Cross-field checks zod's per-field schema cannot express: every reader names a configured door. */
export function crossCheck(config: KioskConfig): string[] {
  const doors = new Set(config.doors.map((d) => d.name));
  const problems: string[] = [];
  const till = config.canteen?.till;
  if (till !== undefined && doors.has(till)) problems.push(`canteen.till: "${till}" is also a door's name`);
  if (config.canteen !== undefined && config.canteen.peers.length > 0 && config.canteen.peerTokenFile === undefined) problems.push('canteen.peerTokenFile: required when canteen.peers are listed');
  const desk = config.library?.desk;
  if (desk !== undefined && (doors.has(desk) || desk === till)) problems.push(`library.desk: "${desk}" is also a door's or the till's name`);
  config.readers.forEach((reader, index) => {
    if (!doors.has(reader.door) && reader.door !== till) problems.push(`readers[${index}].door: no door named "${reader.door}" (doors: ${[...doors].join(', ')})`);
  });
  const ids = new Set<string>();
  config.readers.forEach((reader, index) => {
    if (ids.has(reader.id)) problems.push(`readers[${index}].id: duplicate reader id "${reader.id}"`);
    ids.add(reader.id);
  });
  problems.push(...accessCrossCheck(doors, config.policy.credentialModes, config.biometric?.presentationAttack?.doors));
  return problems;
}
