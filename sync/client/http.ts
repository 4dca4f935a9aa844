// One HTTP exchange with the hub, classified into what the sync loop needs to decide: a parsed
// body, or an error saying whether to wait (offline, server), stop (unauthorized) or split (rejected).
import { fetch, type Dispatcher } from 'undici';
import { PROTOCOL_HEADER, PROTOCOL_VERSION, errorBodySchema } from '../../protocol/index.js';
import { parseRetryAfter } from './backoff.js';

export type SyncErrorKind = 'offline' | 'server' | 'unauthorized' | 'rejected' | 'gone' | 'protocol';

export class SyncError extends Error {
  constructor(
    readonly kind: SyncErrorKind,
    message: string,
    readonly status: number | null = null,
    readonly retryAfterMs: number | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
  }
}

export interface HubResponse {
  status: number;
  body: unknown;
  /** The hub's clock from its Date header, epoch ms, or null. */
  serverTimeMs: number | null;
}

export interface HubHttpOptions {
  baseUrl: string;
  dispatcher?: Dispatcher;
  requestTimeoutMs: number;
  userAgent: string;
  now: () => number;
}

function describeCause(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as Error & { cause?: unknown }).cause;
  return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
}

export class HubHttp {
  private readonly base: string;

  constructor(private readonly options: HubHttpOptions) {
    this.base = options.baseUrl.replace(/\/+$/, '');
  }

  /** Resolves with 2xx (and 410, which callers handle); throws SyncError for everything else. */
  async request(method: 'GET' | 'POST', path: string, token: string, body?: unknown): Promise<HubResponse> {
    let response: Awaited<ReturnType<typeof fetch>>;
    let text: string;
    try {
      response = await fetch(`${this.base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          [PROTOCOL_HEADER]: PROTOCOL_VERSION,
          'user-agent': this.options.userAgent,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        dispatcher: this.options.dispatcher,
        signal: AbortSignal.timeout(this.options.requestTimeoutMs),
      });
      text = await response.text();
    } catch (error) {
      throw new SyncError('offline', `hub unreachable: ${describeCause(error)}`);
    }
    const dateHeader = response.headers.get('date');
    const serverTimeMs = dateHeader === null ? null : Date.parse(dateHeader);
    let parsed: unknown = undefined;
    if (text.length > 0) {
      try {
        parsed = JSON.parse(text);
      } catch {
        if (response.ok) throw new SyncError('protocol', `hub answered ${response.status} with a body that is not JSON`, response.status);
      }
    }
    if (response.ok || response.status === 410) {
      return { status: response.status, body: parsed, serverTimeMs: Number.isNaN(serverTimeMs) ? null : serverTimeMs };
    }
    throw this.classify(response.status, parsed, response.headers.get('retry-after'));
  }

  private classify(status: number, body: unknown, retryAfter: string | null): SyncError {
    const detail = errorBodySchema.safeParse(body);
    const code = detail.success ? detail.data.error : null;
    const message = `hub answered ${status}${code ? ` ${code}` : ''}${detail.success && detail.data.message ? `: ${detail.data.message}` : ''}`;
    if (status === 401 || status === 403) return new SyncError('unauthorized', message, status, null, code);
    if (status === 429 || status >= 500) return new SyncError('server', message, status, parseRetryAfter(retryAfter, this.options.now()), code);
    // Only these say "this payload is bad"; a 404 or a protocol mismatch is our configuration, not the events.
    if ((status === 400 || status === 413 || status === 422) && code !== 'unsupported_protocol') return new SyncError('rejected', message, status, null, code);
    return new SyncError('protocol', message, status, null, code);
  }
}
