import { splitNvr } from '../gating/nvr.js';

/**
 * rpm's rpmvercmp: which of two version (or release) strings is newer, segment by segment.
 * Digits compare as numbers and beat letters; `~` sorts before anything (pre-releases:
 * 1.0~rc1 < 1.0) and `^` after the plain version but before any further segment (snapshots:
 * 1.0 < 1.0^git1 < 1.0.1); other characters only separate segments. Returns -1, 0 or 1.
 */
export function rpmvercmp(a: string, b: string): -1 | 0 | 1 {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while (i < a.length && isSeparator(a[i]!)) i++;
    while (j < b.length && isSeparator(b[j]!)) j++;
    if (a[i] === '~' || b[j] === '~') {
      if (a[i] !== '~') return 1;
      if (b[j] !== '~') return -1;
      i++;
      j++;
      continue;
    }
    if (a[i] === '^' || b[j] === '^') {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (a[i] !== '^') return 1;
      if (b[j] !== '^') return -1;
      i++;
      j++;
      continue;
    }
    if (i >= a.length || j >= b.length) break;
    const numeric = isDigit(a[i]!);
    const same = numeric ? isDigit : isAlpha;
    let ei = i;
    let ej = j;
    while (ei < a.length && same(a[ei]!)) ei++;
    while (ej < b.length && same(b[ej]!)) ej++;
    // A number against letters: the number is newer.
    if (ej === j) return numeric ? 1 : -1;
    let x = a.slice(i, ei);
    let y = b.slice(j, ej);
    if (numeric) {
      x = x.replace(/^0+/, '');
      y = y.replace(/^0+/, '');
      if (x.length !== y.length) return x.length > y.length ? 1 : -1;
    }
    if (x !== y) return x < y ? -1 : 1;
    i = ei;
    j = ej;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

/** Two builds of one package by version, then release: `bash-5.2.10-1.fc41` is newer than `bash-5.2.9-3.fc41`. */
export function compareNvr(a: string, b: string): -1 | 0 | 1 {
  const x = splitNvr(a) ?? { version: a, release: '' };
  const y = splitNvr(b) ?? { version: b, release: '' };
  return rpmvercmp(x.version, y.version) || rpmvercmp(x.release, y.release);
}

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

function isAlpha(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

function isSeparator(c: string): boolean {
  return !isDigit(c) && !isAlpha(c) && c !== '~' && c !== '^';
}
