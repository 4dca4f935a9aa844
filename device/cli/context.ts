// What every technician command needs: the configuration (for the admin socket and state dir),
// the unix user to record in audit events, and one way to print and fail.
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfig, type LoadedConfig } from '../config/index.js';

export const SYSTEM_CONFIG = '/etc/esik/config.json';

/** --config, else $ESIK_CONFIG, else /etc/esik/config.json when present, else the demo config. */
export function configPathFrom(command: Command): string {
  const opts = command.optsWithGlobals<{ config?: string }>();
  if (opts.config !== undefined) return resolve(opts.config);
  if (process.env.ESIK_CONFIG !== undefined && process.env.ESIK_CONFIG !== '') return resolve(process.env.ESIK_CONFIG);
  return existsSync(SYSTEM_CONFIG) ? SYSTEM_CONFIG : resolve('config/demo.json');
}

export async function configFrom(command: Command): Promise<LoadedConfig> {
  return loadConfig(configPathFrom(command));
}

export function socketPathOf(loaded: LoadedConfig): string {
  return loaded.config.admin.socketPath ?? resolve(loaded.config.device.stateDir, 'admin.sock');
}

/** The technician as the audit log records them: the unix user running the CLI (sudo keeps the real one). */
export function actor(): string {
  const viaSudo = process.env.SUDO_USER;
  const user = userInfo().username;
  return viaSudo !== undefined && viaSudo !== '' && viaSudo !== user ? `${viaSudo} (as ${user})` : user;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Prints the error (no stack for expected failures) and sets a non-zero exit code. */
export function fail(error: unknown, exitCode = 1): void {
  process.stderr.write(`esik: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = exitCode;
}

/** A field of a JSON answer as text: strings as they are, anything else as JSON. */
export function text(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}
