// Who may reach the simulator's HTTP routes, decided in `onRequest`: before a body is read. An
// unauthenticated 5.5 MB upload used to be buffered and parsed before its 403 (40 at once: +200 MB
// RSS, a card decision 1.6 s late). Each route says what it is (config.simAccess) and the hook
// refuses cross-site writes (OriginPolicy), unadmitted clients, and a second image upload while one
// is being decoded (image decoding shares libuv's pool with SQLite: one client image at a time).
import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import type { OriginPolicy } from '../security/origin.js';

/** page: the login form when refused; asset: a plain refusal; public: no admission; api: a JSON refusal. */
export type SimRouteAccess = 'page' | 'asset' | 'public' | 'api';

export interface SimRouteConfig {
  simAccess?: SimRouteAccess;
  /** The body is an image the face engine will decode: one such request at a time. */
  imageUpload?: boolean;
}

/** Decides whether a client may use the simulator (loopback, or a technician's session). */
export type SimAccessGuard = (remoteAddress: string | undefined, headers: Record<string, string | string[] | undefined>) => boolean | Promise<boolean>;

/** One holder at a time; a second caller is refused, never queued. */
export class SingleSlot {
  private held = false;

  tryAcquire(): (() => void) | null {
    if (this.held) return null;
    this.held = true;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.held = false;
    };
  }
}

export interface SimAccessHookOptions {
  guard: SimAccessGuard;
  origins: OriginPolicy;
  imageSlot: SingleSlot;
  loginPage: () => Promise<Buffer>;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** A refusal that also closes the connection, so a body the client is still sending is not read. */
function refuse(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).header('connection', 'close').header('cache-control', 'no-store').send({ message });
}

export function simAccessHook(options: SimAccessHookOptions): onRequestAsyncHookHandler {
  return async function simAccess(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    const config = request.routeOptions.config as SimRouteConfig;
    const access = config.simAccess ?? 'api';
    if (!SAFE_METHODS.has(request.method) && !options.origins.allows(request.headers.origin, request.headers.host)) {
      return refuse(reply, 403, 'simulator: cross-site request refused (Origin)');
    }
    if (access !== 'public' && !(await options.guard(request.socket.remoteAddress, request.headers))) {
      if (access === 'page') return reply.code(401).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(await options.loginPage());
      if (access === 'asset') return reply.code(403).type('text/plain; charset=utf-8').send('simulator: loopback or technician PIN only');
      return refuse(reply, 403, 'simulator: loopback or technician PIN only');
    }
    if (config.imageUpload === true) {
      const release = options.imageSlot.tryAcquire();
      if (release === null) {
        return refuse(reply.header('retry-after', '1'), 429, 'simulator: another image is being processed; try again in a moment');
      }
      // 'close' comes after the answer is sent and when the client goes away first.
      reply.raw.once('close', release);
    }
    return undefined;
  };
}
