// The hub's Prometheus metrics at GET /v1/metrics, behind the admin or the read-only token (a
// scraper holds the read-only one). A private registry per hub, never prom-client's global one: two
// hubs in one process (tests, the bench) must not count into each other. Labels are bounded: the
// route is fastify's pattern (`/v1/devices/:deviceId/events`), never the raw URL a client chose, so a
// scanner walking random paths adds nothing but the one `unmatched` series.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PushResponse } from '../protocol/index.js';
import type { HubStorage } from './storage.js';

export class HubMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'route' | 'method' | 'status'>;
  private readonly duration: Histogram<'route'>;
  private readonly events: Counter<'result'>;

  constructor(storage: Pick<HubStorage, 'listDevices'>) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'esik_hub_' });
    this.requests = new Counter({ name: 'esik_hub_http_requests_total', help: 'HTTP requests answered, by route pattern, method and status', labelNames: ['route', 'method', 'status'], registers });
    this.duration = new Histogram({
      name: 'esik_hub_http_request_duration_seconds',
      help: 'time from request to response, by route pattern',
      labelNames: ['route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.events = new Counter({ name: 'esik_hub_events_total', help: 'events in kiosk pushes, by what became of them', labelNames: ['result'], registers });
    new Gauge({
      name: 'esik_hub_devices',
      help: 'registered kiosks, by whether they may push',
      labelNames: ['state'],
      registers,
      async collect() {
        const devices = await storage.listDevices();
        const disabled = devices.filter((device) => device.disabled).length;
        this.set({ state: 'enabled' }, devices.length - disabled);
        this.set({ state: 'disabled' }, disabled);
      },
    });
  }

  /** Called by the push route with what the storage answered. */
  countPush(response: PushResponse): void {
    this.events.inc({ result: 'accepted' }, response.accepted.length);
    this.events.inc({ result: 'duplicate' }, response.duplicates.length);
    this.events.inc({ result: 'rejected' }, response.rejected.length);
    this.events.inc({ result: 'deferred' }, response.deferred?.length ?? 0);
  }

  /** Counts every response, and serves the registry behind `guard`. */
  register(app: FastifyInstance, guard: (request: FastifyRequest) => Promise<void>): void {
    app.addHook('onResponse', (request, reply, done) => {
      const route = request.is404 ? 'unmatched' : (request.routeOptions.url ?? 'unmatched');
      this.requests.inc({ route, method: request.method, status: String(reply.statusCode) });
      this.duration.observe({ route }, reply.elapsedTime / 1000);
      done();
    });
    app.get('/v1/metrics', { onRequest: guard }, async (_request, reply) => {
      return reply.type(this.registry.contentType).send(await this.registry.metrics());
    });
  }
}
