/**
 * Which part of the WAL file the checkpoint worker reads ahead of the writer, and when.
 *
 * A WAL frame is a page plus a 24-byte header, so frames never line up with the file system's
 * blocks: each frame the writer puts over old WAL content writes part of two blocks, and a block
 * that is not in the OS page cache is read from disk first, synchronously, inside the commit.
 * SQLite writes over old content at every restart of the WAL, and some machines (VMs that hand
 * idle page cache back to their host) evict the WAL's pages within a minute or so. Measured in
 * bench/decision: after 100 s of HTTP reads, the first 40 MiB of WAL frames written cost ~2.5 s
 * of disk reads on the event loop, and results waited 100–300 ms for their decision-change
 * message. Reading the region ahead of the writer from a worker thread brings it back into the
 * page cache while the event loop is free.
 */

export interface WalWarmOptions {
  /** WAL frame size: page size + 24. */
  frameBytes: number;
  /** Read at least this far ahead of the writer. */
  minAheadBytes: number;
  /** Never read further ahead than this in one go. */
  maxAheadBytes: number;
  /** A region read this long ago may have been evicted again: read it again. */
  refreshMs: number;
}

/** What one checkpoint told about the WAL: `wal_checkpoint`'s row, plus the file's size and the time. */
export interface WalObservation {
  /** A RESTART is about to be made: the next writer starts the WAL over. */
  restarting?: boolean;
  busy: number;
  /** Frames in the WAL (the writer's position); -1 when the checkpoint could not run. */
  log: number;
  /** Frames of those copied into the database file. */
  checkpointed: number;
  fileBytes: number;
  now: number;
}

export interface WalWarmState {
  /** The writer's position at the last look; undefined before the first. */
  lastLog: number | undefined;
  /** The region read lately, in bytes of the WAL file, and when its start was read. */
  warmFrom: number;
  warmTo: number;
  warmedAt: number;
}

export const initialWalWarmState: WalWarmState = {
  lastLog: undefined,
  warmFrom: 0,
  warmTo: 0,
  warmedAt: -Infinity,
};

const WAL_HEADER_BYTES = 32;

export function planWalWarm(
  state: WalWarmState,
  obs: WalObservation,
  opts: WalWarmOptions,
): { read: { from: number; to: number } | undefined; state: WalWarmState } {
  // SQLite reports -1 frames when the checkpoint did not run at all: another connection (a second
  // process's worker, a connection checkpointing on its own) held the checkpoint lock. Nothing is
  // known of the writer's position then.
  if (obs.log < 0) return { read: undefined, state };
  const last = state.lastLog ?? obs.log;
  // A writer that comes after a pause finds every frame copied and starts the WAL over from its
  // first frame; a busy one appends (its next commit comes before a checkpoint has caught up),
  // until a RESTART makes it start over.
  const idle = obs.busy === 0 && obs.checkpointed === obs.log && obs.log === last;
  const next = obs.restarting || idle ? 0 : WAL_HEADER_BYTES + obs.log * opts.frameBytes;
  // Since the last look: the frames appended, or (after a restart) at least those written since.
  const written = (obs.log >= last ? obs.log - last : obs.log) * opts.frameBytes;
  const ahead = Math.min(opts.maxAheadBytes, Math.max(opts.minAheadBytes, 2 * written));
  const to = Math.min(obs.fileBytes, next + ahead);
  const fresh = obs.now - state.warmedAt < opts.refreshMs;
  // Within the region read lately and not yet stale: only its continuation is new.
  const continuing = fresh && next >= state.warmFrom && next <= state.warmTo;
  const from = continuing ? state.warmTo : next;
  const nextState: WalWarmState = continuing
    ? { ...state, lastLog: obs.log, warmTo: Math.max(state.warmTo, to) }
    : { lastLog: obs.log, warmFrom: next, warmTo: Math.max(next, to), warmedAt: obs.now };
  return { read: to > from ? { from, to } : undefined, state: nextState };
}
