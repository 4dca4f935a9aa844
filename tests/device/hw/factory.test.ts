import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import {
  createInput,
  createReader,
  createRelay,
  InputConfigSchema,
  ReaderConfigSchema,
  RelayConfigSchema,
  SimulatedCardReader,
  SimulatedInput,
  SimulatedPalmReader,
  SimulatedRelay,
  type Presentation,
  type ReaderStatus,
} from '../../../device/hw/index.js';

const logger = pino({ level: 'silent' });
const repoRoot = resolve(import.meta.dirname, '../../..');

describe('hardware config schemas', () => {
  it('fills typed defaults', () => {
    expect(RelayConfigSchema.parse({ driver: 'gpio', pin: 17 })).toEqual({ driver: 'gpio', pin: 17, activeLow: false, contact: 'NO' });
    expect(InputConfigSchema.parse({ driver: 'gpio', pin: 27 })).toMatchObject({ activeLow: false, debounceMs: 20 });
    expect(ReaderConfigSchema.parse({ driver: 'hid-wedge', id: 'r1', door: 'main' })).toMatchObject({
      direction: 'in',
      kind: 'card',
      uidFormat: 'hex',
      interCharTimeoutMs: 250,
      maxLength: 256,
      reconnectMinMs: 500,
      reconnectMaxMs: 30_000,
    });
  });

  it.each([
    [RelayConfigSchema, { driver: 'gpio', pin: 17, contact: 'XX' }, 'contact'],
    [RelayConfigSchema, { driver: 'relay-board' }, 'driver'],
    [InputConfigSchema, { driver: 'firmata', pin: 2, pullup: 'yes' }, 'pullup'],
    [ReaderConfigSchema, { driver: 'hid-wedge', id: 'r1', door: 'main', uidFormat: 'octal' }, 'uidFormat'],
    [ReaderConfigSchema, { driver: 'hid-wedge', id: 'r1', door: 'main', vendorId: 70000 }, 'vendorId'],
  ] as const)('refuses %#, naming the field', (schema, input, field) => {
    const result = schema.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.'))).toContain(field);
  });
});

describe('simulated twins from config', () => {
  it('relay, input and readers', async () => {
    const relay = await createRelay(RelayConfigSchema.parse({ driver: 'sim', name: 'main.relay', activeLow: true }), { logger });
    expect(relay).toBeInstanceOf(SimulatedRelay);
    await relay.set(true);
    expect((relay as SimulatedRelay).history).toEqual([{ energised: true, level: 0, at: expect.any(Number) }]);

    const input = await createInput(InputConfigSchema.parse({ driver: 'sim', initial: true }), { logger });
    expect(input).toBeInstanceOf(SimulatedInput);
    expect(input.read()).toBe(true);

    const card = await createReader(ReaderConfigSchema.parse({ driver: 'sim', id: 'sim1', door: 'main' }), { logger, monoNow: () => 42 });
    expect(card).toBeInstanceOf(SimulatedCardReader);
    const seen: Presentation[] = [];
    const statuses: ReaderStatus[] = [];
    const warnings: string[] = [];
    card.on('presentation', (p: Presentation) => seen.push(p));
    card.on('status', (s: ReaderStatus) => statuses.push(s));
    card.on('warning', (w: string) => warnings.push(w));
    (card as SimulatedCardReader).present('04A2B91C');
    await card.start();
    (card as SimulatedCardReader).present(' 04A2B91C ');
    (card as SimulatedCardReader).present('');
    expect(seen).toEqual([{ kind: 'card', readerId: 'sim1', monoMs: 42, value: '04A2B91C' }]);
    expect(warnings).toHaveLength(2);
    expect(statuses).toEqual(['connected']);

    const palm = await createReader(ReaderConfigSchema.parse({ driver: 'sim', id: 'p1', door: 'main', kind: 'palm' }), { logger });
    expect(palm).toBeInstanceOf(SimulatedPalmReader);
    await palm.start();
    const palms: Presentation[] = [];
    palm.on('presentation', (p: Presentation) => palms.push(p));
    (palm as SimulatedPalmReader).present([0.6, 0.8], 0.9);
    (palm as SimulatedPalmReader).present([Number.NaN], 0.9);
    expect(palms).toHaveLength(1);
  });

  it.skipIf(existsSync('/sys/class/gpio/export'))('a gpio relay without GPIO hardware fails with a clear message', async () => {
    await expect(createRelay(RelayConfigSchema.parse({ driver: 'gpio', pin: 17 }), { logger })).rejects.toThrow(/GPIO 17 cannot be opened/u);
  });
});

describe('native libraries load only when a config names their driver', () => {
  // A child process, so this test sees a clean module cache: CommonJS packages imported from ESM
  // land in require.cache, which tells us whether onoff, johnny-five or node-hid were loaded.
  const script = `
    import { createRequire } from 'node:module';
    import pino from 'pino';
    import { createRelay, createInput, createReader, RelayConfigSchema, InputConfigSchema, ReaderConfigSchema } from './device/hw/index.ts';
    const logger = pino({ level: 'silent' });
    const loaded = () => Object.keys(createRequire(import.meta.url).cache)
      .map((k) => /node_modules\\/(onoff|johnny-five|node-hid)\\//.exec(k)?.[1]).filter(Boolean);
    await createRelay(RelayConfigSchema.parse({ driver: 'sim' }), { logger });
    await createInput(InputConfigSchema.parse({ driver: 'sim' }), { logger });
    await createReader(ReaderConfigSchema.parse({ driver: 'sim', id: 'r', door: 'd' }), { logger });
    const afterSim = [...new Set(loaded())];
    const reader = await createReader(ReaderConfigSchema.parse({ driver: 'hid-wedge', id: 'r', door: 'd', vendorId: 1 }), { logger });
    const afterHid = [...new Set(loaded())];
    console.log(JSON.stringify({ afterSim, afterHid }));
    process.exit(0);
  `;

  it('sim drivers load none; an hid-wedge reader loads node-hid', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: repoRoot, timeout: 30_000 });
    const result = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { afterSim: string[]; afterHid: string[] };
    expect(result.afterSim).toEqual([]);
    expect(result.afterHid).toEqual(['node-hid']);
  });
});
