// A fault-injecting HTTP proxy on loopback, between the sync client and a real hub. It fakes the
// network, not our code: responses lost after the hub committed, requests delivered twice or late
// (reordered), 500/503 with Retry-After, a hang, and a hub that is down (connections refused).
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Fault =
  | { kind: 'none' }
  /** Forward, let the hub commit, then cut the connection instead of answering. */
  | { kind: 'drop-after-commit'; probability: number }
  /** Forward twice (the second copy after the first answer); the client sees the first answer. */
  | { kind: 'duplicate'; probability: number }
  /** Keep a copy of each request and deliver it again after the next one (an old batch arriving late). */
  | { kind: 'reorder' }
  | { kind: 'status'; status: number; retryAfterS?: number; body?: string }
  /** Accept the request and never answer (the client's timeout must fire). */
  | { kind: 'hang' }
  /** Answer 400 to any request whose body contains `marker` (a hub that refuses whole batches). */
  | { kind: 'reject-containing'; marker: string };

export interface ProxyStats {
  requests: number;
  forwarded: number;
  dropped: number;
  duplicated: number;
  replayed: number;
  faulted: number;
}

interface Captured {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export class FaultProxy {
  fault: Fault = { kind: 'none' };
  readonly stats: ProxyStats = { requests: 0, forwarded: 0, dropped: 0, duplicated: 0, replayed: 0, faulted: 0 };
  /** Only requests whose path matches are faulted (default: all). */
  pathFilter: RegExp = /.*/;
  private server: Server;
  private readonly sockets = new Set<Socket>();
  private held: Captured | null = null;
  private port = 0;

  private constructor(private readonly target: URL, private readonly random: () => number) {
    this.server = this.makeServer();
  }

  static async start(target: string, random: () => number = Math.random): Promise<FaultProxy> {
    const proxy = new FaultProxy(new URL(target), random);
    await proxy.listen(0);
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Refuse connections: close the listener and cut every open connection. */
  async down(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  async up(): Promise<void> {
    this.server = this.makeServer();
    await this.listen(this.port);
  }

  async close(): Promise<void> {
    await this.down().catch(() => undefined);
  }

  private listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.port = (this.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  private makeServer(): Server {
    const server = createServer((req, res) => {
      this.handle(req, res).catch(() => res.destroy());
    });
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    return server;
  }

  private forward(captured: Captured): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
    this.stats.forwarded += 1;
    return new Promise((resolve, reject) => {
      const upstream = httpRequest(
        { host: this.target.hostname, port: this.target.port, method: captured.method, path: captured.path, headers: { ...captured.headers, host: this.target.host } },
        (res) => {
          readBody(res).then((body) => resolve({ status: res.statusCode ?? 502, headers: res.headers, body }), reject);
        },
      );
      upstream.on('error', reject);
      upstream.end(captured.body);
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.stats.requests += 1;
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(req.headers)) if (typeof value === 'string' && key !== 'connection') headers[key] = value;
    const captured: Captured = { method: req.method ?? 'GET', path: req.url ?? '/', headers, body: await readBody(req) };
    const fault = this.pathFilter.test(captured.path) ? this.fault : { kind: 'none' as const };
    if (fault.kind === 'hang') {
      this.stats.faulted += 1;
      return; // the socket stays open until the client gives up or the proxy goes down
    }
    if (fault.kind === 'status') {
      this.stats.faulted += 1;
      res.writeHead(fault.status, { 'content-type': 'application/json', ...(fault.retryAfterS === undefined ? {} : { 'retry-after': String(fault.retryAfterS) }) });
      res.end(fault.body ?? JSON.stringify({ error: 'unavailable', message: 'injected fault' }));
      return;
    }
    if (fault.kind === 'reject-containing' && captured.body.includes(fault.marker)) {
      this.stats.faulted += 1;
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'invalid_payload', message: `batch contains ${fault.marker}` }));
      return;
    }
    const answer = await this.forward(captured);
    if (fault.kind === 'duplicate' && this.random() < fault.probability) {
      this.stats.duplicated += 1;
      await this.forward(captured);
    }
    if (fault.kind === 'reorder') {
      const late = this.held;
      this.held = captured.method === 'POST' ? captured : late;
      if (late && late !== this.held) {
        this.stats.replayed += 1;
        await this.forward(late);
      }
    }
    if (fault.kind === 'drop-after-commit' && this.random() < fault.probability) {
      this.stats.dropped += 1;
      res.destroy();
      return;
    }
    const out: Record<string, string | string[]> = {};
    for (const [key, value] of Object.entries(answer.headers)) if (value !== undefined && key !== 'transfer-encoding' && key !== 'connection') out[key] = value;
    res.writeHead(answer.status, out);
    res.end(answer.body);
  }
}
