import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isValidTopic, isValidTopicPattern, topicMatches } from '../../schemas/topic-pattern.js';

describe('topicMatches routes as a RabbitMQ topic exchange does', () => {
  const cases: Array<[pattern: string, topic: string, matches: boolean]> = [
    // literal words
    ['a.b.c', 'a.b.c', true],
    ['a.b.c', 'a.b', false],
    ['a.b', 'a.b.c', false],
    ['a.b.c', 'a.x.c', false],
    ['git.receive', 'git.receivex', false],
    // `*` is exactly one word
    ['*', 'a', true],
    ['*', 'a.b', false],
    ['a.*', 'a.b', true],
    ['a.*', 'a', false],
    ['a.*', 'a.b.c', false],
    ['*.b', 'a.b', true],
    ['*.b', 'a.x.b', false],
    ['*.b', 'b', false],
    ['a.*.c', 'a.b.c', true],
    ['a.*.c', 'a.c', false],
    ['*.*', 'a.b', true],
    ['*.*', 'a.b.c', false],
    // `#` is zero or more words
    ['#', 'a', true],
    ['#', 'a.b.c.d.e', true],
    ['a.#', 'a', true],
    ['a.#', 'a.b', true],
    ['a.#', 'a.b.c', true],
    ['a.#', 'b.a', false],
    ['a.#', 'ab', false],
    ['#.c', 'c', true],
    ['#.c', 'a.b.c', true],
    ['#.c', 'a.b.c.d', false],
    ['a.#.c', 'a.c', true],
    ['a.#.c', 'a.b.c', true],
    ['a.#.c', 'a.b.x.c', true],
    ['a.#.c', 'a.b', false],
    ['#.b.#', 'b', true],
    ['#.b.#', 'a.b.c', true],
    ['#.b.#', 'a.c', false],
    ['#.#', 'a.b', true],
    // mixed
    ['*.#', 'a', true],
    ['*.#', 'a.b.c', true],
    ['#.*', 'a', true],
    ['a.*.#', 'a', false],
    ['a.*.#', 'a.b', true],
    ['a.*.#', 'a.b.c.d', true],
    ['*.b.#', 'x.b', true],
    ['*.b.#', 'b.x', false],
    ['test.*', 'test.c.d', false],
  ];
  for (const [pattern, topic, expected] of cases) {
    test(`"${pattern}" ${expected ? 'matches' : 'does not match'} "${topic}"`, () => {
      assert.equal(topicMatches(pattern, topic), expected);
    });
  }

  test('a long topic against many `#` finishes quickly (no exponential backtracking)', () => {
    const topic = Array.from({ length: 200 }, (_, i) => `w${i}`).join('.');
    const pattern = `${Array.from({ length: 50 }, () => '#').join('.')}.nomatch`;
    const started = Date.now();
    assert.equal(topicMatches(pattern, topic), false);
    assert.ok(Date.now() - started < 1000, 'matching took more than a second');
  });
});

describe('isValidTopicPattern', () => {
  const cases: Array<[string, boolean]> = [
    ['a', true],
    ['git.receive', true],
    ['a-b_c.D9', true],
    ['*', true],
    ['#', true],
    ['a.*.#', true],
    ['#.c', true],
    ['', false],
    ['a.', false],
    ['.a', false],
    ['a..b', false],
    ['a*', false],
    ['a.b#', false],
    ['**', false],
    ['a b', false],
    ['a/b', false],
  ];
  for (const [pattern, valid] of cases) {
    test(`${JSON.stringify(pattern)} is ${valid ? 'valid' : 'invalid'}`, () => {
      assert.equal(isValidTopicPattern(pattern), valid);
    });
  }
});

describe('isValidTopic', () => {
  const cases: Array<[string, boolean]> = [
    ['a', true],
    ['git.receive', true],
    ['a-b_c.D9', true],
    ['', false],
    ['*', false],
    ['#', false],
    ['a.*', false],
    ['a.#', false],
    ['a.', false],
    ['a..b', false],
    ['a b', false],
    ['a'.repeat(255), true],
    ['a'.repeat(256), false],
  ];
  for (const [topic, valid] of cases) {
    test(`${topic.length > 20 ? `a topic of ${topic.length} characters` : JSON.stringify(topic)} is ${valid ? 'valid' : 'invalid'}`, () => {
      assert.equal(isValidTopic(topic), valid);
    });
  }
});
