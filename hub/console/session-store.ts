// @fastify/session's store, kept in the hub's database: sessions survive a restart, are shared by
// every hub process on one PostgreSQL, and a logout or an unlock revokes them for good. The row's
// expiry is the cookie's (rolling, so it is the idle timeout): an idle session is refused here even
// if its cookie is replayed by hand.
import type { Session } from 'fastify';
import type { ConsoleStore } from './store.js';

declare module 'fastify' {
  interface Session {
    accountId?: string;
  }
}

type Callback = (error?: unknown) => void;
type SessionCallback = (error: unknown, session?: Session | null) => void;

export class DatabaseSessionStore {
  constructor(
    private readonly store: ConsoleStore,
    private readonly idleMs: number,
    private readonly now: () => number,
  ) {}

  set(sessionId: string, session: Session, callback: Callback): void {
    const expires = session.cookie.expires ? new Date(session.cookie.expires).getTime() : this.now() + this.idleMs;
    this.store.saveSession(sessionId, session.accountId ?? null, JSON.stringify(session), expires).then(() => callback(), callback);
  }

  get(sessionId: string, callback: SessionCallback): void {
    this.store.loadSession(sessionId, this.now()).then(
      (data) => {
        if (data === null) return callback(null, null);
        try {
          callback(null, JSON.parse(data) as Session);
        } catch {
          callback(null, null); // an unreadable row is no session, never a crash
        }
      },
      (error: unknown) => callback(error),
    );
  }

  destroy(sessionId: string, callback: Callback): void {
    this.store.deleteSession(sessionId).then(() => callback(), callback);
  }
}
