// Configuration of one door or turnstile. A turnstile is one door with two directions: `relay`
// releases the entry arm, `exitRelay` the exit arm; readers name the door and their direction.
import { z } from 'zod';
import { InputConfigSchema, RelayConfigSchema } from '../hw/index.js';

export const DoorConfigSchema = z
  .object({
    name: z.string().min(1).regex(/^[\w.-]+$/u, 'letters, digits, "_", "." or "-"'),
    kind: z.enum(['door', 'turnstile']).default('door'),
    /**
     * fail-secure (electric strike): locked without power, stays locked on shutdown.
     * fail-safe (maglock): unlocked without power, released on shutdown. See docs/hardware.md.
     */
    lockType: z.enum(['fail-secure', 'fail-safe']).default('fail-secure'),
    /** How long a grant unlocks (door) or releases one passage (turnstile). */
    pulseMs: z.number().int().min(50).max(600_000).default(3000),
    /** Open longer than this raises door.held_open. */
    heldOpenMs: z.number().int().min(1000).max(3_600_000).default(30_000),
    /** Length of the deny buzz, when a buzzer relay is configured. */
    buzzerMs: z.number().int().min(20).max(5000).default(300),
    relay: RelayConfigSchema,
    exitRelay: RelayConfigSchema.optional(),
    buzzer: RelayConfigSchema.optional(),
    /** Door-position contact: active = open. */
    sensor: InputConfigSchema.optional(),
    /** Request-to-exit button: active = pressed. */
    exitButton: InputConfigSchema.optional(),
    /** Fire-alarm panel output: active = alarm. Usually the same input on every door. */
    fireAlarm: InputConfigSchema.optional(),
  })
  .superRefine((door, ctx) => {
    if (door.kind === 'door' && door.exitRelay) {
      ctx.addIssue({ code: 'custom', path: ['exitRelay'], message: 'only a turnstile has an exit relay' });
    }
  });
export type DoorConfig = z.infer<typeof DoorConfigSchema>;
export type DoorConfigInput = z.input<typeof DoorConfigSchema>;
