// Signed webhooks per the Standard Webhooks specification (the `standardwebhooks` library signs):
// webhook-id is the outbox key, so a receiver that gets a retry of a notice it already took
// dedups it. URLs are https (plain http only to loopback, and only when allowed: tests); redirects are
// never followed, so a receiver cannot bounce the hub's request to another host.
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { isLoopbackAddress, parseRetryAfter } from '../../lib/index.js';
import type { NoticeChannel, SendOutcome } from './dispatcher.js';
import type { GuardianRecord, OutboxRow } from './model.js';

export interface WebhookOptions {
  /** Lets http:// reach loopback addresses (tests); https is required otherwise. */
  allowLoopbackHttp: boolean;
  timeoutMs: number;
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/** The URL as stored, or an error to show the operator. */
export function validateWebhookUrl(raw: string, allowLoopbackHttp: boolean): { url: string } | { error: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { error: 'not a URL' };
  }
  if (url.username || url.password) return { error: 'credentials in the URL are not allowed' };
  if (url.protocol === 'https:') return { url: url.toString() };
  const host = url.hostname;
  const loopback = LOOPBACK_NAMES.has(host) || isLoopbackAddress(host.replace(/^\[|\]$/g, ''));
  if (url.protocol === 'http:' && allowLoopbackHttp && loopback) return { url: url.toString() };
  return { error: 'webhook URLs must be https' };
}

export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** The JSON a receiver gets: the notice and nothing else (no photo, no ИИН, no class). */
export function webhookBody(row: OutboxRow, guardian: GuardianRecord): string {
  const { payload } = row;
  return JSON.stringify({
    type: `notice.${payload.kind}`,
    timestamp: payload.at,
    data: { key: row.key, eventId: payload.eventId, guardianId: guardian.id, personId: payload.personId, firstName: payload.firstName, at: payload.at, door: payload.door, language: guardian.language, ...(payload.detail ? { detail: payload.detail } : {}) },
  });
}

export class WebhookChannel implements NoticeChannel {
  readonly name = 'webhook' as const;
  /** The receiver dedups by webhook-id, the row's key: a repeat after a crash is harmless. */
  readonly idempotent = true;
  constructor(
    private readonly options: WebhookOptions,
    private readonly now: () => number = Date.now,
  ) {}

  ready(): Promise<void> {
    return Promise.resolve();
  }

  async send(row: OutboxRow, guardian: GuardianRecord): Promise<SendOutcome> {
    if (guardian.webhookUrl === null || guardian.webhookSecret === null) return { ok: false, retry: false, error: 'no webhook' };
    const valid = validateWebhookUrl(guardian.webhookUrl, this.options.allowLoopbackHttp);
    if ('error' in valid) return { ok: false, retry: false, error: valid.error };
    const body = webhookBody(row, guardian);
    const at = new Date(this.now());
    const signature = new Webhook(guardian.webhookSecret).sign(row.key, at, body);
    let response: Response;
    try {
      response = await fetch(valid.url, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.timeoutMs),
        headers: {
          'content-type': 'application/json',
          'webhook-id': row.key,
          'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
          'webhook-signature': signature,
        },
        body,
      });
      await response.body?.cancel();
    } catch (error) {
      return { ok: false, retry: true, error: `webhook: ${error instanceof Error ? error.name : 'network error'}` };
    }
    return webhookOutcome(response.status, response.headers.get('retry-after'), at.getTime());
  }
}

export function webhookOutcome(status: number, retryAfter: string | null, nowMs: number): SendOutcome {
  if (status >= 200 && status < 300) return { ok: true };
  const retry = status === 408 || status === 429 || status >= 500;
  const error = status >= 300 && status < 400 ? `webhook: redirect ${status} not followed` : `webhook: HTTP ${status}`;
  return { ok: false, retry, retryAfterMs: parseRetryAfter(retryAfter, nowMs) ?? undefined, error };
}
