// `esik status`: what a technician on SSH needs in one look.
import { statfs } from 'node:fs/promises';
import type { KioskServices, StatusProvider } from '../services.js';

export async function diskFree(dir: string): Promise<{ freeBytes: number; totalBytes: number } | null> {
  try {
    const stats = await statfs(dir);
    return { freeBytes: stats.bavail * stats.bsize, totalBytes: stats.blocks * stats.bsize };
  } catch {
    return null;
  }
}

export async function collectStatus(services: KioskServices, providers: ReadonlyMap<string, StatusProvider>): Promise<Record<string, unknown>> {
  const { config, kiosk, store, clock } = services;
  const lastSeq = store.events.lastSeq();
  const extra: Record<string, unknown> = {};
  for (const [name, provider] of providers) {
    try {
      extra[name] = await Promise.resolve(provider());
    } catch (error) {
      extra[name] = { error: error instanceof Error ? error.message : String(error) };
    }
  }
  return {
    daemon: 'running',
    deviceId: config.device.id,
    bootId: services.bootId,
    pid: process.pid,
    uptimeS: Math.round(process.uptime()),
    kiosk: kiosk.status(),
    doors: [...services.doors.values()].map((door) => door.snapshot()),
    readers: [...services.readers.values()].map((r) => ({ id: r.id, door: r.door, direction: r.direction, status: r.status() })),
    roster: { people: services.roster.roster.people.size, credentials: services.roster.roster.credentials.size, templates: services.roster.roster.templates.length },
    clock: { trusted: clock.trusted(), wallMs: clock.wallMs(), utcOffsetMinutes: clock.utcOffsetMinutes() },
    disk: await diskFree(config.device.stateDir),
    events: { lastSeq, recent: await store.events.since(Math.max(0, lastSeq - 10), 10) },
    backlog: await store.outbox.backlog(),
    ...extra,
  };
}
