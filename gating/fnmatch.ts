/**
 * Python's fnmatch.fnmatchcase, which Greenwave uses for `product_versions`, `packages` and
 * `excluded_packages`: `*` any run, `?` one character, `[seq]` / `[!seq]` a class; an unclosed
 * `[` is literal. Case-sensitive, as fnmatch is on POSIX. Compiled patterns are kept because the
 * same few globs are matched on every decision.
 */
const compiled = new Map<string, RegExp>();
const MAX_CACHED = 10_000;

export function fnmatch(name: string, pattern: string): boolean {
  let re = compiled.get(pattern);
  if (!re) {
    re = new RegExp(`^${translate(pattern)}$`, 's');
    if (compiled.size >= MAX_CACHED) compiled.clear();
    compiled.set(pattern, re);
  }
  return re.test(name);
}

function translate(pattern: string): string {
  let out = '';
  let i = 0;
  const n = pattern.length;
  while (i < n) {
    const c = pattern[i++]!;
    if (c === '*') {
      // Runs of stars mean the same as one and would only slow the regex down.
      while (pattern[i] === '*') i++;
      out += '.*';
    } else if (c === '?') {
      out += '.';
    } else if (c === '[') {
      let j = i;
      if (pattern[j] === '!') j++;
      if (pattern[j] === ']') j++;
      while (j < n && pattern[j] !== ']') j++;
      if (j >= n) {
        out += '\\[';
        continue;
      }
      let body = pattern.slice(i, j);
      i = j + 1;
      body = body.replace(/\\/g, '\\\\');
      if (body.startsWith('!')) body = `^${body.slice(1)}`;
      else if (body.startsWith('^')) body = `\\${body}`;
      out += `[${body}]`;
    } else {
      out += c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
    }
  }
  return out;
}
