// Events that could not be committed (disk full, corrupt database) wait here, in order, until
// the store accepts writes again. Bounded: a store that never comes back must not exhaust memory;
// what overflows is counted and logged, never silently forgotten.
import type { EventDraft } from '../../sync/store/index.js';

export interface PendingEvent {
  draft: EventDraft;
  consumeCredentialId?: string;
}

export class PendingEventRing {
  private readonly items: PendingEvent[] = [];
  private lostCount = 0;

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.items.length;
  }

  /** Events dropped because the ring was full since start. */
  get lost(): number {
    return this.lostCount;
  }

  push(item: PendingEvent): void {
    if (this.items.length >= this.capacity) {
      this.items.shift();
      this.lostCount += 1;
    }
    this.items.push(item);
  }

  peek(): PendingEvent | undefined {
    return this.items[0];
  }

  shift(): void {
    this.items.shift();
  }
}
