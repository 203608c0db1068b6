/**
 * Python's fnmatch.fnmatchcase as a RegExp, for patterns written for WaiverDB and Greenwave
 * (permissions' testcases; policies' `product_versions`, `packages`, `excluded_packages`):
 * `*` any run of characters (dots and slashes too), `?` one character, `[abc]`, `[a-z]`, `[!abc]`
 * a set; a `[` without its `]` is itself. Case-sensitive, whole string. As in Python 3.9+, a
 * reversed range (`[z-a]`) matches nothing instead of being an error.
 */
export function fnmatchRegExp(pattern: string): RegExp {
  let re = '';
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i++]!;
    if (c === '*') {
      while (pattern[i] === '*') i++;
      re += '[\\s\\S]*';
    } else if (c === '?') {
      re += '[\\s\\S]';
    } else if (c === '[') {
      const set = readSet(pattern, i);
      if (!set) re += '\\[';
      else {
        re += set.regex;
        i = set.next;
      }
    } else {
      re += escapeRegexChar(c);
    }
  }
  return new RegExp(`^(?:${re})$`);
}

// Compiled patterns are kept: the same few globs are matched on every decision.
const compiled = new Map<string, RegExp>();
const MAX_CACHED = 10_000;

export function fnmatch(name: string, pattern: string): boolean {
  let re = compiled.get(pattern);
  if (!re) {
    re = fnmatchRegExp(pattern);
    if (compiled.size >= MAX_CACHED) compiled.clear();
    compiled.set(pattern, re);
  }
  return re.test(name);
}

/** The set that starts after a `[` at `start`, or undefined when it has no closing `]`. */
function readSet(pattern: string, start: number): { regex: string; next: number } | undefined {
  let j = start;
  if (pattern[j] === '!') j++;
  if (pattern[j] === ']') j++; // a `]` first in the set is a member, not its end
  while (j < pattern.length && pattern[j] !== ']') j++;
  if (j >= pattern.length) return undefined;
  let body = pattern.slice(start, j);
  const negate = body.startsWith('!');
  if (negate) body = body.slice(1);
  const parts: string[] = [];
  for (let k = 0; k < body.length; k++) {
    const from = body[k]!;
    if (body[k + 1] === '-' && k + 2 < body.length) {
      const to = body[k + 2]!;
      if (from <= to) parts.push(`${escapeInSet(from)}-${escapeInSet(to)}`);
      k += 2;
    } else {
      parts.push(escapeInSet(from));
    }
  }
  const members = parts.join('');
  let regex: string;
  if (members === '') regex = negate ? '[\\s\\S]' : '(?!)';
  else regex = `[${negate ? '^' : ''}${members}]`;
  return { regex, next: j + 1 };
}

function escapeRegexChar(c: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(c) ? `\\${c}` : c;
}

function escapeInSet(c: string): string {
  return /[\\\]^[-]/.test(c) ? `\\${c}` : c;
}
