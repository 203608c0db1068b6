import type { Logger } from 'pino';
import type { ForgeSettings } from '../config/forge-types.js';
import type { ForgeStatusRow, ForgeStatuses } from '../db/forge-statuses.js';
import { errorText } from '../errors/error-text.js';
import { DrainLoop } from '../producers/drain-loop.js';
import { ForgeApi, ForgeCallError } from './forge-api.js';

export interface ForgeSenderOptions {
  batchSize: number;
  /** Calls in flight at once (across forges). */
  concurrency: number;
  /** A claimed row is left alone this long by other senders; a sender that died leaves it to them after. */
  claimMs: number;
  pollIntervalMs: number;
}

/** Sent rows recorded together, at most. */
const SENT_FLUSH = 32;

const DEFAULTS: ForgeSenderOptions = {
  batchSize: 64,
  concurrency: 16,
  claimMs: 120_000,
  pollIntervalMs: 1000,
};

/**
 * Sends the commit-status outbox. 2xx: sent. 5xx, 408, 429 and network errors: again after a
 * backoff that doubles up to the forge's `retry.maxDelayMs`, `maxAttempts` times. A rate limit
 * (403/429 with reset headers) holds every status to that forge until the time it names. Other
 * 4xx: failed for good, with the forge's answer kept. Statuses of one commit and context go in
 * the order they were written, so a job's final state is never overtaken by its `pending`.
 */
export class ForgeStatusSender {
  private readonly loop: DrainLoop;
  private readonly apis: Map<string, { api: ForgeApi; settings: ForgeSettings }>;
  private readonly pausedUntil = new Map<string, number>();
  /** The last send of each commit and context in flight: the next waits for it. */
  private readonly chains = new Map<string, Promise<void>>();
  private readonly options: ForgeSenderOptions;
  /** Rows the forge took, not yet recorded as sent. */
  private readonly delivered: number[] = [];

  constructor(
    private readonly statuses: ForgeStatuses,
    forges: readonly ForgeSettings[],
    private readonly log: Logger,
    options: Partial<ForgeSenderOptions> = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
    this.apis = new Map(forges.map((f) => [f.name, { api: new ForgeApi(f), settings: f }]));
    this.loop = new DrainLoop(
      () => this.drain(),
      () => this.nextDelay(),
      (err) => this.log.error({ err: errorText(err) }, 'commit status sender failed; will retry'),
    );
  }

  start(): void {
    this.loop.start();
  }

  /** Call after a commit that may have added statuses. */
  kick(): void {
    this.loop.kick();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    await Promise.allSettled([...this.chains.values()]);
  }

  private nextDelay(): number {
    const due = this.statuses.nextDue();
    const wait = due === undefined ? this.options.pollIntervalMs : due - Date.now();
    return Math.max(10, Math.min(this.options.pollIntervalMs, wait));
  }

  /**
   * Claims rows a batch ahead and keeps `concurrency` calls going: a slot that frees takes the
   * next claimed row at once, so a claim (a store transaction) is paid per batch, not per call.
   */
  private async drain(): Promise<void> {
    const tokens = new Map<string, string | Error>();
    const queue: ForgeStatusRow[] = [];
    let exhausted = false;
    const take = (): ForgeStatusRow | undefined => {
      if (this.delivered.length >= SENT_FLUSH) this.flushSent();
      if (queue.length === 0 && !exhausted && !this.loop.isStopped) {
        this.flushSent();
        const rows = this.statuses.claim(this.options.batchSize, this.options.claimMs);
        if (rows.length === 0) exhausted = true;
        queue.push(...rows);
      }
      return queue.shift();
    };
    const worker = async () => {
      for (let row = take(); row !== undefined; row = take()) await this.ordered(row, tokens);
    };
    try {
      await Promise.all(Array.from({ length: this.options.concurrency }, worker));
    } finally {
      this.flushSent();
    }
  }

  /**
   * Records the statuses the forge took, in one transaction per few dozen: a write per call
   * would cost more than the call. Until recorded a row stays claimed, so nobody sends it again.
   */
  private flushSent(): void {
    if (this.delivered.length === 0) return;
    const ids = this.delivered.splice(0);
    this.statuses.sentMany(ids);
  }

  /** Sends after the send of the same commit and context still in flight, if any. */
  private ordered(row: ForgeStatusRow, tokens: Map<string, string | Error>): Promise<void> {
    const key = `${row.forge}\u0000${row.repo}\u0000${row.sha}\u0000${row.context}`;
    const before = this.chains.get(key);
    const send: Promise<void> = (before ?? Promise.resolve())
      .then(() => this.send(row, tokens))
      .catch((err: unknown) =>
        // The store could not record the outcome: the claim runs out and the row goes again.
        this.log.error({ err: errorText(err), id: row.id }, 'could not record a commit status outcome'),
      )
      .finally(() => {
        if (this.chains.get(key) === send) this.chains.delete(key);
      });
    this.chains.set(key, send);
    return send;
  }

  private async send(row: ForgeStatusRow, tokens: Map<string, string | Error>): Promise<void> {
    const forge = this.apis.get(row.forge);
    if (!forge) {
      this.statuses.failed(row.id, `forge "${row.forge}" is no longer configured`);
      return;
    }
    const paused = this.pausedUntil.get(row.forge) ?? 0;
    if (paused > Date.now()) {
      this.statuses.retryAt(row.id, paused, "waiting for the forge's rate limit to reset");
      return;
    }
    let token = tokens.get(row.forge);
    if (token === undefined) {
      try {
        token =
          forge.api.token() ?? new Error(`forge "${row.forge}" has no tokenFile: statuses cannot be sent`);
      } catch (err) {
        token = new Error(`forge "${row.forge}": cannot read its tokenFile: ${errorText(err)}`);
      }
      tokens.set(row.forge, token);
    }
    try {
      if (token instanceof Error) throw new ForgeCallError(token.message, undefined, true);
      await forge.api.postStatus(
        {
          repo: row.repo,
          sha: row.sha,
          state: row.state,
          context: row.context,
          description: row.description,
          targetUrl: row.target_url,
        },
        token,
      );
      this.delivered.push(row.id);
    } catch (err) {
      const e = err instanceof ForgeCallError ? err : new ForgeCallError(errorText(err), undefined, true);
      const { retry } = forge.settings;
      if (e.retryAt !== undefined) {
        this.pausedUntil.set(row.forge, e.retryAt);
        this.statuses.retryAt(row.id, e.retryAt, e.message);
        this.log.warn(
          { forge: row.forge, until: new Date(e.retryAt).toISOString() },
          'forge rate limit; waiting',
        );
      } else if (e.transient && row.attempts + 1 < retry.maxAttempts) {
        const delay = Math.min(retry.maxDelayMs, retry.delayMs * 2 ** Math.min(row.attempts, 20));
        this.statuses.retryAt(row.id, Date.now() + delay, e.message);
      } else {
        this.statuses.failed(row.id, e.message);
        this.log.warn({ forge: row.forge, context: row.context, err: e.message }, 'commit status refused');
      }
    }
  }
}
