/**
 * AMQP topic matching as RabbitMQ does it: words split on ".", `*` is exactly one word,
 * `#` is zero or more words.
 */
export function topicMatches(pattern: string, topic: string): boolean {
  return matchWords(pattern.split('.'), 0, topic.split('.'), 0, new Map());
}

function matchWords(p: string[], i: number, t: string[], j: number, memo: Map<number, boolean>): boolean {
  const key = i * (t.length + 1) + j;
  const hit = memo.get(key);
  if (hit !== undefined) return hit;
  let result: boolean;
  if (i === p.length) result = j === t.length;
  else if (p[i] === '#')
    result = matchWords(p, i + 1, t, j, memo) || (j < t.length && matchWords(p, i, t, j + 1, memo));
  else result = j < t.length && (p[i] === '*' || p[i] === t[j]) && matchWords(p, i + 1, t, j + 1, memo);
  memo.set(key, result);
  return result;
}

/** A pattern is words of letters, digits, `-`, `_`, or a lone `*` / `#`, joined by dots. */
export function isValidTopicPattern(pattern: string): boolean {
  return /^(?:[A-Za-z0-9_-]+|\*|#)(?:\.(?:[A-Za-z0-9_-]+|\*|#))*$/.test(pattern);
}

export function isValidTopic(topic: string): boolean {
  return topic.length <= 255 && /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/.test(topic);
}
