// esik update [install] RELEASE.tgz | update status | update rollback, and esik rollback.
import type { Command } from 'commander';
import { pino } from 'pino';
import { readSchemaVersion } from '../../../sync/store/index.js';
import { databasePath } from '../../config/index.js';
import { daemonAuditSink, healthUrlOf } from '../../update/cli-support.js';
import { ReleaseLayout } from '../../update/layout.js';
import { Updater, type UpdateResult } from '../../update/updater.js';
import { actor, configFrom, fail, printJson, socketPathOf } from '../context.js';

export interface UpdateOptions {
  force?: boolean;
  root: string;
  timeout: string;
  keep: string;
  json?: boolean;
}

function positive(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got "${value}"`);
  return n;
}

async function updaterFor(command: Command, opts: UpdateOptions): Promise<Updater> {
  const loaded = await configFrom(command);
  const logger = pino({ level: opts.json === true ? 'warn' : 'info' }, process.stderr);
  return new Updater({
    layout: new ReleaseLayout(opts.root),
    logger,
    health: { url: healthUrlOf(loaded), timeoutMs: positive(opts.timeout, '--timeout') * 1000, stableMs: 5_000, maxRestarts: 2 },
    keep: positive(opts.keep, '--keep'),
    audit: daemonAuditSink(loaded, socketPathOf(loaded), logger),
    actor: actor(),
    databaseSchema: () => readSchemaVersion(databasePath(loaded.config)),
  });
}

function report(result: UpdateResult, json: boolean | undefined): void {
  if (json === true) printJson(result);
  else if (result.outcome === 'installed') process.stdout.write(`release ${result.version} is live and healthy (was ${result.from ?? 'none'})\n`);
  else if (result.outcome === 'rolled-back') {
    process.stdout.write(`back on release ${result.version}${result.reason ? `: ${result.from ?? ''} was not healthy (${result.reason})` : ''}\n`);
  } else process.stdout.write(`release ${result.version} is live but NOT healthy: ${result.reason ?? ''}\n`);
  // An update that did not end on the release asked for is a failure for scripts, even when rolled back.
  if (result.outcome === 'failed' || (result.outcome === 'rolled-back' && result.reason !== undefined)) process.exitCode = 1;
}

export function withCommonOptions(command: Command): Command {
  return command
    .option('--root <dir>', 'install root (tests and images: a temp folder)', '/')
    .option('--timeout <seconds>', 'how long the new release has to become healthy', '90')
    .option('--keep <n>', 'releases kept on disk', '3')
    .option('--json', 'print JSON');
}

async function install(archive: string, opts: UpdateOptions, command: Command): Promise<void> {
  try {
    const updater = await updaterFor(command, opts);
    report(await updater.install(archive, { force: opts.force === true }), opts.json);
  } catch (error) {
    fail(error);
  }
}

export async function rollback(opts: UpdateOptions, command: Command): Promise<void> {
  try {
    const updater = await updaterFor(command, opts);
    report(await updater.rollback({ force: opts.force === true }), opts.json);
  } catch (error) {
    fail(error);
  }
}

async function status(opts: { root: string; json?: boolean }): Promise<void> {
  try {
    const layout = new ReleaseLayout(opts.root);
    const current = await layout.currentVersion();
    const state = await layout.readState();
    const manifest = current ? await layout.readManifest(current) : null;
    const result = {
      current,
      schemaVersion: manifest?.schemaVersion ?? null,
      installed: await layout.installedVersions(),
      healthyHistory: state.history,
      highWater: state.highWater,
      failed: state.failed,
      interrupted: state.inFlight,
    };
    if (opts.json === true) printJson(result);
    else {
      process.stdout.write(`current    ${current ?? '(none)'}${manifest ? ` (schema ${manifest.schemaVersion}, built ${manifest.createdAt})` : ''}\n`);
      process.stdout.write(`installed  ${result.installed.join(', ') || '(none)'}\n`);
      process.stdout.write(`healthy    ${state.history.join(' -> ') || '(none yet)'}\n`);
      if (state.highWater !== null) process.stdout.write(`newest     ${state.highWater} (older releases need --force)\n`);
      for (const f of state.failed.slice(-5)) process.stdout.write(`failed     ${f.version} at ${f.at}: ${f.reason}\n`);
      if (state.inFlight) process.stdout.write(`INTERRUPTED update to ${state.inFlight.version} (pid ${state.inFlight.pid}); the next update or rollback verifies it\n`);
    }
  } catch (error) {
    fail(error);
  }
}

export function registerUpdate(program: Command): void {
  const update = withCommonOptions(
    program
      .command('update')
      .description('install a signed release (verify, unpack, switch, restart, health-check, roll back on failure)')
      .argument('[release]', 'release archive (.tgz)')
      .option(
        '--force',
        'install even if it is older than the newest release run healthy here (audited as update.downgrade-forced), or the live release could not read its database after a rollback',
      ),
  ).action(async (archive: string | undefined, opts: UpdateOptions, command: Command) => {
    if (archive === undefined) {
      command.help({ error: true });
      return;
    }
    await install(archive, opts, command);
  });
  // Options given after a subcommand are still parsed by `update` (commander's default), so the
  // subcommands read them with optsWithGlobals() instead of declaring them twice.
  update
    .command('install <release>')
    .description('same as `esik update RELEASE`')
    .action((archive: string, _opts: unknown, command: Command) => install(archive, command.optsWithGlobals<UpdateOptions>(), command));
  update
    .command('status')
    .description('live release, installed releases, healthy history, failed and interrupted updates')
    .action((_opts: unknown, command: Command) => status(command.optsWithGlobals<UpdateOptions>()));
  update
    .command('recover')
    .description('verify an update that was interrupted (power cut, lost SSH); roll back if unhealthy')
    .action(async (_opts: unknown, command: Command) => {
      const opts = command.optsWithGlobals<UpdateOptions>();
      try {
        const result = await (await updaterFor(command, opts)).recover();
        if (result === null) process.stdout.write('no interrupted update\n');
        else report(result, opts.json);
      } catch (error) {
        fail(error);
      }
    });
  update
    .command('rollback')
    .description('go back to the previous healthy release (--force: even if it cannot read the database)')
    .action((_opts: unknown, command: Command) => rollback(command.optsWithGlobals<UpdateOptions>(), command));
}
