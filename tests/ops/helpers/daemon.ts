// Runs `esik run` as a real child process and waits for "kiosk started".
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';

export const CLI = resolve(import.meta.dirname, '..', '..', '..', 'device', 'cli', 'index.ts');

export interface RunningDaemon {
  child: ChildProcess;
  stop(): Promise<number | null>;
}

export async function startDaemon(config: string, env: NodeJS.ProcessEnv = process.env): Promise<RunningDaemon> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'run', '--config', config], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout?.setEncoding('utf8');
  await new Promise<void>((resolveStarted, reject) => {
    child.stdout?.on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('"kiosk started"')) resolveStarted();
    });
    child.once('exit', (code) => reject(new Error(`daemon exited (${code})`)));
  });
  return {
    child,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = once(child, 'exit') as Promise<[number | null]>;
      child.kill('SIGTERM');
      return (await exited)[0];
    },
  };
}
