// The console's canteen forms over HTTP on SQLite and PostgreSQL (migration 16): a cashier's top-up
// form sent three times at once with its one transfer id applies once; its reversal, sent twice,
// applies once; a flag is resolved once (the second answer says already resolved) and the page
// shows it; an unknown child and a bad amount apply nothing. (The pages in Chromium:
// console-canteen-browser.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { personAccount } from '../../hub/canteen/index.js';
import { backends } from './backends.js';
import { ConsoleHarness, PASSWORD, type HarnessCanteen } from './console-harness.js';
import { ConsoleClient } from './console-people-client.js';

describe.each(backends)('console canteen forms: %s', (_name, makeBackend) => {
  const backend = makeBackend();
  let harness: ConsoleHarness;
  let canteen: HarnessCanteen;
  let cashier: ConsoleClient;

  beforeAll(async () => {
    await backend.start();
    harness = await ConsoleHarness.start(backend, { canteen: true });
    canteen = harness.canteen ?? (() => { throw new Error('no canteen'); })();
    await harness.account('cashier', 'canteen');
    cashier = await ConsoleClient.signIn(harness.url, 'cashier', PASSWORD);
  }, 60_000);

  afterAll(async () => {
    await harness?.stop();
    await backend.stop();
  });

  const balance = async (personId: string): Promise<number | null> => (await canteen.ledger.ledger.account(personAccount(personId)))?.balanceTiyn ?? null;

  it('a top-up form sent three times at once applies once; its reversal sent twice applies once', async () => {
    const form = await (await cashier.get('/console/canteen/topup?person=p-4')).text();
    const transferId = /name="transferId" value="([^"]+)"/.exec(form)?.[1] ?? '';
    expect(transferId).toMatch(/^console:/);
    const fields = { transferId, person: 'p-4', amount: '2500', reference: 'R-77' };
    const answers = await Promise.all([1, 2, 3].map(() => cashier.postForm('/console/canteen/topup', fields)));
    expect(answers.map((a) => a.status)).toEqual([303, 303, 303]);
    expect(answers.map((a) => /done=(\w+)/.exec(a.headers.get('location') ?? '')?.[1]).sort()).toEqual(['again', 'again', 'topup']);
    expect(await balance('p-4')).toBe(250_000);
    // The same form sent again with another amount: the first top-up stands, nothing else applied.
    expect((await cashier.postForm('/console/canteen/topup', { ...fields, amount: '9999' })).status).toBe(409);
    expect(await balance('p-4')).toBe(250_000);
    // The form offers the school's pupils by name and class.
    expect(form).toContain('<option value="p-4">Іңкәр Һадиева (6Б)</option>');
    const reversals = await Promise.all([1, 2].map(() => cashier.postForm('/console/canteen/reverse', { transferId, person: 'p-4' })));
    expect(reversals.map((r) => r.status)).toEqual([303, 303]);
    expect(await balance('p-4')).toBe(0);
    expect((await canteen.ledger.ledger.statement(personAccount('p-4'), 0, 10))?.entries.map((e) => e.kind)).toEqual(['top_up', 'correction']);
  });

  it('an unknown child or a bad amount applies nothing', async () => {
    const transferId = 'console:11111111-1111-4111-8111-111111111111';
    const unknown = await cashier.postForm('/console/canteen/topup', { transferId, person: 'p-404', amount: '100', reference: '' });
    expect(unknown.status).toBe(422);
    const bad = await cashier.postForm('/console/canteen/topup', { transferId, person: 'p-5', amount: '-5', reference: '' });
    expect(bad.status).toBe(400);
    expect(await canteen.ledger.ledger.transfer(transferId)).toBeNull();
    expect(await balance('p-5')).toBeNull();
  });

  it('a flag is resolved once, and the page shows it', async () => {
    await canteen.meals.store.driver.write((sql) =>
      sql.query('INSERT INTO canteen_flags (kind, event_id, other_event_id, detail, created_ms) VALUES ($1, $2, $3, $4, $5)', ['double_free_meal', 'till-2:9', 'till-1:9', '{"personId":"p-1"}', Date.now()]),
    );
    const id = (await canteen.meals.store.flags(0, 10))[0]?.id ?? 0;
    const first = await cashier.postForm(`/console/canteen/flags/${id}/resolve`, { note: 'settled' });
    const second = await cashier.postForm(`/console/canteen/flags/${id}/resolve`, { note: 'again' });
    expect([first.headers.get('location'), second.headers.get('location')]).toEqual(['/console/canteen?done=resolved', '/console/canteen?done=already']);
    expect((await canteen.meals.store.flagResolutions(0, id)).get(id)).toMatchObject({ resolvedBy: 'cashier', note: 'settled' });
    expect(await (await cashier.get('/console/canteen')).text()).toMatch(new RegExp(`data-flag="${id}" data-state="resolved"`));
    expect((await cashier.postForm('/console/canteen/flags/999999/resolve', { note: '' })).status).toBe(404);
  });
});
