// sd_notify(3) for a Node process. Node cannot open unix datagram sockets, and the registry packages
// that can (sd-notify, unix-dgram) are native add-ons that compile at install time; instead we run
// systemd's own `systemd-notify` helper, which ships with every systemd system. Two details make that
// reliable: `--pid=<our pid>` attributes the message to the daemon (MAINPID), and systemd >= 246 makes
// the helper wait (BARRIER=1) until the manager has processed the message, so the short-lived helper
// is never "unknown" when systemd looks up its cgroup. The unit sets NotifyAccess=all for the helper.
import { execFile } from 'node:child_process';
import type { Logger } from 'pino';

/** Sends one sd_notify datagram made of `KEY=VALUE` lines. */
export interface NotifyTransport {
  send(fields: Record<string, string>): Promise<void>;
}

/** Used when NOTIFY_SOCKET is unset (not started by systemd): nothing to tell. */
export class NullNotifyTransport implements NotifyTransport {
  async send(): Promise<void> {
    // Intentionally empty: outside systemd there is no manager to notify.
  }
}

export interface SystemdNotifyCommandOptions {
  /** The pid the message is about; the daemon's own pid. */
  pid: number;
  /** Path of the helper; `systemd-notify` from PATH by default. */
  command?: string;
  timeoutMs?: number;
}

export class SystemdNotifyCommandTransport implements NotifyTransport {
  private readonly command: string;
  private readonly timeoutMs: number;

  constructor(private readonly options: SystemdNotifyCommandOptions) {
    this.command = options.command ?? 'systemd-notify';
    this.timeoutMs = options.timeoutMs ?? 5_000;
  }

  send(fields: Record<string, string>): Promise<void> {
    const args = [`--pid=${this.options.pid}`];
    for (const [key, value] of Object.entries(fields)) {
      // A newline would start a new assignment: STATUS text comes from our own code, but be strict.
      args.push(`${key}=${value.replace(/[\r\n]+/g, ' ')}`);
    }
    return new Promise((resolve, reject) => {
      execFile(this.command, args, { timeout: this.timeoutMs }, (error) => {
        if (error) reject(new Error(`systemd-notify failed: ${error.message}`));
        else resolve();
      });
    });
  }
}

/** Picks the real transport when systemd gave us a notify socket, the null one otherwise. */
export function notifyTransportFromEnv(env: NodeJS.ProcessEnv = process.env, pid = process.pid): NotifyTransport {
  return env.NOTIFY_SOCKET ? new SystemdNotifyCommandTransport({ pid }) : new NullNotifyTransport();
}

/** Watchdog period systemd expects, from WATCHDOG_USEC (and WATCHDOG_PID when set). */
export function watchdogIntervalMs(env: NodeJS.ProcessEnv = process.env, pid = process.pid): number | null {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isFinite(usec) || usec <= 0) return null;
  if (env.WATCHDOG_PID && Number(env.WATCHDOG_PID) !== pid) return null;
  return Math.floor(usec / 1000);
}

/**
 * The daemon's side of the systemd contract. Never throws: a failing notification is logged, because
 * the kiosk must keep deciding doors even if the manager cannot hear it (systemd will then restart
 * us through the watchdog, which is the right outcome).
 */
export class SdNotifier {
  private readonly log: Logger;
  private lastStatus: string | null = null;

  constructor(
    private readonly transport: NotifyTransport,
    logger: Logger,
  ) {
    this.log = logger.child({ ns: 'sd-notify' });
  }

  ready(status?: string): Promise<void> {
    return this.send(status ? { READY: '1', STATUS: status } : { READY: '1' });
  }

  watchdog(): Promise<void> {
    return this.send({ WATCHDOG: '1' });
  }

  stopping(status = 'stopping'): Promise<void> {
    return this.send({ STOPPING: '1', STATUS: status });
  }

  /** Sends STATUS= only when the text changed, so a steady state does not spawn a helper per tick. */
  status(text: string): Promise<void> {
    if (text === this.lastStatus) return Promise.resolve();
    this.lastStatus = text;
    return this.send({ STATUS: text });
  }

  private async send(fields: Record<string, string>): Promise<void> {
    try {
      await this.transport.send(fields);
    } catch (error) {
      this.log.warn({ err: error, fields: Object.keys(fields) }, 'sd_notify failed');
    }
  }
}
