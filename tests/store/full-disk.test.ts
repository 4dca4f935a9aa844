import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreFullError } from '../../sync/store/index.js';
import { type TempStore, grant, tempStore } from './helpers.js';

let t: TempStore;
beforeEach(async () => { t = await tempStore(); });
afterEach(async () => { await t.cleanup(); });

describe('full disk (max_page_count)', () => {
  it('rejects a whole failing group with StoreFullError, consumes no seq, and resumes when space returns', async () => {
    const store = await t.open();
    const pages = await store.setMaxPageCount(1); // clamps to the current size: nothing can grow
    expect(pages).toBeGreaterThan(1);
    let committed = 0;
    let full: unknown = null;
    for (let i = 0; i < 2_000 && full === null; i++) {
      const burst = await Promise.allSettled(
        Array.from({ length: 5 }, (_, k) => store.events.append({ ...grant(`p-${i}-${k}`), data: { pad: 'x'.repeat(400) } })),
      );
      for (const result of burst) {
        if (result.status === 'fulfilled') committed += 1;
        else full = result.reason;
      }
    }
    expect(full).toBeInstanceOf(StoreFullError);
    expect(store.events.lastSeq()).toBe(committed);
    await expect(store.events.append({ ...grant('still-full'), data: { pad: 'z'.repeat(8000) } })).rejects.toBeInstanceOf(StoreFullError);
    expect((await store.checkIntegrity()).ok).toBe(true);

    await store.setMaxPageCount(1_000_000);
    const resumed = await store.events.append(grant('after'));
    expect(resumed.seq).toBe(committed + 1);
    const seqs = (await store.events.since(0, 100_000)).map((e) => e.seq);
    expect(seqs).toEqual(Array.from({ length: committed + 1 }, (_, i) => i + 1));
    await store.close();

    const reopened = await t.open();
    expect((await reopened.checkIntegrity()).ok).toBe(true);
    expect(reopened.events.lastSeq()).toBe(committed + 1);
    await reopened.close();
  });

  it('opens with a small maxPageCount and reports full on the first write that needs space', async () => {
    const store = await t.open();
    await store.close();
    const small = await t.open({ maxPageCount: 1 });
    const results = await Promise.allSettled(Array.from({ length: 400 }, (_, i) => small.events.append({ ...grant(`p-${i}`), data: { pad: 'y'.repeat(1000) } })));
    const rejected = results.filter((r) => r.status === 'rejected');
    expect(rejected.length).toBeGreaterThan(0);
    for (const r of rejected) expect((r).reason).toBeInstanceOf(StoreFullError);
    const fulfilled = results.filter((r) => r.status === 'fulfilled').length;
    expect(small.events.lastSeq()).toBe(fulfilled);
    expect((await small.checkIntegrity()).ok).toBe(true);
    await small.close();
  });
});
