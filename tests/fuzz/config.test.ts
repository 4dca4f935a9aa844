// The config loader: any JSON value, any environment override and any mutation of a valid
// configuration gives either a typed configuration or a ConfigError whose every problem names a
// field. Never a crash, never an untyped half-config.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyEnvOverrides, ConfigError, validateConfig, type KioskConfig } from '../../device/config/index.js';
import { fuzzParams } from './seed.js';

const minimal = { doors: [{ name: 'main', relay: { driver: 'sim' } }], readers: [{ id: 'r1', driver: 'sim', door: 'main' }] };
/** A problem starts with the field it is about: `doors[0].pulseMs: ...` or `(root): ...`. */
const NAMES_A_FIELD = /^(\(root\)|(?:[A-Za-z_$][\w$]*|\[(?:\d+|"(?:[^"\\]|\\.)*")\])(?:\.[A-Za-z_$][\w$]*|\[(?:\d+|"(?:[^"\\]|\\.)*")\])*): \S/;

function outcome(input: unknown): { config: KioskConfig } | { problems: string[] } {
  try {
    return { config: validateConfig(input) };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { problems: error.problems };
  }
}

function checkOutcome(input: unknown): void {
  const result = outcome(input);
  if ('problems' in result) {
    expect(result.problems.length).toBeGreaterThan(0);
    for (const problem of result.problems) expect(problem).toMatch(NAMES_A_FIELD);
  } else {
    expect(Array.isArray(result.config.doors)).toBe(true);
    expect(result.config.doors.length).toBeGreaterThan(0);
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every path (as keys) into a JSON tree. */
function pathsOf(value: Json, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(value)) value.forEach((item, index) => pathsOf(item, [...prefix, index], out));
  else if (value !== null && typeof value === 'object') for (const [key, item] of Object.entries(value)) pathsOf(item, [...prefix, key], out);
  return out;
}

function mutate(base: Json, path: (string | number)[], action: 'set' | 'delete' | 'add', replacement: Json, extraKey: string): Json {
  const copy = structuredClone(base);
  if (path.length === 0) return action === 'set' ? replacement : copy;
  const parent = path.slice(0, -1).reduce<Json>((node, key) => (node as Record<string | number, Json>)[key], copy) as Record<string | number, Json>;
  const last = path[path.length - 1];
  if (action === 'set') parent[last] = replacement;
  else if (action === 'delete') {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else if (!Array.isArray(parent)) parent[extraKey] = replacement;
  return copy;
}

// A valid configuration with every default filled in: all fields are present to be mutated.
const full = JSON.parse(JSON.stringify(validateConfig(minimal))) as Json;
const fullPaths = pathsOf(full);

describe('fuzz: configuration loader', () => {
  it('arbitrary JSON values: a typed config or an error naming a field', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), (input) => checkOutcome(input)), fuzzParams);
  });

  it('mutated valid configurations (set, delete, add a field): a typed config or an error naming a field', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...fullPaths),
        fc.constantFrom('set' as const, 'delete' as const, 'add' as const),
        fc.jsonValue({ maxDepth: 2 }),
        fc.string({ minLength: 1, maxLength: 12 }),
        (path, action, replacement, extraKey) => checkOutcome(mutate(full, path, action, replacement as Json, extraKey)),
      ),
      fuzzParams,
    );
  });

  it('environment overrides with arbitrary values: a typed config or an error naming a field', () => {
    const names = ['ESIK_HTTP_PORT', 'ESIK_HTTP_HOST', 'ESIK_DEVICE_STATE_DIR', 'ESIK_DEVICE_UTC_OFFSET_MINUTES', 'ESIK_STORAGE_FAIL_MODE', 'ESIK_SECURITY_KEY_FILE', 'ESIK_NOT_A_FIELD'];
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...names), fc.string({ maxLength: 20 })), fc.constantFrom<unknown>(minimal, full, null, [], 'x'), (env, base) => {
        const { config } = applyEnvOverrides(base, env);
        checkOutcome(config);
      }),
      fuzzParams,
    );
  });
});
