import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../../config/index.js';
import { fail } from '../context.js';

export function registerConfig(program: Command): void {
  const config = program.command('config').description('configuration');
  config
    .command('check <file>')
    .description('validate a configuration file; prints OK or each invalid field')
    .action(async (file: string) => {
      try {
        const loaded = await loadConfig(file);
        const overrides = loaded.overrides.length > 0 ? ` (environment overrides: ${loaded.overrides.join(', ')})` : '';
        process.stdout.write(`OK ${loaded.file}${overrides}\n`);
      } catch (error) {
        if (error instanceof ConfigError) process.stderr.write(`${error.message}\n`);
        else fail(error);
        process.exitCode = 1;
      }
    });
}
