// People in the console against a real hub on SQLite and PostgreSQL: a class list with bad rows
// imports nothing and names each bad line; with "skip" the good rows land in the roster the kiosks
// pull (names and classes only: no ИИН, no phone leaves for a kiosk), guardians as roster people;
// a second import of the same file changes no id; a pupil is created, edited, blocked and unblocked
// through the roster; a class teacher reads only their class (no ИИН) and may change nothing; a
// technician gets 403 and no name. Every action is in the audit log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleStoreFor, PeopleService, peopleStoreFor } from '../../hub/console/index.js';
import { makeIin } from '../../hub/console/iin.js';
import type { WireRosterChange } from '../../protocol/index.js';
import { sampleClassList } from '../../scripts/class-list-sample.js';
import { backends, type StorageBackend } from './backends.js';
import { ConsoleHarness, PASSWORD } from './console-harness.js';
import { ConsoleClient } from './console-people-client.js';

type PersonChange = Extract<WireRosterChange, { op: 'upsert'; type: 'person' }>;

async function rosterPeople(harness: ConsoleHarness): Promise<PersonChange['data'][]> {
  const page = await harness.storage.rosterPage(null, 100_000, true);
  return (page?.changes ?? []).filter((c): c is PersonChange => c.op === 'upsert' && c.type === 'person').map((c) => c.data);
}

describe.each(backends)('console people on %s', (_name, makeBackend) => {
  let backend: StorageBackend;
  let harness: ConsoleHarness;
  let director: ConsoleClient;
  const sample = sampleClassList(60, [3, 30, 59]);

  beforeAll(async () => {
    backend = makeBackend();
    await backend.start();
    harness = await ConsoleHarness.start(backend);
    await harness.account('director', 'director');
    await harness.account('teacher1a', 'class_teacher', '1А');
    await harness.account('tech', 'technician');
    director = await ConsoleClient.signIn(harness.url, 'director', PASSWORD);
  }, 120_000);

  afterAll(async () => {
    await harness?.stop();
    await backend?.stop();
  });

  it('refuses a file with bad rows whole, naming each line; with skip imports the rest into the kiosks\' roster', async () => {
    const before = (await rosterPeople(harness)).length;
    const refused = await director.upload(sample.csv, false);
    expect(refused.status).toBe(422);
    const html = await refused.text();
    expect([...html.matchAll(/<tr data-line="(\d+)">/g)].map((m) => Number(m[1]))).toEqual([5, 32, 61]);
    expect(html).toContain('ЖСН: бақылау цифры қате');
    expect((await rosterPeople(harness)).length).toBe(before);

    const done = await director.upload(sample.csv, true);
    expect(done.status).toBe(200);
    expect(await done.text()).toMatch(/data-imported="57" data-skipped="3"/);
    const people = await rosterPeople(harness);
    const imported = sample.good.map((g) => people.find((p) => p.role === 'student' && p.name.startsWith(`${g.surname} ${g.name}`) && p.group === g.group));
    expect(imported.every(Boolean)).toBe(true);
    expect(people.filter((p) => p.role === 'student')).toHaveLength(57 + 5); // and the harness's five
    expect(people.filter((p) => p.role === 'guardian')).toHaveLength(57 * 2);
    // What the kiosks pull carries no ИИН and no phone.
    const wire = JSON.stringify(await harness.storage.rosterPage(0, 100_000, false));
    for (const g of sample.good) expect(wire.includes(g.iin)).toBe(false);
    expect(wire).not.toMatch(/\+7\d{10}/);

    // The same file again: the same people (by ИИН and phone), no new ids.
    const ids = new Set(people.map((p) => p.id));
    expect((await director.upload(sample.csv, true)).status).toBe(200);
    expect(new Set((await rosterPeople(harness)).map((p) => p.id))).toEqual(ids);
  });

  it('refuses a file over 2 MB (413) and one that is not UTF-8 (400), importing nothing', async () => {
    const before = (await rosterPeople(harness)).length;
    const big = `${sample.csv}${'x'.repeat(2 * 1024 * 1024)}`;
    expect((await director.upload(big, true)).status).toBe(413);
    const form = new FormData();
    form.set('_csrf', await director.csrf());
    form.set('file', new Blob([Buffer.from([0xc8, 0xc8, 0xcd, 0x3b, 0xd4, 0x0a])], { type: 'text/csv' }), 'cp1251.csv');
    const cp1251 = await fetch(`${harness.url}/console/people/import`, { method: 'POST', headers: { cookie: director.cookie, origin: harness.url }, body: form });
    expect(cp1251.status).toBe(400);
    expect(await cp1251.text()).toContain('UTF-8');
    expect((await rosterPeople(harness)).length).toBe(before);
  });

  it('creates, edits, blocks and unblocks a pupil through the roster', async () => {
    const iin = makeIin('2015-03-08', 'female', 77) ?? '';
    const created = await director.postForm('/console/people', { iin, surname: 'Сейітқали', name: 'Аружан', patronymic: '', group: '4 б' });
    expect(created.status).toBe(303);
    expect(created.headers.get('location')).toBe(`/console/people/classes/${encodeURIComponent('4Б')}?saved=1`);
    const person = (await rosterPeople(harness)).find((p) => p.name === 'Сейітқали Аружан');
    expect(person).toMatchObject({ group: '4Б', role: 'student', status: 'active', shortName: 'Аружан С.' });
    const id = person?.id ?? '';
    expect((await director.postForm('/console/people', { iin, surname: 'Другой', name: 'Человек', group: '4Б' })).status).toBe(400);
    expect((await director.postForm(`/console/people/${id}`, { iin, surname: 'Сейітқали', name: 'Аружан', patronymic: 'Ерланқызы', group: '5А' })).status).toBe(303);
    expect((await harness.storage.rosterEntity('person', id))).toMatchObject({ data: { name: 'Сейітқали Аружан Ерланқызы', group: '5А' } });
    expect((await director.postForm(`/console/people/${id}/block`, {})).status).toBe(303);
    expect((await harness.storage.rosterEntity('person', id))).toMatchObject({ data: { status: 'blocked' } });
    const list = await (await director.get(`/console/people/classes/${encodeURIComponent('5А')}`)).text();
    expect(list).toContain(`data-person="${id}" data-status="blocked"`);
    expect(list).toContain(iin);
    expect((await director.postForm(`/console/people/${id}/unblock`, {})).status).toBe(303);
    expect((await harness.storage.rosterEntity('person', id))).toMatchObject({ data: { status: 'active' } });
    const bad = await director.postForm('/console/people', { iin: '950230300036', surname: 'X', name: 'Y', group: '5А' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('ЖСН: ондағы туған күн шын күн емес');
  });

  it('lets a class teacher read only their own class, without ИИН, and change nothing; a technician nothing', async () => {
    const teacher = await ConsoleClient.signIn(harness.url, 'teacher1a', PASSWORD);
    const own = await teacher.get(`/console/people/classes/${encodeURIComponent('1А')}`);
    expect(own.status).toBe(200);
    const html = await own.text();
    const firstOf1A = sample.good.find((g) => g.group === '1А');
    expect(html).toContain(firstOf1A?.surname ?? 'missing');
    for (const g of sample.good) expect(html.includes(g.iin)).toBe(false);
    expect((await teacher.get(`/console/people/classes/${encodeURIComponent('2А')}`)).status).toBe(403);
    expect((await teacher.get('/console/people')).headers.get('location')).toBe(`/console/people/classes/${encodeURIComponent('1А')}`);
    expect((await teacher.upload(sample.csv, true)).status).toBe(403);
    expect((await teacher.postForm('/console/people', { iin: makeIin('2015-03-09', 'male', 1) ?? '', surname: 'A', name: 'B', group: '1А' })).status).toBe(403);

    const tech = await ConsoleClient.signIn(harness.url, 'tech', PASSWORD);
    for (const path of ['/console/people', `/console/people/classes/${encodeURIComponent('1А')}`, '/console/people/import']) {
      const response = await tech.get(path);
      expect(response.status, path).toBe(403);
      const body = await response.text();
      for (const g of sample.good) expect(body.includes(g.surname), `${g.surname} on ${path}`).toBe(false);
    }
    expect((await tech.upload(sample.csv, true)).status).toBe(403);
  });

  it('erases a pupil: ИИН and guardians\' phones gone from the hub, the pupil and their only guardians deleted from the roster', async () => {
    const store = await peopleStoreFor(harness.storage);
    const people = new PeopleService(harness.storage, store);
    const target = sample.good[10];
    if (!target) throw new Error('sample too small');
    const id = (await store.idsByIin([target.iin])).get(target.iin) ?? '';
    const guardians = (await store.guardiansOf([id])).get(id) ?? [];
    expect(guardians).toHaveLength(2);
    await people.erase(id);
    expect((await store.idsByIin([target.iin])).size).toBe(0);
    expect(await store.guardianIdsByPhone(guardians.map((g) => g.phone))).toEqual(new Map());
    for (const personId of [id, ...guardians.map((g) => g.id)]) expect(await harness.storage.rosterEntity('person', personId)).toMatchObject({ op: 'delete' });
    const wire = JSON.stringify(await harness.storage.rosterPage(0, 100_000, false));
    expect(wire.includes(target.surname)).toBe(false);
  });

  it('records each import, refusal and change in the audit log', async () => {
    const store = await consoleStoreFor(harness.storage);
    const actionsOf = async (username: string): Promise<string[]> => (await store.auditOf(harness.accounts.get(username)?.id ?? '', 0, Date.now() + 1, 10_000)).map((r) => r.action);
    const actions = await actionsOf('director');
    expect(actions).toEqual(expect.arrayContaining(['people.import.refused', 'people.import', 'person.create', 'person.create.refused', 'person.edit', 'person.block', 'person.unblock', 'view.people']));
    expect((await actionsOf('teacher1a')).filter((a) => a === 'denied').length).toBeGreaterThanOrEqual(3);
  });
});
