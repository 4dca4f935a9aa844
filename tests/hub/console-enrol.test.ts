// Photo enrolment from the console reaches a kiosk, which then admits that face (issue 17, must
// show). A real hub on SQLite with its console (ConsoleHarness) and a real kiosk process (`esik
// run`, simulated door, WASM face engine) syncing from it every second. In headless Chromium a
// director uploads 3 LFW photos of one person through the page's file input (read from
// ../shared/data, never copied into the project); the page reports 3 accepted, the audit has the
// enrolment, the kiosk's next pull carries 3 templates of the hub's face algo, and a 4th, different
// photo of that person presented at the kiosk (POST /v1/simulate/face) is granted as that person
// while another LFW person's photo is denied. Also: a photo with no face is refused with its reason
// (in Kazakh and English) and stores nothing; a person without biometric consent is refused before
// any photo is looked at; a technician and another class's teacher get 403, the own class's
// teacher the page; a second upload while one is computed gets 429. The hub's database files, the
// kiosk's state and every temp file of both (TMPDIR points at a folder of this test's own) hold no
// image signature and no run of the enrolled photos' bytes.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FACE_ALGO } from '../../biometric/index.js';
import { adminRequest } from '../../device/admin/index.js';
import { consoleStoreFor } from '../../hub/console/index.js';
import type { WireRosterChange } from '../../protocol/index.js';
import { launchChromium, type LaunchedChromium } from '../../scripts/chromium.js';
import { safeWriteFile } from '../../lib/index.js';
import { daemonDir, repoRoot, type DaemonDir } from '../device/daemon.js';
import { startKioskChild, waitFor, type KioskChild } from '../fault/helpers.js';
import { IMAGE_SIGNATURES, scanFiles, type Needle } from '../helpers/file-scan.js';
import { backends, person } from './backends.js';
import { ConsoleHarness, PASSWORD } from './console-harness.js';
import { ConsoleClient } from './console-people-client.js';

const ARTIFACTS = resolve(repoRoot, 'artifacts/console');
const DEVICE_TOKEN = 'device-token-for-console-tests';
const LFW = join(process.env.ESIK_DATA_DIR ?? resolve(repoRoot, '../shared/data'), 'lfw', 'images');
const lfw = (who: string, n: number): string => join(LFW, who, `${who}_${String(n).padStart(4, '0')}.jpg`);
/** Enrolled through the page; the kiosk then sees a photo it was never given, and a stranger. */
const ENROL = [1, 2, 3].map((n) => lfw('Colin_Powell', n));
const PROBE = lfw('Colin_Powell', 5);
const STRANGER = lfw('Tony_Blair', 2);
const SUBJECT = { id: 'p-lfw', name: 'Колин Пауэлл', group: '5А' };
const NO_CONSENT = { id: 'p-noconsent', name: 'Нұрлан Келісімсіз', group: '5А' };
const SPARE = { id: 'p-spare', name: 'Айгүл Қосымша', group: '6Б' };

interface FaceResult {
  result: string;
  personId: string | null;
  reason: string | null;
}

/** What the kiosk's next pull over the device API carries from `since` (as sync/ asks for it). */
async function pull(url: string, since: string | null): Promise<{ changes: WireRosterChange[]; cursor: string }> {
  const response = await fetch(`${url}/v1/devices/kiosk-1/roster${since === null ? '' : `?since=${since}`}`, { headers: { authorization: `Bearer ${DEVICE_TOKEN}` } });
  expect(response.status).toBe(200);
  const page = (await response.json()) as { changes: WireRosterChange[]; cursor: string; more: boolean };
  expect(page.more).toBe(false);
  return page;
}

function uploadForm(csrf: string, photos: ReadonlyArray<{ name: string; bytes: Buffer }>): FormData {
  const form = new FormData();
  form.set('_csrf', csrf);
  for (const p of photos) form.append('photos', new Blob([new Uint8Array(p.bytes)], { type: 'image/jpeg' }), p.name);
  return form;
}

async function postPhotos(client: ConsoleClient, personId: string, photos: ReadonlyArray<{ name: string; bytes: Buffer }>, lang = 'en'): Promise<Response> {
  const csrf = await client.csrf();
  return fetch(`${client.url}/console/people/${personId}/photos`, { method: 'POST', redirect: 'manual', headers: { cookie: `${client.cookie}; esik_lang=${lang}`, origin: client.url }, body: uploadForm(csrf, photos) });
}

describe('console photo enrolment reaching a real kiosk (hub on SQLite)', () => {
  const backend = backends[0][1]();
  let harness: ConsoleHarness;
  let kioskDir: DaemonDir;
  let kiosk: KioskChild;
  let browser: LaunchedChromium;
  let page: Page;
  let director: ConsoleClient;
  let ownTmp: string;
  const previousTmp = process.env.TMPDIR;

  /** 32-byte runs from inside each enrolled photo's compressed data: unique to that file. */
  async function photoNeedles(): Promise<Needle[]> {
    const needles: Needle[] = [...IMAGE_SIGNATURES];
    for (const file of ENROL) {
      const bytes = await readFile(file);
      for (const at of [0.25, 0.5, 0.75].map((f) => Math.floor(bytes.length * f))) needles.push({ what: `bytes of ${file} @${at}`, bytes: bytes.subarray(at, at + 32) });
    }
    return needles;
  }

  const present = (file: string): Promise<FaceResult> =>
    readFile(file).then((image) => adminRequest(kioskDir.socketPath, 'POST', '/v1/simulate/face', { actor: 'enrol-test', image: image.toString('base64') }, 120_000) as Promise<FaceResult>);

  beforeAll(async () => {
    // The hub's SQLite files, the kiosk's folder and any temp file either writes land in here.
    ownTmp = await mkdtemp(join(tmpdir(), 'esik-enrol-'));
    process.env.TMPDIR = ownTmp;
    await backend.start();
    harness = await ConsoleHarness.start(backend);
    await harness.storage.applyRoster([
      person(SUBJECT.id, { name: SUBJECT.name, group: SUBJECT.group }),
      person(NO_CONSENT.id, { name: NO_CONSENT.name, group: NO_CONSENT.group, biometricConsent: false }),
      person(SPARE.id, { name: SPARE.name, group: SPARE.group }),
      { op: 'upsert', type: 'schedule', data: { id: 's-all', groups: ['5А', '6Б'], roles: ['student'], weekly: [{ days: [1, 2, 3, 4, 5, 6, 7], from: '00:00', to: '23:59' }], doors: [] } },
    ]);
    await harness.account('director', 'director');
    await harness.account('teacher5a', 'class_teacher', '5А');
    await harness.account('teacher6b', 'class_teacher', '6Б');
    await harness.account('tech', 'technician');
    director = await ConsoleClient.signIn(harness.url, 'director', PASSWORD);
    kioskDir = await daemonDir({});
    const tokenFile = join(kioskDir.dir, 'device.token');
    await writeFile(tokenFile, `${DEVICE_TOKEN}\n`, { mode: 0o600 });
    // No seed roster: the kiosk knows the school only through the hub. The face policy is the
    // kiosk's shipped default (DEFAULT_FACE_POLICY), not one loosened for this test.
    await writeFile(kioskDir.configFile, JSON.stringify({
      ...(JSON.parse(await readFile(kioskDir.configFile, 'utf8')) as Record<string, unknown>),
      device: { id: 'kiosk-1', stateDir: join(kioskDir.dir, 'state') },
      sync: { url: harness.url, tokenFile, intervalMs: 1000 },
      biometric: { backend: 'wasm' },
    }));
    kiosk = await startKioskChild(kioskDir.configFile, kioskDir.socketPath);
    browser = await launchChromium({ width: 1280, height: 900 });
    page = await browser.context.newPage();
    await page.goto(`${harness.url}/console/login`);
    await page.fill('input[name=username]', 'director');
    await page.fill('input[name=password]', PASSWORD);
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    await page.click('a[lang=en]');
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await kiosk?.kill();
    await harness?.stop();
    await backend.stop();
    await kioskDir?.cleanup();
    if (previousTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previousTmp;
    await rm(ownTmp, { recursive: true, force: true });
  });

  it('lets the director and the own class\'s teacher open the page; a technician and another class\'s teacher get 403', async () => {
    expect((await director.get(`/console/people/${SUBJECT.id}/photos`)).status).toBe(200);
    const own = await ConsoleClient.signIn(harness.url, 'teacher5a', PASSWORD);
    expect((await own.get(`/console/people/${SUBJECT.id}/photos`)).status).toBe(200);
    // The class's people page links each pupil's photo page for whoever may enrol them.
    const link = `href="/console/people/${SUBJECT.id}/photos"`;
    expect(await (await own.get(`/console/people/classes/${encodeURIComponent(SUBJECT.group)}`)).text()).toContain(link);
    expect(await (await director.get(`/console/people/classes/${encodeURIComponent(SUBJECT.group)}`)).text()).toContain(link);
    const other = await ConsoleClient.signIn(harness.url, 'teacher6b', PASSWORD);
    expect((await other.get(`/console/people/${SUBJECT.id}/photos`)).status).toBe(403);
    const tech = await ConsoleClient.signIn(harness.url, 'tech', PASSWORD);
    const techPage = await tech.get(`/console/people/${SUBJECT.id}/photos`);
    expect(techPage.status).toBe(403);
    expect(await techPage.text()).not.toContain(SUBJECT.name);
    // Refused before the upload is read: the technician's POST stores nothing either.
    const before = await pull(harness.url, null);
    const refused = await fetch(`${harness.url}/console/people/${SUBJECT.id}/photos`, { method: 'POST', headers: { cookie: tech.cookie, origin: harness.url }, body: uploadForm('x', [{ name: 'a.jpg', bytes: await readFile(ENROL[0]) }]) });
    expect(refused.status).toBe(403);
    expect((await pull(harness.url, before.cursor)).changes).toEqual([]);
  });

  it('refuses a person without biometric consent and a photo with no face, storing nothing', async () => {
    const before = await pull(harness.url, null);
    const noConsent = await postPhotos(director, NO_CONSENT.id, [{ name: 'a.jpg', bytes: await readFile(ENROL[0]) }]);
    expect(noConsent.status).toBe(403);
    expect(await noConsent.text()).toMatch(/id="enrol-refused" data-reason="no_consent">There is no biometric consent/);
    // The page itself offers no form for them.
    expect(await (await director.get(`/console/people/${NO_CONSENT.id}/photos`)).text()).not.toContain('photos-form');

    const noise = await sharp({ create: { width: 320, height: 240, channels: 3, background: { r: 90, g: 140, b: 200 } } }).jpeg().toBuffer();
    for (const [lang, text] of [['en', 'no face found'], ['kk', 'бет табылмады']] as const) {
      const response = await postPhotos(director, SUBJECT.id, [{ name: 'sky.jpg', bytes: noise }], lang);
      expect(response.status).toBe(422);
      const html = await response.text();
      expect(html).toContain('data-enrolled="0"');
      expect(html).toContain(`<li data-photo="1" data-ok="false" data-reason="no_face">`);
      expect(html).toContain(text);
    }
    // A file that is no image at all, beside the faceless one: each photo gets its own reason.
    const both = await postPhotos(director, SUBJECT.id, [{ name: 'sky.jpg', bytes: noise }, { name: 'notes.jpg', bytes: Buffer.from('not a photo at all, just text') }]);
    expect(both.status).toBe(422);
    const reasons = [...(await both.text()).matchAll(/data-ok="false" data-reason="([a-z_]+)"/g)].map((m) => m[1]);
    expect(reasons).toEqual(['no_face', 'not_an_image']);
    // Over 4 MB is refused whole (413) by the multipart limit.
    expect((await postPhotos(director, SUBJECT.id, [{ name: 'big.jpg', bytes: Buffer.alloc(4 * 1024 * 1024 + 1, 0xff) }])).status).toBe(413);
    expect((await pull(harness.url, before.cursor)).changes).toEqual([]);
  }, 120_000);

  it('enrols 3 photos in Chromium; the kiosk syncs and admits a 4th photo of that person, and not a stranger', async () => {
    const before = await pull(harness.url, null);
    await page.goto(`${harness.url}/console/people/${SUBJECT.id}/photos`);
    // Playwright reads the files from the shared data folder; nothing is copied into the project.
    await page.setInputFiles('input[name=photos]', ENROL);
    const [response] = await Promise.all([page.waitForNavigation({ timeout: 120_000 }), page.click('#photos-form button[type=submit]')]);
    expect(response?.status()).toBe(200);
    expect(await page.getAttribute('#enrol-done', 'data-enrolled')).toBe('3');
    expect(await page.$$eval('#photo-results li', (items) => items.map((li) => li.getAttribute('data-ok')))).toEqual(['true', 'true', 'true']);
    // A clean clone has no artifacts/ folder yet.
    await mkdir(ARTIFACTS, { recursive: true });
    await safeWriteFile(join(ARTIFACTS, 'sqlite-enrol-done.png'), await page.screenshot({ fullPage: true }));

    const templates = (await pull(harness.url, before.cursor)).changes.flatMap((c) => (c.op === 'upsert' && c.type === 'template' ? [c.data] : []));
    expect(templates.map((t) => [t.personId, t.modality, t.algo])).toEqual(Array(3).fill([SUBJECT.id, 'face', FACE_ALGO]));

    const store = await consoleStoreFor(harness.storage);
    const audit = await store.auditOf(harness.accounts.get('director')!.id, 0, Date.now() + 1, 1000);
    const enrolled = audit.filter((r) => r.action === 'person.enrol' && (r.detail as { templates?: number }).templates === 3);
    expect(enrolled.map((r) => r.subject)).toEqual([`person:${SUBJECT.id}`]);

    // The kiosk pulls every second and loads its face models in the background: wait for a grant.
    let last: FaceResult | null = null;
    const granted = await waitFor('the enrolled face admitted at the kiosk', async () => ((last = await present(PROBE)).result === 'granted' ? last : undefined), 150_000, 1000).catch((error: unknown) => {
      throw new Error(`${String(error)}; last ${JSON.stringify(last)}; kiosk said:\n${kiosk.output().slice(-3000)}`);
    });
    expect(granted).toMatchObject({ result: 'granted', personId: SUBJECT.id });
    const stranger = await present(STRANGER);
    expect(stranger).toMatchObject({ result: 'denied', personId: null });

    // The photos were never written: not in the hub's database (db, -wal, -shm), the kiosk's state or
    // a temp file (Chromium's own profile, which held the upload form, is left out).
    const needles = await photoNeedles();
    const folders = (await readdir(ownTmp)).filter((name) => !name.startsWith('esik-chromium-')).map((name) => join(ownTmp, name));
    expect(folders.length).toBeGreaterThanOrEqual(2);
    expect(await scanFiles(folders, needles)).toEqual([]);
    // Control: the same needles are found in the photos themselves.
    expect((await scanFiles([dirname(ENROL[0])], needles)).filter((hit) => ENROL.some((file) => hit.startsWith(file))).length).toBeGreaterThanOrEqual(ENROL.length * 4);
  }, 300_000);

  it('answers 429 to a second upload while one is being computed', async () => {
    const photos = await Promise.all([...ENROL, PROBE, STRANGER].map(async (file, i) => ({ name: `${i}.jpg`, bytes: await readFile(file) })));
    // Sent together: whichever is admitted first computes 5 photos (a second or more) while the other is refused.
    const answers = await Promise.all([postPhotos(director, SPARE.id, photos), postPhotos(director, SPARE.id, photos)]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 429]);
    const busy = answers.find((a) => a.status === 429);
    expect(busy?.headers.get('retry-after')).toBe('5');
    // The slot is free again once the first is answered.
    expect((await postPhotos(director, SPARE.id, photos.slice(0, 1))).status).toBe(200);
  }, 120_000);
});
