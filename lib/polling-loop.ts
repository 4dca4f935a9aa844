// A job run now and then again `intervalMs` after each run ends (never two at once), until stopped:
// the hub's folds and consumers of its event log, a desk's catalogue refresh. A failed run goes to
// `onError` and the loop carries on; stop() waits for a run in progress.
export class PollingLoop {
  #timer: ReturnType<typeof setTimeout> | null = null;
  #running: Promise<unknown> = Promise.resolve();
  #stopped = true;

  constructor(
    private readonly run: () => Promise<unknown>,
    private readonly intervalMs: number,
    private readonly onError: (error: unknown) => void,
    /** Let the process exit while only this loop is waiting. */
    private readonly unref = false,
  ) {}

  start(): void {
    this.#stopped = false;
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running;
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#running = this.run()
        .catch(this.onError)
        .finally(() => this.#schedule(this.intervalMs));
    }, delayMs);
    if (this.unref) this.#timer.unref();
  }
}
