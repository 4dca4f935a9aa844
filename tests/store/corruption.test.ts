import { open, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreCorruptError, UNCERTAIN_SEQ_MARGIN, recoverCorruptStore } from '../../sync/store/index.js';
import { type TempStore, grant, silentLogger, tempStore } from './helpers.js';

let t: TempStore;
beforeEach(async () => { t = await tempStore(); });
afterEach(async () => { await t.cleanup(); });

const marker = (i: number): string => `EVT-${String(i).padStart(6, '0')}-payload`;

/** 300 events, the first 100 synced; returns the ids of the unsent ones. */
async function populate(): Promise<Map<number, string>> {
  const store = await t.open();
  const ids = new Map<number, string>();
  for (let i = 1; i <= 300; i++) {
    const e = await store.events.append({ ...grant(`p-${i}`), data: { marker: marker(i), pad: 'x'.repeat(300) } });
    ids.set(e.seq, e.id);
  }
  await store.outbox.markSynced([...ids.entries()].filter(([seq]) => seq <= 100).map(([, id]) => id));
  await store.close(); // last connection: checkpoints everything into the main file
  return new Map([...ids.entries()].filter(([seq]) => seq > 100));
}

async function smashPageContaining(file: string, needle: string): Promise<void> {
  const bytes = await readFile(file);
  const at = bytes.indexOf(Buffer.from(needle));
  expect(at).toBeGreaterThan(0);
  const page = Math.floor(at / 4096);
  const handle = await open(file, 'r+');
  await handle.write(Buffer.alloc(4096 - 100, 0xa5), 0, 4096 - 100, page * 4096 + 100); // deterministic garbage
  await handle.close();
}

const quarantine = (): string => join(dirname(t.path), 'quarantine');
const recoverOpts = (): Parameters<typeof recoverCorruptStore>[0] => ({
  path: t.path, deviceId: 'dev-1', bootId: 'boot-2', clock: t.clock, cipher: t.cipher, logger: silentLogger,
});

describe('damaged database', () => {
  it('refuses a file that is not a database, and recovery quarantines it and starts fresh', async () => {
    await writeFile(t.path, randomBytes(64 * 1024));
    await expect(t.open()).rejects.toBeInstanceOf(StoreCorruptError);
    const { store, report } = await recoverCorruptStore(recoverOpts(), quarantine());
    expect(report.salvagedEvents).toBe(0);
    expect((await stat(report.quarantinedAs)).size).toBe(64 * 1024);
    // Nothing could be read, so seq jumps by the safety margin rather than risk reusing one.
    expect(report.highWaterCertain).toBe(false);
    expect((await store.events.append(grant('p-1'))).seq).toBe(UNCERTAIN_SEQ_MARGIN + 1);
    await store.close();
  });

  it('salvages every readable unsent event from garbage pages, and seq continues above the old high-water mark', async () => {
    const unsent = await populate();
    await smashPageContaining(t.path, marker(200));
    await expect(t.open()).rejects.toBeInstanceOf(StoreCorruptError);
    const { store, report } = await recoverCorruptStore(recoverOpts(), quarantine());
    expect(report.highWaterSeq).toBe(300);
    // SQLite cannot always tell a smashed leaf from a missing row: the loss shows as a gap or an error.
    const lost = [...report.gaps, ...report.unreadableRanges];
    expect(lost.some(([from, to]) => from <= 200 && 200 <= to)).toBe(true);
    const lostCount = lost.reduce((n, [from, to]) => n + to - from + 1, 0);
    expect(lostCount).toBeLessThan(30);
    const kept = await store.events.since(0, 1000);
    expect(kept.length).toBe(report.salvagedEvents);
    expect(kept.length).toBe(200 - lostCount);
    for (const e of kept) expect(unsent.get(e.seq)).toBe(e.id); // same id and seq, nothing synced came back
    expect((await store.outbox.backlog()).pending).toBe(kept.length);
    expect((await store.events.append(grant('after'))).seq).toBe(301);
    expect((await store.checkIntegrity()).ok).toBe(true);
    await store.close();
    const reopened = await t.open({ bootId: 'boot-3' });
    expect(reopened.events.lastSeq()).toBe(301);
    await reopened.close();
  });

  it('handles a truncated file: refused at open, recovered without reusing a seq', async () => {
    await populate();
    const size = (await stat(t.path)).size;
    await truncate(t.path, Math.floor(size / 2 / 4096) * 4096);
    await expect(t.open()).rejects.toBeInstanceOf(StoreCorruptError);
    const { store, report } = await recoverCorruptStore(recoverOpts(), quarantine());
    const next = await store.events.append(grant('after'));
    // The tail is gone: seq continues above the 300 issued before, never reusing one.
    expect(report.highWaterSeq).toBeGreaterThanOrEqual(300);
    expect(next.seq).toBe(report.highWaterSeq + 1);
    for (const e of await store.events.since(0, 1000)) expect(e.seq).toBeGreaterThan(100); // only unsent came back
    expect((await store.checkIntegrity()).ok).toBe(true);
    await store.close();
  });
});
