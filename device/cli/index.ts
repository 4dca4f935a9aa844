// `esik`: the daemon (`esik run`) and the technician's tool over SSH, one executable.
import { Command } from 'commander';
import { COMMANDS } from './commands/index.js';

export function buildProgram(): Command {
  const program = new Command('esik')
    .description('school-entrance kiosk: doors, readers, events')
    .option('-c, --config <file>', 'configuration file (default: $ESIK_CONFIG, /etc/esik/config.json, config/demo.json)')
    .showHelpAfterError();
  for (const register of COMMANDS) register(program);
  return program;
}

await buildProgram().parseAsync(process.argv);
