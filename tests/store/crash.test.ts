import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFieldCipher, openStore } from '../../sync/store/index.js';
import { ManualClock, silentLogger } from './helpers.js';

let dir: string;
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'esik-crash-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

const CHILD = join(import.meta.dirname, 'children', 'append-loop.ts');

/** Runs the child until it reported `after` more durable appends, then SIGKILLs it. */
function runAndKill(path: string, bootId: string, after: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    // node itself (not the tsx wrapper), so SIGKILL hits the process that holds the database.
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, path, bootId], { stdio: ['ignore', 'pipe', 'inherit'] });
    const reported: number[] = [];
    let buffer = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) if (/^\d+$/.test(line)) reported.push(Number(line));
      if (reported.length >= after && child.exitCode === null) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('exit', () => resolve(reported));
  });
}

describe('kill -9 during append bursts', () => {
  it('keeps every append reported durable, and seq stays gapless and unrepeated across restarts', async () => {
    const path = join(dir, 'esik.db');
    const reported: number[] = [];
    for (let round = 0; round < 3; round++) {
      reported.push(...(await runAndKill(path, `boot-${round}`, 150 + round * 37)));
    }
    const store = await openStore({ path, deviceId: 'dev-crash', bootId: 'check', clock: new ManualClock(), logger: silentLogger, cipher: createFieldCipher(Buffer.alloc(32, 1), 'k-crash') });
    const events = await store.events.since(0, 1_000_000);
    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    const stored = new Set(seqs);
    for (const seq of reported) expect(stored.has(seq)).toBe(true);
    expect(new Set(reported).size).toBe(reported.length); // never reported twice
    expect(new Set(events.map((e) => e.bootId))).toEqual(new Set(['boot-0', 'boot-1', 'boot-2']));
    expect((await store.checkIntegrity()).ok).toBe(true);
    await store.close();
  });
});
