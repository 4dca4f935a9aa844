// Configuration of relays, digital inputs and credential readers. Every variant is discriminated on
// `driver` so a config file names exactly one driver per device, and the driver's native library is
// loaded only when some device names it (a laptop without onoff/johnny-five/node-hid still starts).
import { z } from 'zod';
import { CameraConfigSchema } from './camera/index.js';
import { CredentialKindSchema, DirectionSchema, TokenKindSchema } from '../vocabulary.js';

/**
 * sysfs GPIO number as onoff sees it. On Raspberry Pi kernels >= 6.6 this is the BCM number plus
 * the gpiochip base (512 on a Pi 4, 571 on a Pi 5); see docs/hardware.md.
 */
const gpioPin = z.number().int().min(0).max(2047);
const boardPin = z.union([z.number().int().min(0).max(127), z.string().regex(/^A?\d{1,3}$/u)]);
/** NO: energising the coil closes the contact; NC: energising the coil opens it. */
const contact = z.enum(['NO', 'NC']);
const serialPort = z.string().min(1).optional();
const hidId = z.number().int().min(0).max(0xffff);

export const RelayConfigSchema = z.discriminatedUnion('driver', [
  z.object({
    driver: z.literal('sim'),
    name: z.string().min(1).optional(),
    activeLow: z.boolean().default(false),
    contact: contact.default('NO'),
  }),
  z.object({
    driver: z.literal('gpio'),
    name: z.string().min(1).optional(),
    pin: gpioPin,
    /** Many opto-isolated relay boards switch on when the input is pulled LOW. */
    activeLow: z.boolean().default(false),
    contact: contact.default('NO'),
  }),
  z.object({
    driver: z.literal('firmata'),
    name: z.string().min(1).optional(),
    /** Serial path of the board (e.g. /dev/ttyACM0); omitted = johnny-five auto-detects. */
    port: serialPort,
    pin: boardPin,
    activeLow: z.boolean().default(false),
    contact: contact.default('NO'),
  }),
]);
export type RelayConfig = z.infer<typeof RelayConfigSchema>;

export const InputConfigSchema = z.discriminatedUnion('driver', [
  z.object({ driver: z.literal('sim'), name: z.string().min(1).optional(), initial: z.boolean().default(false) }),
  z.object({
    driver: z.literal('gpio'),
    name: z.string().min(1).optional(),
    pin: gpioPin,
    /** true when the contact pulls the pin LOW when active (switch to ground with a pull-up). */
    activeLow: z.boolean().default(false),
    debounceMs: z.number().int().min(0).max(1000).default(20),
  }),
  z.object({
    driver: z.literal('firmata'),
    name: z.string().min(1).optional(),
    port: serialPort,
    pin: boardPin,
    activeLow: z.boolean().default(false),
    /** Enables the board's internal pull-up (then a switch to ground reads LOW = use activeLow). */
    pullup: z.boolean().default(false),
    /** A new level counts once it has been stable this long (contacts bounce). */
    debounceMs: z.number().int().min(0).max(1000).default(20),
  }),
]);
export type InputConfig = z.infer<typeof InputConfigSchema>;

const readerBase = {
  id: z.string().min(1),
  door: z.string().min(1),
  direction: DirectionSchema.default('in'),
};
const hidSelector = {
  vendorId: hidId.optional(),
  productId: hidId.optional(),
  /** hidraw path (e.g. /dev/hidraw0); wins over vendor/product id when both are given. */
  path: z.string().min(1).optional(),
  /** Reconnect back-off after an unplug: first delay and cap. */
  reconnectMinMs: z.number().int().min(10).default(500),
  reconnectMaxMs: z.number().int().min(100).default(30_000),
};

export const ReaderConfigSchema = z.discriminatedUnion('driver', [
  z.object({ driver: z.literal('sim'), ...readerBase, kind: CredentialKindSchema.extract(['card', 'qr', 'palm']).default('card') }),
  z.object({
    driver: z.literal('hid-wedge'),
    ...readerBase,
    ...hidSelector,
    kind: TokenKindSchema.default('card'),
    /** How the reader types a card UID: hex ("04A2B91C") or decimal ("77773084"); stored as upper hex. */
    uidFormat: z.enum(['hex', 'decimal']).default('hex'),
    /** A gap longer than this between two characters drops the partial code. */
    interCharTimeoutMs: z.number().int().min(10).max(5000).default(250),
    maxLength: z.number().int().min(1).max(4096).default(256),
    /**
     * Set when the reader's keyboard interface numbers its reports (hidraw then delivers 9 bytes:
     * this id + the 8-byte boot report). Reports with another id (media keys...) are ignored.
     */
    reportId: z.number().int().min(1).max(255).optional(),
  }),
  z.object({
    driver: z.literal('hid-palm'),
    ...readerBase,
    ...hidSelector,
    /** Expected vector length; frames announcing another dimension are refused. */
    dimension: z.number().int().min(1).max(4096).optional(),
    /** A frame whose reports stop arriving for this long is dropped. */
    frameTimeoutMs: z.number().int().min(10).max(10_000).default(500),
  }),
  z.object({
    driver: z.literal('camera'),
    ...readerBase,
    /** Where frames come from (rpicam, ffmpeg, folder, http snapshots); see device/hw/camera. */
    source: CameraConfigSchema,
    /** Face presentations per second at most; newer frames replace older ones in between. */
    maxFps: z.number().min(0.1).max(60).default(5),
  }),
]);
export type ReaderConfig = z.infer<typeof ReaderConfigSchema>;
export type ReaderConfigInput = z.input<typeof ReaderConfigSchema>;
export type RelayConfigInput = z.input<typeof RelayConfigSchema>;
export type InputConfigInput = z.input<typeof InputConfigSchema>;
