import { open, stat } from 'node:fs/promises';
import type { PipelineNode } from '../pipeline/pipeline-node.js';

const POLL_MS = 100;
/** The most one read takes; a log that grew by more is sent in pieces this size. */
const CHUNK = 256 * 1024;
/** A finished job whose log never reaches its recorded length (pieces lost) is followed this long. */
const GRACE_MS = 2000;

/**
 * Followers of job logs, with one poll per followed log however many follow it: the poll stats
 * the file, reads what is new once (every follower that is caught up gets that same buffer),
 * and asks once whether the job still runs. A follower that wakes reads only what it has not
 * seen. Before, each follower opened the file and allocated 256 KiB every 100 ms: 1,000 of them
 * took the server to 159 % CPU and 870 MiB.
 */
export class LogTails {
  private readonly tails = new Map<number, Tail>();

  /** The log of node `nodeId` as it grows, until the job has finished and its log is complete, or `signal` aborts. */
  async *follow(
    nodeId: number,
    file: string,
    node: () => PipelineNode | undefined,
    signal: AbortSignal,
  ): AsyncGenerator<Buffer> {
    let tail = this.tails.get(nodeId);
    if (!tail) {
      tail = new Tail(file, node, () => this.tails.delete(nodeId));
      this.tails.set(nodeId, tail);
    }
    tail.join();
    let pos = 0;
    try {
      while (!signal.aborted) {
        const shared = tail.latest;
        if (shared && shared.from === pos && shared.buf.length > 0) {
          pos += shared.buf.length;
          yield shared.buf;
          continue;
        }
        if (tail.size > pos) {
          const chunk = await readFrom(file, pos, Math.min(tail.size - pos, CHUNK));
          if (chunk.length > 0) {
            pos += chunk.length;
            yield chunk;
            continue;
          }
        }
        if (tail.ended(pos)) return;
        await tail.next(signal);
      }
    } finally {
      tail.leave();
    }
  }
}

class Tail {
  /** The file's size at the last poll. */
  size = 0;
  /** What the last poll found new, read once for every follower that was caught up. */
  latest: { from: number; buf: Buffer } | undefined;
  private finishedAt: number | undefined;
  private expected = 0;
  private users = 0;
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly file: string,
    private readonly node: () => PipelineNode | undefined,
    private readonly onIdle: () => void,
  ) {}

  join(): void {
    this.users++;
    if (this.timer) return;
    this.timer = setInterval(() => void this.poll(), POLL_MS);
    void this.poll();
  }

  leave(): void {
    if (--this.users > 0) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.waiters.clear();
    this.onIdle();
  }

  /** True once the job is not running and the follower at `pos` has its whole log (or waited long enough). */
  ended(pos: number): boolean {
    if (this.finishedAt === undefined || pos < this.size) return false;
    return pos >= this.expected || Date.now() - this.finishedAt > GRACE_MS;
  }

  /** Resolves at the next poll that found something new (or the job finished), or on abort. */
  next(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      let changed = false;
      const size = (await stat(this.file).catch(() => undefined))?.size ?? 0;
      if (size > this.size) {
        const from = this.size;
        this.latest = { from, buf: await readFrom(this.file, from, Math.min(size - from, CHUNK)) };
        this.size = size;
        changed = true;
      }
      const n = this.node();
      if (n?.state !== 'running') {
        this.finishedAt ??= Date.now();
        this.expected = typeof n?.data.log_bytes === 'number' ? n.data.log_bytes : 0;
        // Waiting out the grace period: every poll may be the one that ends it.
        changed = true;
      }
      if (changed) for (const wake of [...this.waiters]) wake();
    } finally {
      this.polling = false;
    }
  }
}

async function readFrom(file: string, pos: number, length: number): Promise<Buffer> {
  let handle: import('node:fs/promises').FileHandle | undefined;
  try {
    handle = await open(file, 'r');
  } catch {
    return Buffer.alloc(0);
  }
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buf, 0, length, pos);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
