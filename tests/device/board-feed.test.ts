// The board feed over a real SQLite store and the real kiosk hot path: masking per display
// consent, present/expected/late per class, catch-up by seq, and 'arrival' only after commit.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BoardArrival, BoardCounts } from '../../display/index.js';
import { StoreBoardFeed, maskName, schoolDay } from '../../device/board-feed.js';
import { BoardHarness, OFFSET_MINUTES, pupil, silent, todayAt } from '../display/harness.js';

const PEOPLE = [
  pupil('p1', 'Айгерім Сейтқали', '5Б', { displayConsent: 'short' }),
  pupil('p2', 'Нұрлан Әбенов', '5Б', { displayConsent: 'initials' }),
  pupil('p3', 'Ерлан Жақсыбеков', '5Б', { displayConsent: 'none' }),
  pupil('p4', 'Dana Smith', '6А', { displayConsent: 'full', shortName: 'Dana S.' }),
  pupil('t1', 'Гүлнар Мұратқызы', '6А', { role: 'staff', displayConsent: 'full' }),
  pupil('v1', 'Visitor Person', '6А', { role: 'visitor', displayConsent: 'full' }),
];

function collect(harness: BoardHarness): { arrivals: BoardArrival[]; counts: BoardCounts[] } {
  const seen = { arrivals: [] as BoardArrival[], counts: [] as BoardCounts[] };
  harness.parts.feed.on('arrival', (a: BoardArrival) => seen.arrivals.push(a));
  harness.parts.feed.on('counts', (c: BoardCounts) => seen.counts.push(c));
  return seen;
}

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));

describe('maskName', () => {
  it('shows no more of a name than consent allows', () => {
    const name = 'Айгерім Сейтқали';
    expect(maskName({ name, shortName: null, displayConsent: 'none' })).toBe('');
    expect(maskName({ name, shortName: null, displayConsent: 'initials' })).toBe('А. С.');
    expect(maskName({ name, shortName: null, displayConsent: 'short' })).toBe('Айгерім С.');
    expect(maskName({ name, shortName: 'Айгерім С.', displayConsent: 'short' })).toBe('Айгерім С.');
    expect(maskName({ name, shortName: null, displayConsent: 'full' })).toBe('Айгерім Сейтқали');
  });
});

describe('schoolDay', () => {
  it('cuts days at school-local midnight (UTC+5)', () => {
    const day = schoolDay(Date.UTC(2026, 10, 22, 19, 30), OFFSET_MINUTES); // 00:30 on the 23rd in Almaty
    expect(day.date).toBe('2026-11-23');
    expect(day.startMs).toBe(Date.UTC(2026, 10, 22, 19, 0));
    expect(day.endMs - day.startMs).toBe(86_400_000);
  });
});

describe('StoreBoardFeed on a real store and kiosk', () => {
  let harness: BoardHarness;

  beforeEach(async () => {
    harness = await BoardHarness.start({ people: PEOPLE, bellTime: '08:00' });
  });

  afterEach(async () => {
    await harness.cleanup();
  });

  it('emits a masked arrival only after the event is committed, with nothing private in it', async () => {
    const seen = collect(harness);
    // The check starts at the moment of emission; under a loaded CI the read may answer later
    // than the settle below, so the test awaits the reads rather than a fixed pause.
    const commitChecks: Promise<boolean>[] = [];
    harness.parts.feed.on('arrival', (a: BoardArrival) => {
      commitChecks.push(harness.parts.store.events.since(a.seq - 1, 1).then((events) => events[0]?.seq === a.seq));
    });
    const decision = await harness.present('p1');
    expect(decision?.outcome).toBe('grant');
    await settle();
    expect(seen.arrivals).toHaveLength(1);
    expect(Object.keys(seen.arrivals[0]).sort()).toEqual(['at', 'direction', 'displayName', 'door', 'group', 'late', 'role', 'seq']);
    expect(seen.arrivals[0]).toMatchObject({ displayName: 'Айгерім С.', group: '5Б', direction: 'in', role: 'student', door: 'main', seq: decision?.event?.seq });
    expect(await Promise.all(commitChecks)).toEqual([true]);
  });

  it('masks per consent and per role (visitors unnamed by default)', async () => {
    const seen = collect(harness);
    for (const id of ['p2', 'p3', 'p4', 't1', 'v1']) await harness.present(id);
    await settle();
    expect(seen.arrivals.map((a) => a.displayName)).toEqual(['Н. Ә.', '', 'Dana Smith', 'Гүлнар Мұратқызы', '']);
  });

  it('does not emit denied presentations', async () => {
    const seen = collect(harness);
    const decision = await harness.parts.kiosk.submit({ kind: 'card', readerId: 'r', monoMs: 0, value: 'DEADBEEF' }, 'main', 'in');
    expect(decision?.outcome).toBe('deny');
    await settle();
    expect(seen.arrivals).toEqual([]);
  });

  it('counts present, expected and late per class; exits lower present', async () => {
    const seen = collect(harness);
    await harness.present('p1', 'in', todayAt('07:50'));
    await harness.present('p2', 'in', todayAt('08:05'));
    await harness.present('p2', 'out', todayAt('08:30'));
    await harness.present('p2', 'in', todayAt('08:40'));
    await harness.present('p3', 'in', todayAt('08:01'));
    await harness.present('p3', 'out', todayAt('09:00'));
    await settle();
    expect(seen.arrivals.map((a) => [a.displayName, a.direction, a.late])).toEqual([
      ['Айгерім С.', 'in', false],
      ['Н. Ә.', 'in', true],
      ['Н. Ә.', 'out', false],
      ['Н. Ә.', 'in', false], // late is marked on the first entry only
      ['', 'in', true],
      ['', 'out', false],
    ]);
    expect(seen.counts.at(-1)).toEqual({ seq: seen.arrivals.at(-1)!.seq, groups: [{ group: '5Б', expected: 3, present: 2, late: 2 }] });
    const snapshot = await harness.parts.feed.snapshot();
    expect(snapshot.groups).toEqual([
      { group: '5Б', expected: 3, present: 2, late: 2 },
      { group: '6А', expected: 1, present: 0, late: 0 },
    ]);
    expect(snapshot.date).toBe(schoolDay(Date.now(), OFFSET_MINUTES).date);
  });

  it('snapshot(afterSeq) returns only what the client missed; counts cover the day', async () => {
    await harness.present('p1');
    const second = await harness.present('p2');
    await harness.present('p4');
    const all = await harness.parts.feed.snapshot();
    expect(all.arrivals).toHaveLength(3);
    const missed = await harness.parts.feed.snapshot(second!.event!.seq);
    expect(missed.arrivals.map((a) => a.displayName)).toEqual(['Dana Smith']);
    expect(missed.lastSeq).toBe(all.lastSeq);
    expect(missed.groups.find((g) => g.group === '5Б')?.present).toBe(2);
  });

  it('after a restart, live counts continue from what SQLite holds', async () => {
    await harness.present('p1');
    await harness.present('p2');
    await harness.restart();
    const seen = collect(harness);
    await harness.present('p3');
    await settle();
    expect(seen.counts.at(-1)?.groups).toEqual([{ group: '5Б', expected: 3, present: 3, late: seen.counts.at(-1)!.groups[0].late }]);
  });

  it('an erased person disappears from the board', async () => {
    await harness.present('p4');
    await harness.parts.store.roster.applyLocal([{ op: 'delete', type: 'person', id: 'p4' }]);
    harness.parts.roster.applyChanges([{ op: 'delete', type: 'person', id: 'p4' }], ['p4']);
    const snapshot = await harness.parts.feed.snapshot();
    expect(snapshot.arrivals).toEqual([]);
  });

  it('shares one store read among snapshots asked in the same turn, never a read begun before the ask', async () => {
    await harness.present('p1');
    const { store, roster } = harness.parts;
    let reads = 0;
    const events = {
      between: (...args: Parameters<typeof store.events.between>) => {
        reads += 1;
        return store.events.between(...args);
      },
    };
    const feed = new StoreBoardFeed({ events, roster, clock: harness.clock, logger: silent, bellTime: '08:00' });
    const together = await Promise.all(Array.from({ length: 20 }, () => feed.snapshot()));
    expect(reads).toBe(1);
    expect(new Set(together.map((s) => JSON.stringify(s))).size).toBe(1);
    const early = feed.snapshot();
    await new Promise((resolve) => setImmediate(resolve));
    const later = await harness.present('p2');
    const late = await feed.snapshot();
    expect((await early).arrivals.map((a) => a.seq)).not.toContain(later!.event!.seq);
    expect(late.arrivals.map((a) => a.seq)).toContain(later!.event!.seq);
    expect(reads).toBe(3);
  });

  it('passages recorded before the clock was set (1970 on a Pi without RTC) move to today once it is set', async () => {
    const { store, roster, kiosk } = harness.parts;
    const clock = { unsetWallMs: Date.UTC(1970, 0, 1, 4, 0) as number | null, wallMs: () => clock.unsetWallMs ?? Date.now(), monoMs: () => performance.now(), utcOffsetMinutes: () => OFFSET_MINUTES };
    const feed = new StoreBoardFeed({ events: store.events, roster, clock, logger: silent, bellTime: '08:00' });
    const arrivals: BoardArrival[] = [];
    const counts: BoardCounts[] = [];
    feed.on('arrival', (a: BoardArrival) => arrivals.push(a));
    feed.on('counts', (c: BoardCounts) => counts.push(c));
    feed.attach(kiosk);
    await feed.start();
    try {
      const early = await harness.present('p1', 'in', clock.unsetWallMs!);
      await settle();
      expect(early?.event?.wallMs).toBeLessThan(Date.UTC(2024, 0, 1));
      expect(arrivals.map((a) => a.at.slice(0, 4))).toEqual(['1970']);

      clock.unsetWallMs = null; // NTP sets the clock
      const today = schoolDay(Date.now(), OFFSET_MINUTES).date;
      await harness.present('p2', 'in');
      await settle();
      expect(arrivals.map((a) => a.at.slice(0, 10))).toEqual(['1970-01-01', today]);
      // The new day's counts include the passage from before the clock was set.
      expect(counts.at(-1)?.groups).toEqual([{ group: '5Б', expected: 3, present: 2, late: expect.any(Number) }]);
      const snapshot = await feed.snapshot();
      expect(snapshot.date).toBe(today);
      expect(snapshot.arrivals.map((a) => [a.seq, a.at.slice(0, 10)])).toEqual([
        [early!.event!.seq, today],
        [early!.event!.seq + 1, today],
      ]);
      // Placed by the monotonic clock: a moment before the second passage, not at the time the clock read.
      const placedMs = Date.parse(snapshot.arrivals[0].at);
      expect(Date.now() - placedMs).toBeLessThan(60_000);
    } finally {
      feed.stop();
    }
  });
});
