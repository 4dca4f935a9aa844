// One presentation per reader at a time, and a flood at one reader (a stuck key, a child
// waving a card) cannot starve the others: each reader has its own short queue and drops the
// excess with a warning instead of building an unbounded backlog of stale presentations.

export class BoundedSerialQueue<T> {
  private readonly waiting: T[] = [];
  private running = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly capacity: number,
    private readonly worker: (item: T) => Promise<void>,
    private readonly onDrop: (item: T) => void,
  ) {}

  get depth(): number {
    return this.waiting.length + (this.running ? 1 : 0);
  }

  /** False when the item was dropped because the queue is full. */
  push(item: T): boolean {
    if (this.waiting.length >= this.capacity) {
      this.onDrop(item);
      return false;
    }
    this.waiting.push(item);
    if (!this.running) void this.drain();
    return true;
  }

  /** Resolves when everything queued so far has been processed (shutdown). */
  idle(): Promise<void> {
    if (!this.running && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolvePromise) => this.idleWaiters.push(resolvePromise));
  }

  /** Forgets what has not started yet (shutdown: readers are stopped, stale presentations are not served). */
  clear(): void {
    this.waiting.length = 0;
  }

  private async drain(): Promise<void> {
    this.running = true;
    let item = this.waiting.shift();
    while (item !== undefined) {
      // worker() handles its own errors; a throw here would be a bug, kept from stopping the queue.
      await this.worker(item).catch(() => undefined);
      item = this.waiting.shift();
    }
    this.running = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolveWaiter of waiters) resolveWaiter();
  }
}
