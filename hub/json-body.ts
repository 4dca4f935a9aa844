// JSON request bodies for the hub: fastify's own parser (prototype-poisoning checks included),
// behind a linear scan of the raw text that refuses deep nesting before anything is built from it.
// V8's JSON.parse does not recurse, but JSON.stringify, logging and many validators do: a body
// nested 5,000 levels deep made a push answer 500 for ever. The push route bounds depth per event
// instead (protocol/wire.ts), so one deep event is rejected alone; it sets a higher limit here.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HubError } from './errors.js';

/** Nesting allowed in any other body: the deepest admin body (a roster batch) needs about 8. */
export const DEFAULT_BODY_DEPTH = 32;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Deepest JSON nesting this route accepts in its body (default DEFAULT_BODY_DEPTH). */
    maxBodyDepth?: number;
  }
}

/** The deepest nesting of `{`/`[` outside strings in `text`, stopping once `limit` is passed. */
export function textNestingDepth(text: string, limit: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === 0x5c) i += 1; // backslash: the next character is escaped
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) {
      inString = true;
    } else if (code === 0x7b || code === 0x5b) {
      depth += 1;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (code === 0x7d || code === 0x5d) {
      depth -= 1;
    }
  }
  return deepest;
}

export function registerJsonBodyParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request: FastifyRequest, body: string | Buffer, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    const limit = request.routeOptions.config.maxBodyDepth ?? DEFAULT_BODY_DEPTH;
    if (textNestingDepth(text, limit) > limit) {
      done(new HubError(400, 'invalid_payload', `body nested deeper than ${limit} levels`), undefined);
      return;
    }
    void parseJson(request, text, done);
  });
}
