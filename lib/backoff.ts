// Back-off for every retry loop in esik (sync client, HID readers, camera sources, the face worker's
// restarts): one formula, so a change of policy is made once. Exponential with a cap; the sync
// client adds full jitter (AWS architecture blog, "Exponential Backoff and Jitter": uniform in
// [0, min(cap, base * 2^attempt)]) so a school's kiosks coming back after an outage do not hit the hub in lock-step. A server's
// Retry-After, when it sends one, wins over the formula.
export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, capMs: 5 * 60_000 };

/** base * 2^attempt, capped (attempt 0 is the first retry). */
export function exponentialDelay(attempt: number, policy: BackoffPolicy): number {
  return Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(Math.max(0, attempt), 30));
}

export function fullJitterDelay(attempt: number, policy: BackoffPolicy, random: () => number): number {
  return Math.floor(random() * exponentialDelay(attempt, policy));
}

/** Retry-After as seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(header: string | null, nowMs: number): number | null {
  if (header === null || header.trim() === '') return null;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}
