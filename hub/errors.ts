// One error shape for every hub answer: { error: code, message }. Codes are listed in docs/protocol.md.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ZodError } from 'zod';

export class HubError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

function zodMessage(error: ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`)
    .join('; ');
}

export function describeZod(error: ZodError): string {
  return zodMessage(error);
}

/** Fastify's own errors (body too large, bad JSON, wrong content type) mapped onto protocol codes. */
export function hubErrorHandler(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  if (error instanceof HubError) {
    void reply.code(error.status).headers(error.headers).send({ error: error.code, message: error.message });
    return;
  }
  if (error instanceof ZodError) {
    void reply.code(400).send({ error: 'invalid_payload', message: zodMessage(error) });
    return;
  }
  const fastifyError = error as FastifyError;
  const status = fastifyError.statusCode ?? 500;
  if (status === 413) {
    void reply.code(413).send({ error: 'too_large', message: 'request body exceeds the limit' });
  } else if (status >= 400 && status < 500) {
    void reply.code(status).send({ error: fastifyError.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'unsupported_media_type' : 'invalid_payload', message: error.message });
  } else if (isSqliteBusy(error)) {
    // Another connection of this hub (a fold, the notifier) held SQLite's one write lock past the
    // busy timeout, as happens under heavy disk load: nothing was written, the client retries.
    request.log.warn({ err: error }, 'hub database busy');
    void reply.code(503).headers({ 'retry-after': '1' }).send({ error: 'unavailable', message: 'the hub database is busy; retry later' });
  } else {
    request.log.error({ err: error }, 'hub request failed');
    void reply.code(500).send({ error: 'internal', message: 'internal error' });
  }
}

/** SQLITE_BUSY / SQLITE_LOCKED from node-sqlite3 (its errors carry the code as a string). */
function isSqliteBusy(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}
