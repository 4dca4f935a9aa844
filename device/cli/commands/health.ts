// esik health [--json]: the running kiosk's health endpoint, readable; exits 1 when not healthy.
import type { Command } from 'commander';
import { healthUrlOf } from '../../update/cli-support.js';
import { configFrom, fail, printJson } from '../context.js';

interface HealthBody {
  status?: string;
  version?: string;
  checkedAt?: string | null;
  checks?: Array<{ name: string; ok: boolean; severity: string; detail: string }>;
}

export function registerHealth(program: Command): void {
  program
    .command('health')
    .description('ask the running kiosk whether it is healthy (the checks that gate the systemd watchdog)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, command: Command) => {
      try {
        const url = healthUrlOf(await configFrom(command));
        const response = await fetch(url, { signal: AbortSignal.timeout(5_000) }).catch((error: unknown) => {
          throw new Error(`no answer from ${url} (is esik running?): ${error instanceof Error ? error.message : String(error)}`);
        });
        const body = (await response.json()) as HealthBody;
        if (opts.json === true) printJson(body);
        else {
          process.stdout.write(`${String(body.status)}  version ${String(body.version)}  checked ${String(body.checkedAt)}\n`);
          for (const c of body.checks ?? []) process.stdout.write(`  ${c.ok ? 'ok  ' : c.severity === 'warning' ? 'warn' : 'FAIL'}  ${c.name.padEnd(11)} ${c.detail}\n`);
        }
        if (!response.ok) process.exitCode = 1;
      } catch (error) {
        fail(error);
      }
    });
}
