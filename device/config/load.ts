// Reads, overrides and validates the configuration. A kiosk that cannot read or validate its
// configuration refuses to start and names the field: guessing a door's wiring is never safe.
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigSchema, crossCheck, type KioskConfig } from './schema.js';

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`invalid configuration ${file}:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * `doors[0].pulseMs` from zod's path array. A key that is not an identifier (empty, spaces, dots)
 * is quoted, `admin[" "]`, so the problem still names the field unambiguously.
 */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (!/^[A-Za-z_$][\w$]*$/.test(String(part))) out += `[${JSON.stringify(String(part))}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(root)' : out;
}

function valueAt(input: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let current: unknown = input;
  for (const part of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[part];
  }
  return current;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function unwrap(schema: z.ZodType): z.ZodType {
  let inner: z.ZodType = schema;
  while (inner instanceof z.ZodDefault || inner instanceof z.ZodOptional) inner = inner.unwrap() as z.ZodType;
  return inner;
}

/** " ≥ 50" when the field at `path` is a number with a minimum: the message then says what would be accepted. */
function boundsAt(path: ReadonlyArray<PropertyKey>): string {
  let schema: z.ZodType = ConfigSchema;
  for (const part of path) {
    const inner = unwrap(schema);
    if (inner instanceof z.ZodArray && typeof part === 'number') schema = inner.element as z.ZodType;
    else if (inner instanceof z.ZodObject && typeof part === 'string') {
      const child = (inner.shape as Record<string, z.ZodType | undefined>)[part];
      if (child === undefined) return '';
      schema = child;
    } else return '';
  }
  const leaf = unwrap(schema);
  if (!(leaf instanceof z.ZodNumber)) return '';
  const parts: string[] = [];
  if (leaf.minValue !== null && Number.isFinite(leaf.minValue)) parts.push(`≥ ${leaf.minValue}`);
  if (leaf.maxValue !== null && Number.isFinite(leaf.maxValue)) parts.push(`≤ ${leaf.maxValue}`);
  return parts.length > 0 ? ` ${parts.join(', ')}` : '';
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const where = formatPath(issue.path);
  switch (issue.code) {
    case 'too_small':
      return `${where}: expected ${issue.origin === 'array' ? 'at least' : issue.origin} ${issue.inclusive === false ? '>' : '≥'} ${String(issue.minimum)}, got ${describeValue(valueAt(input, issue.path))}`;
    case 'too_big':
      return `${where}: expected ${issue.origin} ${issue.inclusive === false ? '<' : '≤'} ${String(issue.maximum)}, got ${describeValue(valueAt(input, issue.path))}`;
    case 'invalid_type':
      return `${where}: expected ${issue.expected}${boundsAt(issue.path)}, got ${describeValue(valueAt(input, issue.path))}`;
    case 'unrecognized_keys':
      return `${where}: unknown field(s) ${issue.keys.join(', ')}`;
    default:
      return `${where}: ${issue.message}, got ${describeValue(valueAt(input, issue.path))}`;
  }
}

/** The option of a discriminated union this input selects, or null. */
function optionFor(union: z.ZodDiscriminatedUnion, input: Record<string, unknown>): z.ZodType | null {
  const discriminator = union.def.discriminator;
  for (const option of union.options as z.ZodType[]) {
    if (!(option instanceof z.ZodObject)) continue;
    const literal = unwrap(option.shape[discriminator] as z.ZodType);
    if (literal instanceof z.ZodLiteral && literal.values.has(input[discriminator] as never)) return option;
  }
  return null;
}

/**
 * zod drops fields it does not know; a misspelt "pulseMS" would then silently become the default.
 * Walk the input beside the schema and name every field the schema does not have.
 */
export function unknownFields(schema: z.ZodType, input: unknown, path: PropertyKey[] = [], out: string[] = []): string[] {
  let inner = unwrap(schema);
  if (inner instanceof z.ZodNullable) inner = unwrap(inner.unwrap() as z.ZodType);
  if (inner instanceof z.ZodArray && Array.isArray(input)) {
    input.forEach((item, index) => unknownFields(inner.element as z.ZodType, item, [...path, index], out));
  } else if (input !== null && typeof input === 'object' && !Array.isArray(input)) {
    const record = input as Record<string, unknown>;
    if (inner instanceof z.ZodDiscriminatedUnion) {
      const option = optionFor(inner, record);
      if (option !== null) unknownFields(option, input, path, out);
    } else if (inner instanceof z.ZodObject) {
      const shape = inner.shape as Record<string, z.ZodType>;
      for (const [key, value] of Object.entries(record)) {
        const child = shape[key];
        if (child === undefined) out.push(`${formatPath([...path, key])}: unknown field (misspelt?)`);
        else unknownFields(child, value, [...path, key], out);
      }
    }
  }
  return out;
}

/** Refines messages: for a number field given "abc", say "expected number ≥ 50" when the schema has a minimum. */
export function validateConfig(input: unknown, file = '(inline)'): KioskConfig {
  const parsed = ConfigSchema.safeParse(input);
  const unknown = unknownFields(ConfigSchema, input);
  if (parsed.success && unknown.length > 0) throw new ConfigError(file, unknown);
  if (parsed.success) {
    const problems = crossCheck(parsed.data);
    if (problems.length > 0) throw new ConfigError(file, problems);
    return parsed.data;
  }
  throw new ConfigError(file, [...parsed.error.issues.map((issue) => describeIssue(issue, input)), ...unknown]);
}

type Leaf = 'string' | 'number' | 'boolean' | 'enum';

/** Leaf fields reachable through objects only (arrays such as doors[] are configured in the file). */
function leafPaths(schema: z.ZodType, prefix: string[] = [], out = new Map<string, { path: string[]; leaf: Leaf }>()) {
  const inner = unwrap(schema);
  if (inner instanceof z.ZodObject) {
    for (const [key, child] of Object.entries<z.ZodType>(inner.shape)) {
      leafPaths(child, [...prefix, key], out);
    }
  } else if (inner instanceof z.ZodNumber || inner instanceof z.ZodString || inner instanceof z.ZodBoolean || inner instanceof z.ZodEnum) {
    const leaf: Leaf = inner instanceof z.ZodNumber ? 'number' : inner instanceof z.ZodBoolean ? 'boolean' : inner instanceof z.ZodEnum ? 'enum' : 'string';
    const envName = `ESIK_${prefix.map((p) => p.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('_')}`;
    out.set(envName, { path: prefix, leaf });
  }
  return out;
}

function convertEnv(raw: string, leaf: Leaf): unknown {
  if (leaf === 'number') return raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  if (leaf === 'boolean') return raw === 'true' ? true : raw === 'false' ? false : raw;
  return raw;
}

/** `ESIK_HTTP_PORT=8081` → http.port = 8081; camelCase fields become SNAKE_CASE (`ESIK_DEVICE_STATE_DIR`). */
export function applyEnvOverrides(input: unknown, env: NodeJS.ProcessEnv): { config: unknown; applied: string[] } {
  const root: Record<string, unknown> = input !== null && typeof input === 'object' && !Array.isArray(input) ? structuredClone(input as Record<string, unknown>) : {};
  const applied: string[] = [];
  for (const [envName, { path, leaf }] of leafPaths(ConfigSchema)) {
    const raw = env[envName];
    if (raw === undefined) continue;
    let target = root;
    for (const key of path.slice(0, -1)) {
      const next = target[key];
      if (next === null || typeof next !== 'object' || Array.isArray(next)) target[key] = {};
      target = target[key] as Record<string, unknown>;
    }
    target[path[path.length - 1]] = convertEnv(raw, leaf);
    applied.push(envName);
  }
  return { config: root, applied };
}

export interface LoadedConfig {
  config: KioskConfig;
  file: string;
  /** Environment variables that overrode a field (logged at start-up). */
  overrides: string[];
}

/**
 * Reads FILE, applies env overrides, validates, and resolves relative paths against the file's
 * folder so `esik run --config /etc/esik/config.json` means the same from any working directory.
 */
export async function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Promise<LoadedConfig> {
  const absolute = resolve(file);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (error) {
    throw new ConfigError(absolute, [`cannot read the file: ${(error as Error).message}`]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(absolute, [`not valid JSON: ${(error as Error).message}`]);
  }
  const { config: overridden, applied } = applyEnvOverrides(parsed, env);
  const config = validateConfig(overridden, absolute);
  return { config: resolvePaths(config, dirname(absolute)), file: absolute, overrides: applied };
}

function resolvePaths(config: KioskConfig, base: string): KioskConfig {
  const at = (p: string | undefined): string | undefined => (p === undefined || isAbsolute(p) ? p : resolve(base, p));
  const stateDir = at(config.device.stateDir) ?? base;
  return {
    ...config,
    device: { ...config.device, stateDir, seedRosterFile: at(config.device.seedRosterFile) },
    admin: { socketPath: at(config.admin.socketPath) ?? resolve(stateDir, 'admin.sock') },
    security: {
      ...config.security,
      keyFile: at(config.security.keyFile) ?? resolve(stateDir, 'template.key'),
      pinHashFile: at(config.security.pinHashFile),
    },
    sync: { ...config.sync, tokenFile: at(config.sync.tokenFile), caFile: at(config.sync.caFile) },
    biometric: config.biometric && { ...config.biometric, modelDir: at(config.biometric.modelDir) },
    library: config.library && { ...config.library, catalogueFile: at(config.library.catalogueFile) ?? base, rulesFile: at(config.library.rulesFile) ?? base },
    canteen: config.canteen && { ...config.canteen, menuFile: at(config.canteen.menuFile) ?? base, dinersFile: at(config.canteen.dinersFile) ?? base, peerTokenFile: at(config.canteen.peerTokenFile), printer: config.canteen.printer && { ...config.canteen.printer, path: at(config.canteen.printer.path) ?? base } },
  };
}

/** Where the database lives, from the state directory. */
export function databasePath(config: KioskConfig): string {
  return resolve(config.device.stateDir, 'esik.db');
}
