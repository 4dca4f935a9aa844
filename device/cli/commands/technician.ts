// State-changing technician commands: they go through the running daemon, which records each one
// as an audit event with the unix user of the CLI.
import type { Command } from 'commander';
import { adminRequest } from '../../admin/index.js';
import { actor, configFrom, fail, printJson, socketPathOf, text } from '../context.js';
import { registerSimulateFace } from './simulate-face.js';
import { DirectionSchema, type Direction } from '../../vocabulary.js';

async function call(command: Command, path: string, body: Record<string, unknown>): Promise<unknown> {
  const loaded = await configFrom(command);
  return adminRequest(socketPathOf(loaded), 'POST', path, { ...body, actor: actor() });
}

function direction(value: string): Direction {
  const parsed = DirectionSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new Error(`--direction must be "in" or "out", got "${value}"`);
}

export function registerTechnician(program: Command): void {
  registerRelayAndSimulate(program);
  registerModeAndPerson(program);
}

function registerRelayAndSimulate(program: Command): void {
  program
    .command('relay')
    .description('relays')
    .command('test')
    .description('pulse a door relay (recorded as an audit event)')
    .option('--door <name>', 'door name (default: the first door)')
    .option('--direction <in|out>', 'which relay of a turnstile', 'in')
    .action(async (opts: { door?: string; direction: string }, command: Command) => {
      try {
        const result = (await call(command, '/v1/relay/test', { door: opts.door, direction: direction(opts.direction) })) as { door: string; direction: string };
        process.stdout.write(`pulsed ${result.door} (${result.direction})\n`);
      } catch (error) {
        fail(error);
      }
    });

  const simulate = program.command('simulate').description('feed the kiosk a presentation');
  registerSimulateFace(simulate);
  simulate
    .command('card <uid>')
    .description('present a card UID (or a QR payload with --qr) as if read at the door')
    .option('--door <name>', 'door name (default: the first door)')
    .option('--direction <in|out>', 'direction', 'in')
    .option('--qr', 'the value is a QR payload')
    .option('--json', 'print JSON')
    .action(async (uid: string, opts: { door?: string; direction: string; qr?: boolean; json?: boolean }, command: Command) => {
      try {
        const result = (await call(command, '/v1/simulate', { kind: opts.qr === true ? 'qr' : 'card', value: uid, door: opts.door, direction: direction(opts.direction) })) as Record<string, unknown>;
        if (opts.json === true) printJson(result);
        else if (result.decided !== true) process.stdout.write('no decision (reader queue full or shutting down)\n');
        else process.stdout.write(`${text(result.outcome).toUpperCase()} ${text(result.door)} ${text(result.direction)} ${text(result.name ?? 'unknown')}${result.reason === null ? '' : ` reason=${text(result.reason)}`} seq=${text(result.seq)}\n`);
      } catch (error) {
        fail(error);
      }
    });

}

function registerModeAndPerson(program: Command): void {
  program
    .command('mode')
    .description('kiosk mode')
    .command('set <mode>')
    .description('normal | lockdown | emergency | maintenance (recorded as an audit event)')
    .action(async (mode: string, _opts: unknown, command: Command) => {
      try {
        await call(command, '/v1/mode', { mode });
        process.stdout.write(`mode ${mode}\n`);
      } catch (error) {
        fail(error);
      }
    });

  const person = program.command('person').description('block, unblock or erase a person (recorded as audit events)');
  for (const action of ['block', 'unblock', 'erase'] as const) {
    person
      .command(`${action} <id>`)
      .description(action === 'erase' ? 'delete the person with credentials and templates from memory and disk' : `${action} the person`)
      .action(async (id: string, _opts: unknown, command: Command) => {
        try {
          await call(command, `/v1/person/${encodeURIComponent(id)}/${action}`, {});
          process.stdout.write(`${action} ${id}: done\n`);
        } catch (error) {
          fail(error);
        }
      });
  }
}
