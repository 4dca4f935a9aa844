// A server's listening socket in a process of its own (lib/gatekeeper-process.ts), for a server on
// the network whose real work shares an event loop with something that must not wait: the kiosk's
// HTTP server and the door's decisions. Refusing a flood at accept is cheap, but each refusal is
// still an accept, a close and a callback on the loop that accepted it; 3,000-5,000 connects a
// second from a laptop on the school's Wi-Fi doubled the door's decision p99. Here the gatekeeper
// process pays for them, at a lower priority, and the door's loop sees only the connections that
// passed the connect rates, handed over paused and then served by the same HTTP server as before.
// The per-address and total caps on OPEN connections stay in the serving process
// (limitConnections), which is the one that sees them close.
import { fork, type ChildProcess } from 'node:child_process';
import type { Server, Socket } from 'node:net';
import { exponentialDelay, type BackoffPolicy } from './backoff.js';
import { DEFAULT_CONNECTION_LIMITS } from './connection-limits.js';
import type { FromGatekeeper, GatekeeperInit } from './gatekeeper-process.js';

export interface GatekeeperLogger {
  info(object: Record<string, unknown>, message: string): void;
  error(object: Record<string, unknown>, message: string): void;
}

export interface GatekeeperOptions {
  host: string;
  port: number;
  logger: GatekeeperLogger;
  perAddress?: number;
  total?: number;
  maxInFlight?: number;
  niceIncrement?: number;
  /** Restarts of a gatekeeper that died: waits between them. */
  restartBackoff?: BackoffPolicy;
}

const START_TIMEOUT_MS = 15_000;

/** The child's module and the flags to run it: its .ts through tsx in a checkout, the .js in a release. */
function childModule(): { modulePath: string; execArgv: string[] } {
  const ts = import.meta.url.endsWith('.ts');
  const modulePath = new URL(`./gatekeeper-process.${ts ? 'ts' : 'js'}`, import.meta.url).pathname;
  return { modulePath, execArgv: ts ? ['--import', 'tsx'] : [] };
}

export class ConnectionGatekeeper {
  #child: ChildProcess | null = null;
  #stopping = false;
  #port: number;
  #restarts = 0;
  #refused = 0;
  #restartTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    /** The server that serves what the gatekeeper admits (not listening itself). */
    private readonly server: Server,
    private readonly options: GatekeeperOptions,
  ) {
    this.#port = options.port;
  }

  /** The port clients connect to (the one chosen when `port` was 0). */
  get port(): number {
    return this.#port;
  }

  /** Connections the gatekeeper refused so far (reported about once a second). */
  get refused(): number {
    return this.#refused;
  }

  /** Starts the gatekeeper and resolves once it listens; rejects if it cannot (port taken...). */
  async start(): Promise<number> {
    this.#stopping = false;
    this.#port = await this.#spawn();
    return this.#port;
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    const child = this.#child;
    this.#child = null;
    if (child === null || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  }

  #init(): GatekeeperInit {
    const o = this.options;
    return {
      host: o.host, port: this.#port,
      perAddress: o.perAddress ?? DEFAULT_CONNECTION_LIMITS.perAddress,
      total: o.total ?? DEFAULT_CONNECTION_LIMITS.total,
      maxInFlight: o.maxInFlight ?? 64,
      niceIncrement: o.niceIncrement ?? 10,
    };
  }

  #spawn(): Promise<number> {
    const { modulePath, execArgv } = childModule();
    const child = fork(modulePath, [JSON.stringify(this.#init())], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json' });
    this.#child = child;
    return new Promise<number>((resolve, reject) => {
      let listening = false;
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`the connection gatekeeper did not listen on ${this.options.host}:${this.#port} within ${START_TIMEOUT_MS} ms`));
      }, START_TIMEOUT_MS);
      child.on('message', (message: FromGatekeeper, handle?: unknown) => {
        if (message.type === 'connection' && handle !== undefined) this.server.emit('connection', handle as Socket);
        else if (message.type === 'refused') this.#refused += message.count;
        else if (message.type === 'listening') {
          listening = true;
          clearTimeout(timer);
          resolve(message.port);
        } else if (message.type === 'failed' && !listening) {
          clearTimeout(timer);
          reject(new Error(`the connection gatekeeper cannot listen on ${this.options.host}:${this.#port}: ${message.message}`));
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (!listening) reject(new Error(`the connection gatekeeper exited before listening (code ${String(code)}, signal ${String(signal)})`));
        else this.#onExit(child, code, signal);
      });
    });
  }

  /** A gatekeeper that died while serving is started again on the same port, with back-off. */
  #onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#stopping || this.#child !== child) return;
    this.options.logger.error({ code, signal }, 'the connection gatekeeper died: the HTTP port is closed until it restarts');
    this.#scheduleRestart();
  }

  #scheduleRestart(): void {
    const delayMs = exponentialDelay(this.#restarts++, this.options.restartBackoff ?? { baseMs: 200, capMs: 10_000 });
    this.#restartTimer = setTimeout(() => {
      if (this.#stopping) return;
      this.#spawn().then(
        () => {
          this.options.logger.info({ port: this.#port, restarts: this.#restarts }, 'the connection gatekeeper is listening again');
          this.#restarts = 0;
        },
        (error: unknown) => {
          this.options.logger.error({ err: error, retryInMs: delayMs }, 'the connection gatekeeper could not restart');
          this.#scheduleRestart();
        },
      );
    }, delayMs);
  }
}
