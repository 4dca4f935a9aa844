// esik doctor [--json] [--relay]: checks and explains; exits 1 when anything failed.
import type { Command } from 'commander';
import { formatDoctorReport, runDoctor } from '../../health/index.js';
import { actor, configFrom, fail, printJson, socketPathOf } from '../context.js';

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check clock, disk, database, readers, relay (--relay), upstream, models and backend; hints for each failure')
    .option('--json', 'print JSON')
    .option('--relay', 'pulse each door relay through the daemon (recorded as an audit event)')
    .option('--timeout <ms>', 'per network check', '5000')
    .action(async (opts: { json?: boolean; relay?: boolean; timeout: string }, command: Command) => {
      try {
        const loaded = await configFrom(command);
        const report = await runDoctor({
          config: loaded.config,
          socketPath: socketPathOf(loaded),
          relay: opts.relay === true,
          actor: actor(),
          timeoutMs: Number(opts.timeout) > 0 ? Number(opts.timeout) : 5_000,
        });
        if (opts.json === true) printJson({ configFile: loaded.file, ...report });
        else process.stdout.write(`config ${loaded.file}\n${formatDoctorReport(report)}`);
        if (!report.ok) process.exitCode = 1;
      } catch (error) {
        fail(error);
      }
    });
}
