import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  initialWalWarmState,
  planWalWarm,
  type WalObservation,
  type WalWarmOptions,
} from '../../db/wal-warm-plan.js';

const MiB = 1 << 20;
const frame = 4096 + 24;
const opts: WalWarmOptions = {
  frameBytes: frame,
  minAheadBytes: 8 * MiB,
  maxAheadBytes: 64 * MiB,
  refreshMs: 5000,
};
const obs = (o: Partial<WalObservation>): WalObservation => ({
  busy: 0,
  log: 0,
  checkpointed: 0,
  fileBytes: 40 * MiB,
  now: 0,
  ...o,
});

test('a paused writer (every frame copied, none added since the last look) will start the WAL over: its first frames are read', () => {
  const first = planWalWarm(initialWalWarmState, obs({ log: 9000, checkpointed: 9000 }), opts);
  assert.deepEqual(first.read, { from: 0, to: 8 * MiB });
  const later = planWalWarm(
    { ...initialWalWarmState, lastLog: 9000 },
    obs({ log: 9000, checkpointed: 9000 }),
    opts,
  );
  assert.deepEqual(later.read, { from: 0, to: 8 * MiB });
});

test('a busy writer appends even when the checkpoint had caught up, so what follows its last frame is read', () => {
  const { read } = planWalWarm(
    { ...initialWalWarmState, lastLog: 400 },
    obs({ log: 1000, checkpointed: 1000 }),
    opts,
  );
  assert.equal(read?.from, 32 + 1000 * frame);
  const behind = planWalWarm(initialWalWarmState, obs({ log: 1000, checkpointed: 400 }), opts);
  assert.deepEqual(behind.read, { from: 32 + 1000 * frame, to: 32 + 1000 * frame + 8 * MiB });
});

test('before a RESTART the first frames of the WAL are read, where the writer goes next, as far ahead as it writes', () => {
  const { read } = planWalWarm(
    { ...initialWalWarmState, lastLog: 7000 },
    obs({ log: 10000, checkpointed: 10000, restarting: true, fileBytes: 60 * MiB }),
    opts,
  );
  assert.deepEqual(read, { from: 0, to: 2 * 3000 * frame });
});

test('a checkpoint that could not run (busy) does not count as every frame copied', () => {
  const { read } = planWalWarm(initialWalWarmState, obs({ busy: 1, log: 1000, checkpointed: 1000 }), opts);
  assert.equal(read?.from, 32 + 1000 * frame);
});

test('a checkpoint another connection kept from running (-1 frames) reads nothing and forgets nothing', () => {
  const state = { lastLog: 1000, warmFrom: 0, warmTo: 8 * MiB, warmedAt: 0 };
  const plan = planWalWarm(state, obs({ busy: 1, log: -1, checkpointed: -1, now: 10 }), opts);
  assert.equal(plan.read, undefined);
  assert.deepEqual(plan.state, state);
});

test('nothing past the end of the file is read: appending there reads nothing from disk', () => {
  const { read } = planWalWarm(
    initialWalWarmState,
    obs({ log: 9000, checkpointed: 10, fileBytes: 32 + 9500 * frame }),
    opts,
  );
  assert.deepEqual(read, { from: 32 + 9000 * frame, to: 32 + 9500 * frame });
  const atEnd = planWalWarm(
    initialWalWarmState,
    obs({ log: 9500, checkpointed: 10, fileBytes: 32 + 9500 * frame }),
    opts,
  );
  assert.equal(atEnd.read, undefined);
});

test('while the writer moves within the region read lately, only the new part ahead of it is read', () => {
  const first = planWalWarm(initialWalWarmState, obs({ log: 100, checkpointed: 0, now: 0 }), opts);
  const second = planWalWarm(first.state, obs({ log: 600, checkpointed: 100, now: 200 }), opts);
  assert.equal(second.read?.from, first.read?.to);
  assert.equal(second.read?.to, 32 + 600 * frame + 8 * MiB);
  // The writer has not moved and the region is fresh: nothing to read.
  const idle = planWalWarm(second.state, obs({ log: 600, checkpointed: 300, now: 400 }), opts);
  assert.equal(idle.read, undefined);
});

test('a region read long ago may have been evicted since: it is read again', () => {
  const first = planWalWarm(initialWalWarmState, obs({ log: 9000, checkpointed: 9000, now: 0 }), opts);
  const soon = planWalWarm(first.state, obs({ log: 9000, checkpointed: 9000, now: 4000 }), opts);
  assert.equal(soon.read, undefined);
  const later = planWalWarm(soon.state, obs({ log: 9000, checkpointed: 9000, now: 6000 }), opts);
  assert.deepEqual(later.read, { from: 0, to: 8 * MiB });
});

test('after the WAL restarted, the region at its start is read even if a region further on was read lately', () => {
  const before = planWalWarm(initialWalWarmState, obs({ log: 8000, checkpointed: 100, now: 0 }), opts);
  const restarted = planWalWarm(before.state, obs({ log: 50, checkpointed: 0, now: 200 }), opts);
  assert.equal(restarted.read?.from, 32 + 50 * frame);
});

test('a fast writer gets a longer read-ahead (twice what it wrote since the last look), up to the maximum', () => {
  const first = planWalWarm(
    initialWalWarmState,
    obs({ log: 0, checkpointed: 0, fileBytes: 200 * MiB, now: 0 }),
    opts,
  );
  // 5,000 frames (~20 MiB) in one interval: 40 MiB ahead.
  const fast = planWalWarm(
    first.state,
    obs({ log: 5000, checkpointed: 10, fileBytes: 200 * MiB, now: 200 }),
    opts,
  );
  assert.equal(fast.read?.to, 32 + 5000 * frame + 2 * 5000 * frame);
  const faster = planWalWarm(
    fast.state,
    obs({ log: 25000, checkpointed: 10, fileBytes: 400 * MiB, now: 400 }),
    opts,
  );
  assert.equal(faster.read?.to, 32 + 25000 * frame + 64 * MiB);
});
