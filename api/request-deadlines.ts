/**
 * The time limit of every request being handled, checked by one timer instead of one timer per
 * request: a Timeout object per request, linked into node's timer lists and unlinked again a
 * millisecond later. (With the per-request hooks made callbacks, that was ~8% of the decision
 * route's throughput and a fifth of each young-generation GC pause, and it ended a mass
 * deoptimization after HTTP bursts; see the README.) Every request has the same limit, so the
 * order requests were added in is the order they expire in, and a sweep stops at the first one
 * not yet due.
 *
 * A request expires between `limitMs` and `limitMs + sweepMs` after it was added, as node's own
 * `requestTimeout` is checked every `connectionsCheckingInterval`.
 */
export class RequestDeadlines<K> {
  private readonly due = new Map<K, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly limitMs: number,
    private readonly sweepMs: number,
    /** Called once for each request still here at its time limit, which is removed first. */
    private readonly onExpired: (key: K) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  add(key: K): void {
    this.due.set(key, this.now() + this.limitMs);
    // Only while something is pending, so an idle server has no timer waking it.
    if (!this.timer) {
      this.timer = setInterval(() => this.sweep(), this.sweepMs);
      this.timer.unref();
    }
  }

  remove(key: K): void {
    this.due.delete(key);
  }

  /** Expires every request past its limit, oldest first. */
  sweep(): void {
    const now = this.now();
    for (const [key, at] of this.due) {
      if (at > now) break;
      this.due.delete(key);
      this.onExpired(key);
    }
    if (this.due.size === 0) this.stop();
  }

  /** Forgets every pending request (the server is closing). */
  clear(): void {
    this.due.clear();
    this.stop();
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
