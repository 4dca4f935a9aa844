// Runs `esik ...` as a child process against a test config, like a technician would.
import { spawn } from 'node:child_process';
import { repoRoot } from '../device/daemon.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runEsik(configFile: string, args: string[], options: { env?: NodeJS.ProcessEnv; stdin?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  const { env = {}, stdin, timeoutMs = 60_000 } = options;
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'device/cli/index.ts', '--config', configFile, ...args], { cwd: repoRoot, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.end(stdin ?? '');
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}
