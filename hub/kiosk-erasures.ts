// A person erased at a kiosk (`esik erase`, a guardian's request made at the school door) is erased
// there at once, but the hub still held the person's templates and would send them to every other
// kiosk. This consumer reads the kiosks' `person.erased` events from the hub's event log and
// withdraws the person's biometric consent on the hub: the hub erases its template copies and
// leaves tombstones, so every kiosk drops them at its next roster pull (hub storage applyOne).
// Names, class and cards stay: whether the whole record goes is the school's decision, taken as a
// data-subject request in the console. Idempotent: a person already without consent is left alone,
// so two hub processes or a replayed page change nothing twice.
import { PollingLoop } from '../lib/index.js';
import type { HubStorage } from './storage.js';

export const KIOSK_ERASURE_CURSOR = 'kiosk-erasures';

export interface KioskErasureOptions {
  pageSize: number;
  intervalMs: number;
}

export const DEFAULT_KIOSK_ERASURE_OPTIONS: KioskErasureOptions = { pageSize: 500, intervalMs: 2000 };

interface ErasureLogger {
  info(object: Record<string, unknown>, message: string): void;
  warn(object: Record<string, unknown>, message: string): void;
}

export class KioskErasureFolder {
  readonly #loop: PollingLoop;

  constructor(
    private readonly storage: HubStorage,
    private readonly logger: ErasureLogger,
    private readonly options: KioskErasureOptions = DEFAULT_KIOSK_ERASURE_OPTIONS,
  ) {
    this.#loop = new PollingLoop(() => this.catchUp(), options.intervalMs, (error) => logger.warn({ err: error }, 'kiosk erasure consumer failed; retrying'));
  }

  /** Reads pages until caught up; returns the people whose templates it dropped. */
  async catchUp(): Promise<string[]> {
    const withdrawn: string[] = [];
    for (;;) {
      const from = await this.storage.consumerCursor(KIOSK_ERASURE_CURSOR);
      const page = await this.storage.readEvents(from, this.options.pageSize);
      if (page.lastHubSeq === null || page.lastHubSeq <= from) return withdrawn;
      for (const stored of page.events) {
        const personId = stored.event.personId;
        if (stored.event.type !== 'person.erased' || personId === null) continue;
        if (await this.withdrawBiometricConsent(personId, stored.deviceId)) withdrawn.push(personId);
      }
      // Moved after the changes: a crash in between replays the page, which changes nothing again.
      if (!(await this.storage.advanceConsumerCursor(KIOSK_ERASURE_CURSOR, from, page.lastHubSeq))) continue;
      if (!page.more) return withdrawn;
    }
  }

  private async withdrawBiometricConsent(personId: string, deviceId: string): Promise<boolean> {
    const current = await this.storage.rosterEntity('person', personId);
    if (current?.op !== 'upsert' || current.type !== 'person' || !current.data.biometricConsent) return false;
    const cursor = await this.storage.applyRoster([{ op: 'upsert', type: 'person', data: { ...current.data, biometricConsent: false } }]);
    this.logger.info({ personId, deviceId, cursor }, 'person erased at a kiosk: biometric consent withdrawn on the hub, templates erased');
    return true;
  }

  start(): void {
    this.#loop.start();
  }

  /** Stops polling and waits for a page in progress. */
  stop(): Promise<void> {
    return this.#loop.stop();
  }
}
