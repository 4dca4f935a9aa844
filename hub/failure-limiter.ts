// Counts authentication attempts per key (an address, a device id) in fixed windows. An attempt is
// counted before it is verified, so two hundred concurrent guesses cannot all slip in before the
// first failure is known; a success gives its attempt back. @fastify/rate-limit counts every
// request of a key, which would throttle a school's kiosks behind one NAT address for their
// ordinary traffic; only failed authentications are limited here.

export class FailureLimiter {
  private readonly windows = new Map<string, { count: number; endsMs: number }>();

  constructor(
    private readonly maxAttempts: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
    /** Oldest keys are forgotten beyond this, so the map stays bounded whatever the keys. */
    private readonly maxKeys = 10_000,
  ) {}

  /** Milliseconds until `key` may try again, or null when it may try now. */
  retryAfterMs(key: string): number | null {
    const window = this.current(key);
    if (!window || window.count < this.maxAttempts) return null;
    return Math.max(1, window.endsMs - this.now());
  }

  count(key: string): void {
    const window = this.current(key);
    if (window) {
      window.count += 1;
      return;
    }
    this.windows.delete(key);
    this.windows.set(key, { count: 1, endsMs: this.now() + this.windowMs });
    if (this.windows.size > this.maxKeys) this.windows.delete(this.windows.keys().next().value as string);
  }

  refund(key: string): void {
    const window = this.current(key);
    if (window && window.count > 0) window.count -= 1;
  }

  private current(key: string): { count: number; endsMs: number } | null {
    const window = this.windows.get(key);
    if (!window) return null;
    if (window.endsMs <= this.now()) {
      this.windows.delete(key);
      return null;
    }
    return window;
  }
}
