import type { Command } from 'commander';
import { ConfigError } from '../../config/index.js';
import { configPathFrom, fail } from '../context.js';

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run the kiosk daemon (systemd starts this; npm start runs it on the demo config)')
    .option('-c, --config <file>', 'configuration file')
    .action(async (_opts: unknown, command: Command) => {
      try {
        // Loaded only for `run`: technician commands stay quick to start on a Pi.
        const { runKiosk } = await import('../../main.js');
        await runKiosk(configPathFrom(command));
      } catch (error) {
        // Refuse to start, and say why: an invalid config names the field.
        fail(error instanceof ConfigError ? error : new Error(`cannot start: ${error instanceof Error ? error.message : String(error)}`));
        process.exit(1);
      }
    });
}
