// The health endpoint and Prometheus scrape target, on loopback by default: a technician (or the
// updater deciding whether a new release is alive) asks over SSH; nothing here is meant for the LAN.
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { HealthReport } from './monitor.js';
import { closeWithin } from '../../lib/index.js';

export interface HealthIdentity {
  version: string;
  /** Unique per process start: the updater uses it to notice a crash loop between two probes. */
  instanceId: string;
  pid: number;
  startedAt: string;
}

export interface HealthServerOptions {
  host: string;
  port: number;
  logger: Logger;
  identity: HealthIdentity;
  /** Latest report; null before the first run means "starting", answered 503. */
  report: () => HealthReport | null;
  metrics: () => Promise<{ contentType: string; body: string }>;
}

/** JSON body of GET /health; the updater parses it. */
export interface HealthResponseBody extends HealthIdentity {
  status: 'healthy' | 'unhealthy' | 'starting';
  warnings: string[];
  checks: HealthReport['checks'];
  checkedAt: string | null;
}

export class HealthServer {
  private readonly app: FastifyInstance;
  private readonly log: Logger;

  constructor(private readonly options: HealthServerOptions) {
    this.log = options.logger.child({ ns: 'health-http' });
    this.app = Fastify({ logger: false });
    this.app.get('/health', async (_request, reply) => {
      const body = this.body();
      return reply.code(body.status === 'healthy' ? 200 : 503).send(body);
    });
    this.app.get('/metrics', async (_request, reply) => {
      const { contentType, body } = await options.metrics();
      return reply.header('content-type', contentType).send(body);
    });
  }

  /** Listens and resolves the bound port (useful with port 0 in tests). */
  async listen(): Promise<number> {
    await this.app.listen({ host: this.options.host, port: this.options.port });
    const address = this.app.server.address();
    const port = typeof address === 'object' && address ? address.port : this.options.port;
    this.log.info({ host: this.options.host, port }, 'health endpoint listening');
    return port;
  }

  async close(): Promise<void> {
    await closeWithin(this.app.server, () => this.app.close());
  }

  private body(): HealthResponseBody {
    const report = this.options.report();
    return {
      ...this.options.identity,
      status: report === null ? 'starting' : report.healthy ? 'healthy' : 'unhealthy',
      warnings: report?.warnings ?? [],
      checks: report?.checks ?? [],
      checkedAt: report ? new Date(report.at).toISOString() : null,
    };
  }
}
