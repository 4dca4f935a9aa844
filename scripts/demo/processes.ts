// The demo runs the kiosk and the hub as the two programs they are in a school, each in its own
// process, and stops both together: Ctrl-C, or either one ending, ends the demo.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface Program {
  name: string;
  child: ChildProcess;
  /** Resolves with the exit code (or the signal's name) once the process has ended. */
  exited: Promise<number | string>;
}

export interface ProgramOutput {
  /** Sees every line the program prints; returns false to keep a line off the demo's own output. */
  onLine: (line: string) => boolean;
  env?: NodeJS.ProcessEnv;
}

/**
 * Starts `node --import tsx <entry> ...args` in `cwd`. Without `output` the program writes straight
 * to the demo's terminal (so the kiosk's logs stay human-readable there); with it, each line goes
 * through `onLine` and is passed on with the program's name in front.
 */
export function startProgram(name: string, cwd: string, entry: string, args: readonly string[], output?: ProgramOutput): Program {
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], {
    cwd,
    stdio: output === undefined ? ['ignore', 'inherit', 'inherit'] : ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...output?.env },
  });
  for (const stream of [child.stdout, child.stderr]) {
    if (stream === null || output === undefined) continue;
    createInterface({ input: stream }).on('line', (line) => {
      if (output.onLine(line)) process.stdout.write(`[${name}] ${line}\n`);
    });
  }
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  return { name, child, exited };
}

/** `ready`, unless `program` ends first or `timeoutMs` passes: then a rejection that says which. */
export async function untilReady<T>(ready: Promise<T>, program: Program, what: string, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${program.name}: no ${what} within ${timeoutMs} ms`)), timeoutMs);
  });
  const ended = program.exited.then((code): never => {
    throw new Error(`${program.name} ended (${String(code)}) before ${what}`);
  });
  try {
    return await Promise.race([ready, timeout, ended]);
  } finally {
    clearTimeout(timer);
  }
}

/** The port in the hub's `{"port":N,"msg":"hub listening"}` line, or null for any other line. */
export function listeningPort(line: string): number | null {
  if (!line.startsWith('{')) return null;
  try {
    const parsed = JSON.parse(line) as { port?: unknown; msg?: unknown };
    return parsed.msg === 'hub listening' && typeof parsed.port === 'number' ? parsed.port : null;
  } catch {
    return null;
  }
}

/** Polls `url` until it answers 2xx; rejects when `program` ends first or the time runs out. */
export async function waitForHttp(url: string, program: Program, timeoutMs: number): Promise<void> {
  let ended: number | string | null = null;
  void program.exited.then((code) => {
    ended = code;
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (ended !== null) throw new Error(`${program.name} ended (${String(ended)}) before ${url} answered`);
    const ok = await fetch(url).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

/** SIGTERM to each program still running, SIGKILL to any that has not ended after `graceMs`. */
export async function stopPrograms(programs: readonly Program[], graceMs = 10_000): Promise<void> {
  await Promise.all(
    programs.map(async (program) => {
      if (program.child.exitCode !== null || program.child.signalCode !== null) return;
      program.child.kill('SIGTERM');
      const timer = setTimeout(() => program.child.kill('SIGKILL'), graceMs);
      await program.exited;
      clearTimeout(timer);
    }),
  );
}
