// The unit files: the keys the kiosk depends on, checked with a small parser everywhere, and
// `systemd-analyze verify` / `security` where systemd's tools are installed.
import { execFile, spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const UNITS = resolve(import.meta.dirname, '..', '..', 'systemd');
const analyzeMissing = spawnSync('systemd-analyze', ['--version']).status === 0 ? null : 'systemd-analyze is not installed here';
if (analyzeMissing) console.warn(`systemd-analyze checks skipped: ${analyzeMissing}; the parser checks below still run`);

type Unit = Map<string, string[]>;

/** `Section.Key` -> values in order (repeated keys accumulate, as systemd's list settings do). */
function parseUnit(text: string): Unit {
  const unit: Unit = new Map();
  let section = '';
  const joined = text.replace(/\\\n/g, ' ');
  for (const raw of joined.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1] ?? '';
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`not a key=value line: ${line}`);
    const key = `${section}.${line.slice(0, eq).trim()}`;
    unit.set(key, [...(unit.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return unit;
}

async function unit(name: string): Promise<Unit> {
  return parseUnit(await readFile(join(UNITS, name), 'utf8'));
}

function one(u: Unit, key: string): string | undefined {
  return u.get(key)?.at(-1);
}

describe('systemd/esik.service', () => {
  it('is a notify service with a watchdog, restart limits and a stop timeout above the app deadline', async () => {
    const u = await unit('esik.service');
    expect(one(u, 'Service.Type')).toBe('notify');
    expect(one(u, 'Service.NotifyAccess')).toBe('all');
    expect(Number(one(u, 'Service.WatchdogSec'))).toBeGreaterThan(0);
    expect(one(u, 'Service.Restart')).toBe('on-failure');
    expect(Number(one(u, 'Unit.StartLimitIntervalSec'))).toBeGreaterThan(0);
    expect(Number(one(u, 'Unit.StartLimitBurst'))).toBeGreaterThan(0);
    expect(Number(one(u, 'Service.TimeoutStopSec'))).toBeGreaterThan(10); // runKiosk's hard deadline is 10 s
    expect(one(u, 'Service.ExecStart')).toMatch(/^\/usr\/bin\/node (--[a-z-]+=\S+ )*\/opt\/esik\/current\/bin\/esik\.js run /);
    expect(one(u, 'Service.LoadCredential')).toMatch(/^upstream-token:\/etc\/esik\//);
    // The door's process before the board's Chromium and anything else on the Pi.
    expect(Number(one(u, 'Service.Nice'))).toBeLessThan(0);
  });

  it('is hardened, reaches hardware only through its groups, and leaves the V8 JIT alone', async () => {
    const u = await unit('esik.service');
    expect(one(u, 'Service.User')).toBe('esik');
    expect(one(u, 'Service.SupplementaryGroups')?.split(/\s+/).sort()).toEqual(['dialout', 'gpio', 'hidraw', 'lp']);
    expect(one(u, 'Service.DevicePolicy')).toBe('closed');
    expect(u.get('Service.DeviceAllow')).toEqual(['char-gpiochip rw', 'char-hidraw rw', 'char-ttyACM rw', 'char-ttyUSB rw', 'char-usb rw']);
    for (const [key, value] of [
      ['NoNewPrivileges', 'yes'],
      ['ProtectSystem', 'strict'],
      ['PrivateTmp', 'yes'],
      ['ProtectHome', 'yes'],
      ['ProtectKernelTunables', 'yes'],
      ['ProtectKernelModules', 'yes'],
      ['ProtectKernelLogs', 'yes'],
      ['ProtectControlGroups', 'yes'],
      ['LockPersonality', 'yes'],
      ['CapabilityBoundingSet', ''],
      ['RestrictAddressFamilies', 'AF_UNIX AF_INET AF_INET6 AF_NETLINK'],
    ]) {
      expect(one(u, `Service.${key}`), key).toBe(value);
    }
    expect(u.get('Service.ReadWritePaths')).toContain('/var/lib/esik');
    expect(u.get('Service.SystemCallFilter')).toContain('@system-service');
    expect(u.has('Service.MemoryDenyWriteExecute')).toBe(false);
  });

  it('the lobby board runs Chromium in kiosk mode on the local /board page', async () => {
    const u = await unit('esik-board.service');
    expect(one(u, 'Service.ExecStart')).toMatch(/^\/usr\/bin\/chromium --kiosk .*\$\{ESIK_BOARD_URL\}$/);
    expect(one(u, 'Service.Environment')).toBe('ESIK_BOARD_URL=http://127.0.0.1:8080/board');
    expect(one(u, 'Service.Restart')).toBe('always');
  });

  it('the hub takes its secrets as credentials, never on the command line, and runs as its own user', async () => {
    const u = await unit('esik-hub.service');
    const start = one(u, 'Service.ExecStart') ?? '';
    expect(start).toMatch(/^\/usr\/bin\/node \/opt\/esik-hub\/current\/hub\/main\.js /);
    expect(start).toContain('--admin-token-file %d/admin-token');
    expect(start).toContain('--tls-key %d/tls-key');
    expect(start).not.toMatch(/postgres(ql)?:\/\//);
    expect(u.get('Service.LoadCredential')).toEqual(['admin-token:/etc/esik-hub/admin.token', 'tls-key:/etc/esik-hub/hub.key']);
    expect(one(u, 'Service.EnvironmentFile')).toBe('-/etc/esik-hub/hub.env');
    expect(one(u, 'Service.User')).toBe('esik-hub');
    expect(one(u, 'Service.StateDirectoryMode')).toBe('0700');
    expect(one(u, 'Service.Restart')).toBe('on-failure');
    expect(one(u, 'Service.PrivateDevices')).toBe('yes');
    expect(one(u, 'Service.CapabilityBoundingSet')).toBe('');
  });

  it.skipIf(analyzeMissing !== null)('passes systemd-analyze verify', async () => {
    for (const name of ['esik.service', 'esik-update-recover.service', 'esik-hub.service']) {
      const { stdout, stderr } = await run('systemd-analyze', ['verify', join(UNITS, name)]);
      expect(`${stdout}${stderr}`, name).toBe('');
    }
  });

  it.skipIf(analyzeMissing !== null)('scores OK or better in systemd-analyze security (offline)', async () => {
    for (const name of ['esik.service', 'esik-hub.service']) {
      const result = await run('systemd-analyze', ['security', '--offline=yes', join(UNITS, name)]).catch((error: { stdout: string; stderr: string }) => error);
      const score = new RegExp(`Overall exposure level for ${name.replace('.', '\\.')}: ([\\d.]+)`).exec(`${result.stdout}${result.stderr}`);
      expect(score, `no score printed for ${name}`).not.toBeNull();
      console.log(`systemd-analyze security ${name}: ${score?.[1] ?? '?'}`);
      expect(Number(score?.[1]), name).toBeLessThanOrEqual(3.0);
    }
  });
});
