/**
 * The known names closest to a mistyped one (a typo, a swapped pair of letters), for "did you
 * mean …?" hints. Only names within a third of the word's length in edits count: a hint that
 * is far off misleads more than none.
 */
export function closestNames(word: string, known: Iterable<string>, max = 3): string[] {
  const limit = Math.max(1, Math.floor(word.length / 3));
  return [...new Set(known)]
    .map((name) => ({ name, d: editDistance(word.toLowerCase(), name.toLowerCase()) }))
    .filter((c) => c.d <= limit && c.name !== word)
    .sort((a, b) => a.d - b.d || a.name.localeCompare(b.name))
    .slice(0, max)
    .map((c) => c.name);
}

/** ` (did you mean "a" or "b"?)`, or '' when nothing is close. */
export function didYouMean(word: string, known: Iterable<string>): string {
  const names = closestNames(word, known);
  if (names.length === 0) return '';
  return ` (did you mean ${names.map((n) => `"${n}"`).join(' or ')}?)`;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}
