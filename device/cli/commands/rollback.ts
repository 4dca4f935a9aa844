// esik rollback: back to the previous healthy release (the same flow as `esik update rollback`).
import type { Command } from 'commander';
import { rollback, withCommonOptions, type UpdateOptions } from './update.js';

export function registerRollback(program: Command): void {
  withCommonOptions(program.command('rollback').description('go back to the previous healthy release (same as `esik update rollback`)'))
    .option('--force', 'even if it cannot read the database the live release migrated')
    .action((opts: UpdateOptions, command: Command) => rollback(opts, command));
}
