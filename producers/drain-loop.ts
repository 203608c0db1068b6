/**
 * When a sender drains its outbox: at once when kicked (after a commit added work), else after
 * `nextDelayMs()` (a poll, a backoff, the next due time). Never two drains at once; a kick during
 * a drain runs another right after it, so work added meanwhile does not wait for the poll.
 */
export class DrainLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  private threw = false;

  /** After a drain that threw (the store, not a send, failed), the next waits at least `errorDelayMs`. */
  constructor(
    private readonly drain: () => Promise<void>,
    private readonly nextDelayMs: () => number,
    private readonly onError: (err: unknown) => void,
    private readonly errorDelayMs = 1000,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  kick(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  /** No new drain starts; the one running finishes. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.drain()
        .then(
          () => void (this.threw = false),
          (err: unknown) => {
            this.threw = true;
            this.onError(err);
          },
        )
        .finally(() => {
          this.running = undefined;
          const next = this.threw
            ? Math.max(this.errorDelayMs, this.nextDelayMs())
            : this.again
              ? 0
              : this.nextDelayMs();
          this.again = false;
          this.schedule(next);
        });
    }, ms);
    this.timer.unref();
  }
}
