// scripts/install-pi.sh staged into a temp root (--root): the layout, modes and links it creates,
// and that a second run changes nothing and keeps what a technician edited.
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, readdir, readlink, lstat, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReleaseLayout } from '../../device/update/layout.js';

const run = promisify(execFile);
const REPO = resolve(import.meta.dirname, '..', '..');

async function listing(root: string, dir = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(join(root, dir), { withFileTypes: true })) {
    const rel = join(dir, entry.name);
    const info = await lstat(join(root, rel));
    const mode = (info.mode & 0o7777).toString(8);
    if (entry.isSymbolicLink()) out.push(`${rel} -> ${await readlink(join(root, rel))}`);
    else if (entry.isDirectory()) out.push(`${rel}/ ${mode}`, ...(await listing(root, rel)));
    else out.push(`${rel} ${mode} ${info.size}`);
  }
  return out.sort();
}

describe('scripts/install-pi.sh --root', () => {
  let src: string;
  let root: string;
  let install: () => Promise<string>;

  beforeAll(async () => {
    // A small app tree standing in for a release: the script installs the tree it sits in.
    src = await mkdtemp(join(tmpdir(), 'esik-install-src-'));
    root = await mkdtemp(join(tmpdir(), 'esik-install-root-'));
    await mkdir(join(src, 'scripts'), { recursive: true });
    await cp(join(REPO, 'scripts', 'install-pi.sh'), join(src, 'scripts', 'install-pi.sh'));
    await cp(join(REPO, 'scripts', 'udev'), join(src, 'scripts', 'udev'), { recursive: true });
    await cp(join(REPO, 'systemd'), join(src, 'systemd'), { recursive: true });
    await cp(join(REPO, 'bin'), join(src, 'bin'), { recursive: true });
    await writeFile(join(src, 'package.json'), JSON.stringify({ name: 'esik', version: '0.9.1' }));
    const pub = join(src, 'release-key.pub');
    await writeFile(pub, '-----BEGIN PUBLIC KEY-----\ntest\n-----END PUBLIC KEY-----\n');
    install = async () => (await run('bash', [join(src, 'scripts', 'install-pi.sh'), '--root', root, '--public-key', pub])).stdout;
  });

  afterAll(async () => {
    await rm(src, { recursive: true, force: true });
    await rm(root, { recursive: true, force: true });
  });

  it('creates user and groups, udev rules, /etc/esik, /var/lib/esik, the release and its current link, enabled units', async () => {
    await install();
    const files = await listing(root);
    expect(files).toContain('etc/esik/ 750');
    expect(files).toContain('etc/esik/upstream.token 600 0');
    expect(files.find((f) => f.startsWith('etc/esik/config.json '))).toMatch(/ 640 /);
    expect(files.find((f) => f.startsWith('etc/esik/release-key.pub '))).toMatch(/ 644 /);
    expect(files).toContain('var/lib/esik/ 750');
    expect(files).toContain('opt/esik/current -> releases/0.9.1');
    expect(files).toContain('usr/local/bin/esik -> /opt/esik/current/bin/esik.js');
    expect(files).toContain('etc/systemd/system/multi-user.target.wants/esik.service -> /etc/systemd/system/esik.service');
    expect(files.find((f) => f.startsWith('etc/udev/rules.d/99-esik.rules '))).toBeDefined();
    expect(files.find((f) => f.startsWith('etc/systemd/user/esik-board.service '))).toBeDefined();
    const groups = await readFile(join(root, 'etc', 'group'), 'utf8');
    for (const group of ['gpio', 'hidraw', 'dialout', 'lp']) expect(groups).toMatch(new RegExp(`^${group}:x:\\d+:esik$`, 'm'));
    expect(await readFile(join(root, 'etc', 'passwd'), 'utf8')).toMatch(/^esik:x:\d+:\d+:.*:\/usr\/sbin\/nologin$/m);
    const layout = new ReleaseLayout(root);
    expect(await layout.currentVersion()).toBe('0.9.1');
    expect((await layout.readState()).history).toEqual(['0.9.1']);
  });

  it('is idempotent and never overwrites the configuration or the token', async () => {
    await writeFile(join(root, 'etc', 'esik', 'config.json'), '{"edited": true}');
    await writeFile(join(root, 'etc', 'esik', 'upstream.token'), 'secret-token');
    const before = await listing(root);
    await install();
    expect(await listing(root)).toEqual(before);
    expect(await readFile(join(root, 'etc', 'esik', 'config.json'), 'utf8')).toBe('{"edited": true}');
    expect(await readFile(join(root, 'etc', 'esik', 'upstream.token'), 'utf8')).toBe('secret-token');
    const groups = await readFile(join(root, 'etc', 'group'), 'utf8');
    expect(groups.match(/^gpio:/gm)).toHaveLength(1);
    expect(groups).toMatch(/^gpio:x:\d+:esik$/m);
  });
});
