// A simulator kiosk configuration in a temp folder: every port 0, every path inside the folder.
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

export interface KioskConfigOptions {
  dir: string;
  stateDir?: string;
  readers?: unknown[];
  syncUrl?: string;
  /** 0 by default; a fixed free port when another process (the doctor) must find the endpoint. */
  healthPort?: number;
}

export async function writeKioskConfig(options: KioskConfigOptions): Promise<string> {
  const config = {
    device: {
      id: 'test-kiosk',
      stateDir: options.stateDir ?? join(options.dir, 'state'),
      seedRosterFile: resolve(import.meta.dirname, '..', '..', '..', 'fixtures', 'demo-roster.json'),
    },
    doors: [
      { name: 'main', kind: 'door', lockType: 'fail-secure', pulseMs: 500, heldOpenMs: 30000, relay: { driver: 'sim' }, sensor: { driver: 'sim' } },
    ],
    readers: options.readers ?? [{ id: 'main-in', driver: 'sim', door: 'main', direction: 'in', kind: 'card' }],
    http: { host: '127.0.0.1', port: 0 },
    health: { host: '127.0.0.1', port: options.healthPort ?? 0 },
    admin: { socketPath: join(options.dir, 'admin.sock') },
    ...(options.syncUrl ? { sync: { url: options.syncUrl } } : {}),
  };
  const file = join(options.dir, 'config.json');
  await writeFile(file, JSON.stringify(config, null, 2));
  return file;
}
