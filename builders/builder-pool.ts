import type { Logger } from 'pino';
import { errorText } from '../errors/error-text.js';
import { BuilderError } from '../errors/builder-error.js';
import type { Builder, BuilderConnection } from './builder.js';

interface Slot {
  builder: Builder;
  active: number;
  /** Not tried again before this time (epoch ms) after it could not be reached. */
  downUntil: number;
  failures: number;
  lastError: string | null;
}

export interface Lease {
  builder: Builder;
  connection: BuilderConnection;
  release(): void;
  /** The builder failed under the job (connection lost): back off from it too. */
  failed(err: unknown): void;
}

/**
 * Which builder a job runs on. A job needs every label it asks for; among the builders that have
 * them it takes a reachable one with a free slot (the least loaded), or waits in line when all
 * are busy. A builder that cannot be reached is set aside with exponential backoff and the job
 * tries the next one, up to `connectAttempts` builders; when none is left it fails with every
 * builder's reason.
 */
export class BuilderPool {
  private readonly slots: Slot[];
  private readonly waiting = new Set<() => void>();

  constructor(
    builders: Builder[],
    private readonly connectAttempts: number,
    private readonly log: Logger,
  ) {
    this.slots = builders.map((builder) => ({
      builder,
      active: 0,
      downUntil: 0,
      failures: 0,
      lastError: null,
    }));
  }

  async acquire(labels: readonly string[], signal: AbortSignal): Promise<Lease> {
    const matching = this.slots.filter((s) => labels.every((l) => s.builder.labels.includes(l)));
    if (matching.length === 0)
      throw new BuilderError(
        'NO_BUILDER',
        `no builder has all of the labels ${labels.join(', ') || '(none)'}`,
      );
    let attempts = 0;
    for (;;) {
      signal.throwIfAborted();
      const now = Date.now();
      const up = matching.filter((s) => s.downUntil <= now);
      if (up.length === 0) {
        throw new BuilderError(
          'NO_BUILDER',
          `every builder that has the labels ${labels.join(', ') || '(none)'} is unreachable: ${matching.map((s) => `${s.builder.name}: ${s.lastError}`).join('; ')}`,
        );
      }
      const free = up
        .filter((s) => s.active < s.builder.jobLimit)
        .sort((a, b) => a.active / a.builder.jobLimit - b.active / b.builder.jobLimit);
      const slot = free[0];
      if (!slot) {
        await this.waitForChange(
          signal,
          Math.min(...matching.map((s) => (s.downUntil > now ? s.downUntil - now : Infinity))),
        );
        continue;
      }
      slot.active++;
      try {
        const connection = await slot.builder.connect();
        slot.failures = 0;
        slot.lastError = null;
        return this.lease(slot, connection);
      } catch (err) {
        slot.active--;
        this.markDown(slot, err);
        this.wake();
        if (++attempts >= this.connectAttempts) {
          throw new BuilderError(
            'BUILDER_UNREACHABLE',
            `gave up after ${attempts} builder(s) could not be reached: ${errorText(err)}`,
            { cause: err },
          );
        }
      }
    }
  }

  /** Per builder: jobs running, and whether (and why) it is set aside. */
  status(): Array<{
    name: string;
    active: number;
    jobLimit: number;
    healthy: boolean;
    lastError: string | null;
  }> {
    const now = Date.now();
    return this.slots.map((s) => ({
      name: s.builder.name,
      active: s.active,
      jobLimit: s.builder.jobLimit,
      healthy: s.downUntil <= now,
      lastError: s.lastError,
    }));
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.builder.close()));
  }

  private lease(slot: Slot, connection: BuilderConnection): Lease {
    let released = false;
    return {
      builder: slot.builder,
      connection,
      release: () => {
        if (released) return;
        released = true;
        slot.active--;
        this.wake();
      },
      failed: (err) => this.markDown(slot, err),
    };
  }

  private markDown(slot: Slot, err: unknown): void {
    slot.failures++;
    const { initialMs, maxMs } = slot.builder.backoff;
    const delay = Math.min(maxMs, initialMs * 2 ** Math.min(slot.failures - 1, 20));
    slot.downUntil = Date.now() + delay;
    slot.lastError = errorText(err);
    this.log.warn(
      { builder: slot.builder.name, retryInMs: delay, err: slot.lastError },
      'builder unreachable; set aside',
    );
  }

  private wake(): void {
    for (const w of this.waiting) w();
    this.waiting.clear();
  }

  private waitForChange(signal: AbortSignal, maxMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.waiting.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Number.isFinite(maxMs) ? maxMs : 60_000);
      signal.addEventListener('abort', done);
      this.waiting.add(done);
    });
  }
}
