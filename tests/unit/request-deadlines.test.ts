import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RequestDeadlines } from '../../api/request-deadlines.js';

function clocked(limitMs: number) {
  let now = 1000;
  const expired: string[] = [];
  const deadlines = new RequestDeadlines<string>(
    limitMs,
    10_000,
    (key) => expired.push(key),
    () => now,
  );
  return { deadlines, expired, advance: (ms: number) => (now += ms) };
}

test('a request still pending at its limit expires once, oldest first; one answered in time never does', (t) => {
  const { deadlines, expired, advance } = clocked(100);
  t.after(() => deadlines.clear());
  deadlines.add('a');
  advance(30);
  deadlines.add('b');
  deadlines.add('answered');
  advance(30);
  deadlines.add('c');
  deadlines.remove('answered');
  advance(39); // a is at 99 ms
  deadlines.sweep();
  assert.deepEqual(expired, []);
  advance(1); // a at 100 ms
  deadlines.sweep();
  assert.deepEqual(expired, ['a']);
  advance(100); // b at 170, c at 140
  deadlines.sweep();
  assert.deepEqual(expired, ['a', 'b', 'c']);
  advance(1000);
  deadlines.sweep();
  assert.deepEqual(expired, ['a', 'b', 'c'], 'nothing expires twice');
});

test('the timer expires pending requests on its own, and starts again after it stopped for want of any', async () => {
  const expired: number[] = [];
  const deadlines = new RequestDeadlines<number>(20, 5, (key) => expired.push(key));
  const settle = () => new Promise((r) => setTimeout(r, 80));
  deadlines.add(1);
  deadlines.add(2);
  deadlines.remove(2);
  await settle();
  assert.deepEqual(expired, [1]);
  // Nothing was pending, so the timer stopped; a new request must start it again.
  deadlines.add(3);
  deadlines.add(4);
  deadlines.remove(4);
  await settle();
  assert.deepEqual(expired, [1, 3]);
  deadlines.clear();
});
