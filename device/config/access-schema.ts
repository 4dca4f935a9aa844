// Config for combined credential modes (`policy.credentialModes`, `policy.secondFactor`) and
// presentation-attack detection (`biometric.presentationAttack`). Kept apart from schema.ts so the
// access rules read in one place; schema.ts plugs them into the config's sections.
import { z } from 'zod';
import { DEFAULT_BLINK, DEFAULT_MOTION, IDENTITY_CALIBRATION, LIVENESS_CHECKS } from '../../biometric/liveness/index.js';
import { CredentialModeSchema, PersonRoleSchema, PresentationAttackActionSchema } from '../vocabulary.js';

/** First rule naming the door ("*": every door) and the role wins; no rule = any credential alone. */
export const credentialModesSchema = z
  .array(
    z
      .object({
        door: z.string().min(1),
        roles: z.array(PersonRoleSchema).min(1).optional(),
        mode: CredentialModeSchema,
      })
      .strict(),
  )
  .default([]);

export const SECOND_FACTOR_DEFAULTS = { timeoutMs: 10_000, pinMaxAttempts: 5, pinLockoutMs: 300_000 };

export const secondFactorSchema = z
  .object({
    /** How long a first factor waits for its second (then `second_factor_timeout`). */
    timeoutMs: z.number().int().min(1000).max(120_000).default(SECOND_FACTOR_DEFAULTS.timeoutMs),
    /** Wrong PINs in a row before a person's PIN is locked... */
    pinMaxAttempts: z.number().int().min(1).max(20).default(SECOND_FACTOR_DEFAULTS.pinMaxAttempts),
    /** ...for this long (every PIN of theirs is a mismatch meanwhile, without being checked). */
    pinLockoutMs: z.number().int().min(1000).max(86_400_000).default(SECOND_FACTOR_DEFAULTS.pinLockoutMs),
  })
  .strict()
  .default(SECOND_FACTOR_DEFAULTS);

const presentationAttackDoorSchema = z
  .object({
    action: PresentationAttackActionSchema,
    checks: z.array(z.enum(LIVENESS_CHECKS)).min(1).default(['motion']),
  })
  .strict();

export const presentationAttackSchema = z
  .object({
    /** Per door ("*": the doors not named): the action on a suspected face and the checks run. */
    doors: z.record(z.string().min(1), presentationAttackDoorSchema).default({}),
    /** The frames of the face in view this far back are judged. */
    windowMs: z.number().int().min(200).max(30_000).default(3000),
    /** Colour-camera pixels to infrared-camera pixels: ir = colour * scale + offset. */
    infraredCalibration: z
      .object({ scaleX: z.number().positive(), scaleY: z.number().positive(), offsetX: z.number(), offsetY: z.number() })
      .strict()
      .default(IDENTITY_CALIBRATION),
    motion: z
      .object({
        stillMotion: z.number().min(0).max(1),
        minResidual: z.number().min(0).max(1),
        minResidualRatio: z.number().min(0).max(1),
        minFrames: z.number().int().min(2).max(30),
        maxFrames: z.number().int().min(2).max(30),
      })
      .strict()
      .default(DEFAULT_MOTION),
    blink: z
      .object({ closedEar: z.number().min(0).max(1), openEar: z.number().min(0).max(1), minFrames: z.number().int().min(2).max(60) })
      .strict()
      .default(DEFAULT_BLINK),
  })
  .strict();

/** Doors named by the access rules must exist ("*" stands for any). */
export function accessCrossCheck(
  doors: ReadonlySet<string>,
  credentialModes: ReadonlyArray<{ door: string; mode: string }>,
  presentationAttackDoors: Readonly<Record<string, unknown>> | undefined,
): string[] {
  const problems: string[] = [];
  credentialModes.forEach((rule, index) => {
    if (rule.door !== '*' && !doors.has(rule.door)) problems.push(`policy.credentialModes[${index}].door: no door named "${rule.door}"`);
    // decide() has the combined modes' rules, but the hot path does not yet hold a first factor for
    // its second (nor read a keypad): such a door would refuse everyone, so it is refused here.
    if (rule.mode.includes('_and_')) {
      problems.push(`policy.credentialModes[${index}].mode: "${rule.mode}" is not supported by the kiosk yet (use "any" or "face_or_card")`);
    }
  });
  for (const door of Object.keys(presentationAttackDoors ?? {})) {
    if (door !== '*' && !doors.has(door)) problems.push(`biometric.presentationAttack.doors.${door}: no door named "${door}"`);
  }
  return problems;
}

export type PresentationAttackConfig = z.infer<typeof presentationAttackSchema>;

/** Each door's action on a suspected face, as decide() takes it. */
export function presentationAttackActions(config: PresentationAttackConfig | undefined): Record<string, 'off' | 'flag' | 'deny'> {
  return Object.fromEntries(Object.entries(config?.doors ?? {}).map(([door, setting]) => [door, setting.action]));
}
