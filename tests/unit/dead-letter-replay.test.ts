import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HEADERS } from '../../bus/bus.js';
import { isWanted, refusalBeforeSending, replayHeaders, wantedIds } from '../../bus/dead-letter-replay.js';

test('a letter is refused before sending when it names no queue, a name no queue can have, or the dead-letter queue', () => {
  assert.match(refusalBeforeSending('', 'dlq')!, /names no queue \(no x-sluice-queue header\)/);
  assert.match(refusalBeforeSending('q'.repeat(256), 'dlq')!, /longer than 255 bytes/);
  // 128 two-byte characters: 256 bytes, as the broker counts them.
  assert.match(refusalBeforeSending('é'.repeat(128), 'dlq')!, /longer than 255 bytes/);
  assert.match(refusalBeforeSending('dlq', 'dlq')!, /"dlq" is the dead-letter queue itself/);
  assert.equal(refusalBeforeSending('sluice.ci-results', 'dlq'), undefined);
  assert.equal(refusalBeforeSending('q'.repeat(255), 'dlq'), undefined);
  assert.equal(refusalBeforeSending('dlq', undefined), undefined);
});

test("a replayed letter starts a fresh life: the last one's bookkeeping goes, everything else stays", () => {
  const headers = {
    [HEADERS.reason]: 'boom',
    [HEADERS.deadAt]: '2026-01-01T00:00:00.000Z',
    [HEADERS.attempt]: 3,
    [HEADERS.queue]: 'sluice.x',
    [HEADERS.notReplayed]: 'queue gone',
    [HEADERS.topic]: 'test.x',
    [HEADERS.requestId]: 'req-1',
    'sent-at': '2026-01-01T00:00:00.000Z',
  };
  assert.deepEqual(replayHeaders(headers), {
    [HEADERS.topic]: 'test.x',
    [HEADERS.requestId]: 'req-1',
    'sent-at': '2026-01-01T00:00:00.000Z',
  });
  assert.equal(headers[HEADERS.reason], 'boom', "the letter's own headers are not changed");
});

test('ids select by dead-letter id or message id; none selects all', () => {
  assert.equal(wantedIds([]), undefined);
  assert.equal(isWanted(wantedIds(undefined), '7', 'm'), true);
  const wanted = wantedIds(['7', 'm-2']);
  assert.equal(isWanted(wanted, '7', 'm-1'), true);
  assert.equal(isWanted(wanted, '8', 'm-2'), true);
  assert.equal(isWanted(wanted, '8', 'm-1'), false);
});
