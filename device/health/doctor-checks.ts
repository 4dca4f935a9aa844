// The individual `esik doctor` checks. Each returns a finding a technician can act on: what was
// looked at, what was found, and (when it is not fine) what to do next.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import sqlite3 from 'sqlite3';
import type { KioskConfig } from '../config/index.js';
import { safeWriteFile } from '../util/safe-write.js';
import { errorMessage, formatBytes, statfsFreeBytes } from './checks.js';

export type DoctorStatus = 'pass' | 'warn' | 'fail' | 'skip';

export interface DoctorFinding {
  name: string;
  status: DoctorStatus;
  detail: string;
  hint?: string;
}

const require = createRequire(import.meta.url);
const execFileAsync = promisify(execFile);
/** A Pi without an RTC boots at its last saved time or 1970: anything before this is surely wrong. */
const EARLIEST_PLAUSIBLE = Date.UTC(2025, 0, 1);

/** 'yes' / 'no' from systemd-timedated, null where there is none (container, CI): then the daemon's view counts. */
async function ntpSynchronized(): Promise<string | null> {
  try {
    const { stdout } = await execFileAsync('timedatectl', ['show', '-p', 'NTPSynchronized', '--value'], { timeout: 3_000 });
    return stdout.trim();
  } catch {
    return null;
  }
}

export async function checkClock(nowMs: number, daemonTrusted: boolean | null): Promise<DoctorFinding> {
  if (nowMs < EARLIEST_PLAUSIBLE) {
    return {
      name: 'clock',
      status: 'fail',
      detail: `wall clock says ${new Date(nowMs).toISOString()}`,
      hint: 'no RTC and no NTP yet: check the network and `timedatectl timesync-status`; events are flagged timeTrusted=false meanwhile',
    };
  }
  const ntp = await ntpSynchronized();
  const synced = ntp === 'yes' || (ntp === null && daemonTrusted === true);
  if (synced) return { name: 'clock', status: 'pass', detail: `synchronised (${new Date(nowMs).toISOString()})` };
  return {
    name: 'clock',
    status: 'warn',
    detail: ntp === 'no' ? 'NTP not synchronised' : 'synchronisation unknown (no timedatectl, daemon not running or untrusted)',
    hint: 'doors keep working; check `timedatectl timesync-status` and that UDP 123 (or the hub) is reachable',
  };
}

export async function checkDataFolder(stateDir: string): Promise<DoctorFinding> {
  const probe = join(stateDir, `.doctor-probe-${process.pid}`);
  try {
    if (!(await stat(stateDir)).isDirectory()) throw new Error('not a directory');
    await safeWriteFile(probe, 'probe\n', 0o600);
    await rm(probe, { force: true });
    return { name: 'data-folder', status: 'pass', detail: `${stateDir} is writable` };
  } catch (error) {
    return {
      name: 'data-folder',
      status: 'fail',
      detail: `${stateDir} is not writable: ${errorMessage(error)}`,
      hint: 'the kiosk cannot record decisions: `sudo chown -R esik:esik /var/lib/esik`; check ReadWritePaths= in esik.service and `dmesg | grep -i remount` for a read-only filesystem',
    };
  }
}

export async function checkDisk(stateDir: string): Promise<DoctorFinding> {
  try {
    const free = await statfsFreeBytes(stateDir);
    const detail = `${formatBytes(free)} free on ${stateDir}`;
    if (free < 64 * 1024 ** 2) return { name: 'disk', status: 'fail', detail, hint: 'free space: `esik sync now` then retention prunes synced events; `journalctl --vacuum-size=50M`' };
    if (free < 512 * 1024 ** 2) return { name: 'disk', status: 'warn', detail, hint: 'getting low: check `du -sh /var/lib/esik /var/log/journal`' };
    return { name: 'disk', status: 'pass', detail };
  } catch (error) {
    return { name: 'disk', status: 'fail', detail: `cannot stat ${stateDir}: ${errorMessage(error)}`, hint: 'does device.stateDir exist?' };
  }
}

function quickCheck(path: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(path, sqlite3.OPEN_READONLY, (openError) => {
      if (openError) return reject(openError);
      db.all('PRAGMA quick_check', (error: Error | null, rows: Array<Record<string, unknown>>) => {
        db.close();
        if (error) reject(error);
        else resolve(rows.map((row) => String(row.quick_check)));
      });
    });
  });
}

export async function checkDatabase(path: string): Promise<DoctorFinding> {
  if (!existsSync(path)) {
    return { name: 'database', status: 'warn', detail: `${path} does not exist yet`, hint: 'it is created on the first `esik run`' };
  }
  try {
    const lines = await quickCheck(path);
    if (lines.length === 1 && lines[0] === 'ok') return { name: 'database', status: 'pass', detail: 'quick_check ok' };
    return { name: 'database', status: 'fail', detail: `quick_check: ${lines.slice(0, 3).join('; ')}`, hint: 'stop the kiosk, copy esik.db* aside, then restore the last good backup' };
  } catch (error) {
    return { name: 'database', status: 'fail', detail: `cannot read ${path}: ${errorMessage(error)}`, hint: 'check ownership (esik:esik) and that the data folder is readable' };
  }
}

export interface HidDeviceInfo {
  path?: string;
  vendorId: number;
  productId: number;
}

type ReaderConfig = KioskConfig['readers'][number];

export async function checkReader(
  reader: ReaderConfig,
  daemonStatus: string | null,
  hidDevices: () => Promise<HidDeviceInfo[]>,
): Promise<DoctorFinding> {
  const name = `reader:${reader.id}`;
  const hint = 'plugged in? `ls -l /dev/hidraw*` (group hidraw via 99-esik.rules), `lsusb`, `journalctl -u esik | grep reader`';
  if (daemonStatus !== null) {
    return daemonStatus === 'connected'
      ? { name, status: 'pass', detail: `connected (daemon${reader.driver === 'sim' ? ', simulated' : ''})` }
      : { name, status: 'fail', detail: `daemon reports ${daemonStatus}`, hint };
  }
  if (reader.driver === 'sim') return { name, status: 'pass', detail: 'simulated reader' };
  if (reader.driver === 'camera') return { name, status: 'skip', detail: `camera reader (${reader.source.driver}); frames are checked by the running daemon` };
  if (reader.path !== undefined) {
    return existsSync(reader.path)
      ? { name, status: 'pass', detail: `${reader.path} present` }
      : { name, status: 'fail', detail: `${reader.path} not found`, hint };
  }
  try {
    const found = (await hidDevices()).some((d) => (reader.vendorId === undefined || d.vendorId === reader.vendorId) && (reader.productId === undefined || d.productId === reader.productId));
    return found ? { name, status: 'pass', detail: 'USB device present' } : { name, status: 'fail', detail: 'no matching USB HID device', hint };
  } catch (error) {
    return { name, status: 'fail', detail: `cannot list HID devices: ${errorMessage(error)}`, hint: 'is libusb-1.0 installed (`apt install libusb-1.0-0`)?' };
  }
}

export async function checkUpstream(url: string | undefined, timeoutMs: number): Promise<DoctorFinding> {
  if (url === undefined) return { name: 'upstream', status: 'skip', detail: 'no sync.url configured (offline kiosk)' };
  try {
    const response = await fetch(url, { method: 'GET', signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    return { name: 'upstream', status: 'pass', detail: `${url} reachable (HTTP ${response.status})` };
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : errorMessage(error);
    return {
      name: 'upstream',
      status: 'fail',
      detail: `${url} unreachable: ${cause}`,
      hint: 'events queue locally and sync later; check the network, DNS (`getent hosts HOST`), the firewall and that the hub is up',
    };
  }
}

const FACE_MODELS = ['tiny_face_detector_model', 'face_landmark_68_model', 'face_recognition_model'];

async function missingModelFiles(modelDir: string): Promise<string[]> {
  const missing: string[] = [];
  for (const model of FACE_MODELS) {
    const manifest = join(modelDir, `${model}-weights_manifest.json`);
    try {
      const parsed = JSON.parse(await readFile(manifest, 'utf8')) as Array<{ paths?: string[] }>;
      for (const file of parsed.flatMap((group) => group.paths ?? [])) if (!existsSync(join(modelDir, file))) missing.push(file);
    } catch {
      missing.push(`${model}-weights_manifest.json`);
    }
  }
  return missing;
}

function resolvable(specifier: string): string | null {
  try {
    return require.resolve(specifier);
  } catch {
    return null;
  }
}

export async function checkModels(biometric: KioskConfig['biometric']): Promise<DoctorFinding[]> {
  if (biometric === undefined) return [{ name: 'models', status: 'skip', detail: 'biometrics not configured (cards only)' }];
  const faceApi = resolvable('@vladmandic/face-api/package.json');
  const modelDir = biometric.modelDir ?? (faceApi ? join(dirname(faceApi), 'model') : '(face-api not installed)');
  const missing = await missingModelFiles(modelDir);
  const models: DoctorFinding =
    missing.length === 0
      ? { name: 'models', status: 'pass', detail: `face models complete in ${modelDir}` }
      : { name: 'models', status: 'fail', detail: `missing in ${modelDir}: ${missing.join(', ')}`, hint: 'reinstall the release (`esik update --force`) or fix biometric.modelDir' };
  const wasmPkg = resolvable('@tensorflow/tfjs-backend-wasm/package.json');
  const wasmOk = wasmPkg !== null && existsSync(join(dirname(wasmPkg), 'dist', 'tfjs-backend-wasm.wasm'));
  const nodeOk = resolvable('@tensorflow/tfjs-node') !== null;
  const wanted = biometric.backend;
  const chosen = wanted === 'tensorflow' || (wanted === 'auto' && nodeOk) ? 'tensorflow' : 'wasm';
  const ok = chosen === 'tensorflow' ? nodeOk : wasmOk;
  const backend: DoctorFinding = ok
    ? { name: 'backend', status: 'pass', detail: `${chosen} (configured: ${wanted})` }
    : { name: 'backend', status: 'fail', detail: `${chosen} backend not installed (configured: ${wanted})`, hint: 'use backend "wasm" (ships its .wasm) or install @tensorflow/tfjs-node' };
  return [models, backend];
}
