// Shared pieces of the fault suite: a seeded PRNG (every trial is reproducible), a real kiosk child
// with a hard timeout, paging through every stored event over the admin socket, and polling for a
// condition instead of sleeping blindly.
import { adminRequest } from '../../device/admin/index.js';
import { startDaemon, waitForDaemon, type Daemon, type StoredEventView } from '../device/daemon.js';

/** mulberry32: tiny, deterministic, good enough to pick kill moments and burst sizes. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface KioskChild extends Daemon {
  /** SIGKILLs the child (idempotent) and resolves when it is gone. */
  kill(): Promise<void>;
}

/**
 * Starts `esik run` on the config and waits until its admin socket answers. The child is killed
 * after `hardTimeoutMs` whatever happens, so a hung kiosk can never outlive the test.
 */
export async function startKioskChild(configFile: string, socketPath: string, env: NodeJS.ProcessEnv = {}, hardTimeoutMs = 240_000): Promise<KioskChild> {
  const daemon = startDaemon(configFile, env);
  const hardStop = setTimeout(() => daemon.child.kill('SIGKILL'), hardTimeoutMs);
  hardStop.unref();
  void daemon.exited.then(() => clearTimeout(hardStop));
  const kill = async (): Promise<void> => {
    if (daemon.child.exitCode === null && daemon.child.signalCode === null) daemon.child.kill('SIGKILL');
    await daemon.exited;
  };
  try {
    await waitForDaemon(socketPath, daemon, 60_000);
  } catch (error) {
    await kill();
    throw error;
  }
  return { ...daemon, kill };
}

/** Every stored event, in seq order, paged 1000 at a time. */
export async function everyEvent(socketPath: string): Promise<StoredEventView[]> {
  const out: StoredEventView[] = [];
  for (;;) {
    const after = out.at(-1)?.seq ?? 0;
    const page = (await adminRequest(socketPath, 'GET', `/v1/events?after=${after}&limit=1000`)) as { events: StoredEventView[] };
    out.push(...page.events);
    if (page.events.length < 1000) return out;
  }
}

/** Polls `probe` until it returns a value other than undefined, or fails after `deadlineMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, deadlineMs = 20_000, everyMs = 50): Promise<T> {
  const until = Date.now() + deadlineMs;
  let lastError: unknown = null;
  while (Date.now() < until) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolvePromise) => setTimeout(resolvePromise, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${lastError === null ? '' : `: ${lastError instanceof Error ? lastError.message : JSON.stringify(lastError)}`}`);
}

/** The seqs must be exactly 1..N: no gap, no repeat. Returns the offending seqs (empty = fine). */
export function seqProblems(seqs: readonly number[]): string[] {
  const problems: string[] = [];
  seqs.forEach((seq, index) => {
    if (seq !== index + 1) problems.push(`position ${index + 1} holds seq ${seq}`);
  });
  return problems.slice(0, 10);
}
