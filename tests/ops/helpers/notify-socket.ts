// A stand-in for systemd's notify socket: a unix datagram socket (Node has none, so a few lines of
// Python hold it) that prints every datagram it receives, one JSON string per line. Plain recv()
// drops the BARRIER=1 file descriptor, which is what lets systemd-notify return, as with systemd.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';

const RECEIVER = `
import json, os, socket, sys
path = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
print(json.dumps("listening"), flush=True)
while True:
    data = s.recv(65536)
    print(json.dumps(data.decode("utf-8", "replace")), flush=True)
`;

export function notifySocketUnavailable(): string | null {
  if (spawnSync('python3', ['--version']).status !== 0) return 'python3 is not installed (needed to hold a unix datagram socket)';
  if (spawnSync('systemd-notify', ['--version']).status !== 0) return 'systemd-notify is not installed';
  return null;
}

export class NotifySocketRecorder {
  readonly path: string;
  readonly messages: string[] = [];
  private child: ChildProcess | null = null;

  constructor(dir: string) {
    this.path = join(dir, 'notify.sock');
  }

  async start(): Promise<void> {
    const child = spawn('python3', ['-c', RECEIVER, this.path], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.child = child;
    let buffer = '';
    let listening: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => (listening = resolve));
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      buffer += chunk;
      let newline = buffer.indexOf('\n');
      while (newline >= 0) {
        const text = JSON.parse(buffer.slice(0, newline)) as string;
        buffer = buffer.slice(newline + 1);
        if (text === 'listening') listening();
        else this.messages.push(text);
        newline = buffer.indexOf('\n');
      }
    });
    await ready;
  }

  /** Every KEY=VALUE assignment received so far, in order. */
  assignments(): string[] {
    return this.messages.flatMap((m) => m.split('\n').filter((line) => line !== ''));
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  }
}
