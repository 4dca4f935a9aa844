// Decides whether a freshly started release is alive: its health endpoint must answer "healthy" with
// the new version, continuously for `stableMs`, before `timeoutMs`. A process that keeps restarting
// shows up as a changing instanceId (or as the restart hook's exit signal) and fails early.
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';

export interface HealthWaitOptions {
  url: string;
  version: string;
  timeoutMs: number;
  stableMs: number;
  pollMs?: number;
  /** Restarts seen during the wait that count as a crash loop. */
  maxRestarts?: number;
  /** Settles when the process the restart hook started has exited (only hooks that supervise it). */
  exited?: Promise<unknown>;
  requestTimeoutMs?: number;
}

export type HealthVerdict = { healthy: true; instanceId: string } | { healthy: false; reason: string };

const HealthBody = z.object({ status: z.string(), version: z.string(), instanceId: z.string() });

type Probe = { kind: 'down'; detail: string } | { kind: 'up'; healthy: boolean; version: string; instanceId: string };

async function probe(url: string, timeoutMs: number): Promise<Probe> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    const parsed = HealthBody.safeParse(await response.json());
    if (!parsed.success) return { kind: 'down', detail: `unexpected health body (HTTP ${response.status})` };
    return { kind: 'up', healthy: response.ok && parsed.data.status === 'healthy', ...parsed.data };
  } catch (error) {
    return { kind: 'down', detail: error instanceof Error ? error.message : String(error) };
  }
}

export async function waitForHealthy(options: HealthWaitOptions): Promise<HealthVerdict> {
  const pollMs = options.pollMs ?? 500;
  const maxRestarts = options.maxRestarts ?? 3;
  const deadline = Date.now() + options.timeoutMs;
  let exitedEarly = false;
  void options.exited?.then(
    () => (exitedEarly = true),
    () => (exitedEarly = true),
  );
  let lastInstance: string | null = null;
  let restarts = 0;
  let healthySince: number | null = null;
  let lastProblem = 'no answer from the health endpoint';
  while (Date.now() < deadline) {
    if (exitedEarly) return { healthy: false, reason: 'the new release exited during the health check' };
    const result = await probe(options.url, options.requestTimeoutMs ?? 2_000);
    if (result.kind === 'down') {
      healthySince = null;
      lastProblem = result.detail;
    } else if (result.version !== options.version) {
      healthySince = null;
      lastProblem = `health endpoint reports version ${result.version}`;
    } else {
      if (lastInstance !== null && result.instanceId !== lastInstance) restarts += 1;
      lastInstance = result.instanceId;
      if (restarts >= maxRestarts) return { healthy: false, reason: `crash-looping (${restarts} restarts seen)` };
      if (!result.healthy) {
        healthySince = null;
        lastProblem = 'health endpoint reports unhealthy';
      } else {
        healthySince ??= Date.now();
        if (Date.now() - healthySince >= options.stableMs) return { healthy: true, instanceId: result.instanceId };
      }
    }
    await sleep(pollMs);
  }
  return { healthy: false, reason: `not healthy within ${options.timeoutMs} ms (${lastProblem})` };
}
