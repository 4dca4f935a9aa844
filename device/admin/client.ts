// HTTP over the admin unix socket, for the CLI. Small on purpose: one request, JSON in and out.
import { request } from 'node:http';
import { isErrno } from '../../lib/index.js';

export class DaemonNotRunningError extends Error {
  constructor(readonly socketPath: string) {
    super(`the kiosk is not running (no answer on ${socketPath})`);
    this.name = 'DaemonNotRunningError';
  }
}

export class AdminRequestError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'AdminRequestError';
  }
}

export function adminRequest(socketPath: string, method: 'GET' | 'POST', path: string, body?: unknown, timeoutMs = 15_000): Promise<unknown> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolvePromise, rejectPromise) => {
    const req = request(
      { socketPath, method, path, timeout: timeoutMs, headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text === '' ? null : JSON.parse(text);
          } catch {
            // not JSON: keep the text for the error message
          }
          const status = res.statusCode ?? 0;
          if (status >= 400) {
            const message = typeof parsed === 'object' && parsed !== null && 'message' in parsed ? String(parsed.message) : text;
            rejectPromise(new AdminRequestError(status, message));
          } else resolvePromise(parsed);
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`admin request ${method} ${path} timed out`)));
    req.on('error', (error) => {
      if (isErrno(error, 'ENOENT', 'ECONNREFUSED')) rejectPromise(new DaemonNotRunningError(socketPath));
      else rejectPromise(error);
    });
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}
