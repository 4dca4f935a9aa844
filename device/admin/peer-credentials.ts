// Who is really on the other end of the admin socket. The CLI writes its user into each request's
// `actor`, but any member of the socket's group could write any name there. The kernel knows the
// connecting process's pid and uid (SO_PEERCRED), and Node has no API for it; no well-kept npm
// package offers it as a prebuilt for both arm64 and x86_64 either. So the accepted connection's
// file descriptor is handed to a short perl one-liner (perl-base is Essential on Debian and
// Raspberry Pi OS: always installed) as its fd 3, which asks getsockopt(SO_PEERCRED) and prints
// pid, uid and the uid's user name. /proc scanning (ss -xp, /proc/*/fd) cannot work here: the
// kiosk runs as its own user and may not read a technician's /proc/PID/fd.
// One lookup per connection (the CLI sends one request per connection), only on the admin socket.
import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';

export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
  /** The uid's user name, or null when it has none. */
  user: string | null;
}

const PERL = '/usr/bin/perl';
const SCRIPT = [
  'use Socket;',
  'open(my $s, "+<&=", 3) or die "fd 3: $!\\n";',
  'my $c = getsockopt($s, SOL_SOCKET, SO_PEERCRED) or die "getsockopt: $!\\n";',
  'my ($pid, $uid, $gid) = unpack("iII", $c);',
  'my $name = getpwuid($uid);',
  'print join(" ", $pid, $uid, $gid, defined $name ? $name : "-"), "\\n";',
].join(' ');

export interface PeerCredentialReaderOptions {
  logger: Logger;
  /** A lookup that takes longer is given up (the request goes on with the peer unknown). */
  timeoutMs?: number;
}

export class PeerCredentialReader {
  private readonly known = new WeakMap<Socket, Promise<PeerCredentials | null>>();
  private readonly log: Logger;

  constructor(private readonly options: PeerCredentialReaderOptions) {
    this.log = options.logger.child({ ns: 'admin-peer' });
  }

  /** The connecting process's credentials, or null when they cannot be read (logged). */
  of(socket: Socket): Promise<PeerCredentials | null> {
    let known = this.known.get(socket);
    if (known === undefined) {
      known = this.lookUp(socket);
      this.known.set(socket, known);
    }
    return known;
  }

  private lookUp(socket: Socket): Promise<PeerCredentials | null> {
    return new Promise((resolve) => {
      let out = '';
      let err = '';
      const child = spawn(PERL, ['-e', SCRIPT], { stdio: ['ignore', 'pipe', 'pipe', socket], timeout: this.options.timeoutMs ?? 5000, env: {} });
      child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
      child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
      child.once('error', (error) => {
        this.log.warn({ err: error }, 'admin socket: cannot read the peer credentials');
        resolve(null);
      });
      child.once('close', (code) => {
        const parsed = parsePeerLine(out);
        if (code !== 0 || parsed === null) this.log.warn({ code, stderr: err.trim().slice(0, 200) }, 'admin socket: cannot read the peer credentials');
        resolve(code === 0 ? parsed : null);
      });
    });
  }
}

export function parsePeerLine(line: string): PeerCredentials | null {
  const match = /^(\d+) (\d+) (\d+) (\S+)\n?$/.exec(line);
  if (match === null) return null;
  const [, pid, uid, gid, user] = match as unknown as [string, string, string, string, string];
  return { pid: Number(pid), uid: Number(uid), gid: Number(gid), user: user === '-' ? null : user };
}
