/**
 * Where each `{{ value }}` of a job command sits in the POSIX shell syntax around it, so that
 * the value can be written there as exactly its own text: unquoted (it becomes a '…' word),
 * inside '…' (a quote in it is closed, escaped and reopened) or inside "…" ($ ` " \ escaped).
 *
 * Anywhere else no quoting is safe for every shell a builder may have (dash, bash in POSIX
 * mode), and the place is refused with the reason: a comment (a newline in the value would end
 * it), a here-document (a line of the value could end it; `$` and quotes mean other things
 * there), backquotes (their backslash rules differ), `${…}` and `$((…))`, right after `$` or
 * `\`, inside `$'…'` (bash reads it, dash does not), and anywhere after a `case` inside `$(…)` (its
 * `pat)` cannot be told from the end of the substitution without a full parser).
 *
 * A lexer, not a parser: it follows quotes, substitutions, comments and here-documents, which is
 * all that decides how a word is read.
 */
export type QuoteContext = 'unquoted' | 'single' | 'double';
export type PlaceholderPlace = { context: QuoteContext } | { refused: string };

/** Text, and placeholders (as `null`) in their order. */
export type CommandPiece = string | null;

type FrameKind =
  | 'top'
  | 'subst'
  | 'single'
  | 'double'
  | 'backtick'
  | 'param'
  | 'arith'
  | 'dollar-single'
  | 'comment';

interface Frame {
  kind: FrameKind;
  /** Open `(` (or `{` in `${…}`) inside this frame, so the right `)` or `}` closes it. */
  depth: number;
}

const REFUSED_IN: Partial<Record<FrameKind, string>> = {
  comment: 'is inside a comment, where a newline in the value would end the comment and run the rest',
  backtick: 'is inside `…` (backquotes), whose backslash rules no quoting survives; use "$(…)"',
  param: 'is inside ${…}, where no quoting is the same for every shell; set a variable first',
  arith: 'is inside $((…)), where a value would be read as arithmetic',
  'dollar-single': "is inside $'…', which bash and dash read differently",
};

const HEREDOC =
  "is inside a here-document, where a line of the value could end it; pass it as an argument (printf '%s\\n' {{ … }}) instead";
const OPERATOR_CHARS = new Set([';', '&', '|', '(', ')', '<', '>']);

export function placeholderPlaces(pieces: readonly CommandPiece[]): PlaceholderPlace[] {
  // One stream of characters and placeholders (null).
  const items: Array<string | null> = [];
  for (const p of pieces) {
    if (p === null) items.push(null);
    else for (const ch of p) items.push(ch);
  }
  const places: PlaceholderPlace[] = [];
  const stack: Frame[] = [{ kind: 'top', depth: 0 }];
  const top = () => stack[stack.length - 1]!;
  const push = (kind: FrameKind) => stack.push({ kind, depth: 0 });
  let escaped = false;
  let afterDollar: boolean = false;
  let poisoned: string | undefined; // every later placeholder is refused, with this reason
  const heredocs: Array<{ end: string | undefined; stripTabs: boolean }> = [];
  let wordStart = true;

  const placeholder = () => {
    let reason = poisoned;
    if (!reason && escaped)
      reason = 'is right after a backslash, which would take the quote that starts the value';
    if (!reason && afterDollar)
      reason = 'is right after a $, which would make part of the value a variable or a quote';
    if (!reason) {
      for (let i = stack.length - 1; i >= 0 && !reason; i--) {
        const f = stack[i]!;
        reason = REFUSED_IN[f.kind];
      }
    }
    const kind = top().kind;
    places.push(
      reason
        ? { refused: reason }
        : { context: kind === 'single' ? 'single' : kind === 'double' ? 'double' : 'unquoted' },
    );
    escaped = false;
    afterDollar = false;
    wordStart = false;
  };

  // Reads a here-document's end word after `<<` / `<<-`; quotes in it are removed.
  const readHeredocWord = (i: number): { end: string | undefined; next: number } => {
    while (items[i] === ' ' || items[i] === '\t') i++;
    let word = '';
    let quote: string | undefined;
    for (; i < items.length; i++) {
      const c = items[i];
      if (c === null) return { end: undefined, next: i };
      if (quote) {
        if (c === quote) quote = undefined;
        else word += c;
        continue;
      }
      if (c === "'" || c === '"') quote = c;
      else if (c === '\\') word += items[++i] ?? '';
      else if (c === ' ' || c === '\t' || c === '\n' || OPERATOR_CHARS.has(c!)) break;
      else word += c;
    }
    return { end: word, next: i };
  };

  // The bodies of the here-documents opened on the line that just ended, from item i.
  const readHeredocBodies = (i: number): number => {
    for (const doc of heredocs.splice(0)) {
      for (;;) {
        if (i >= items.length) return i;
        let line = '';
        let hasPlaceholder = false;
        for (; i < items.length && items[i] !== '\n'; i++) {
          const c = items[i];
          if (c === null) {
            hasPlaceholder = true;
            places.push({ refused: poisoned ?? HEREDOC });
          } else line += c;
        }
        i++; // the newline
        const text = doc.stripTabs ? line.replace(/^\t+/, '') : line;
        if (!hasPlaceholder && doc.end !== undefined && text === doc.end) break;
      }
    }
    return i;
  };

  for (let i = 0; i < items.length; i++) {
    const c = items[i];
    if (c === null) {
      placeholder();
      continue;
    }
    const f = top();
    const wasWordStart = wordStart;
    const wasAfterDollar: boolean = afterDollar;
    afterDollar = false;
    wordStart = false;

    if (f.kind === 'single') {
      if (c === "'") stack.pop();
      continue;
    }
    if (f.kind === 'comment') {
      if (c === '\n') {
        stack.pop();
        i--; // the newline ends the line for the frame below too
      }
      continue;
    }
    if (f.kind === 'dollar-single' || f.kind === 'backtick') {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if ((f.kind === 'dollar-single' && c === "'") || (f.kind === 'backtick' && c === '`')) stack.pop();
      continue;
    }
    if (escaped) {
      escaped = false;
      continue;
    }
    if (c === '\\') {
      escaped = true;
      continue;
    }
    if (f.kind === 'arith') {
      if (c === '(') f.depth++;
      else if (c === ')') {
        if (f.depth > 0) f.depth--;
        else {
          if (items[i + 1] === ')') i++;
          // bash reads `$((cmd) ...)` as a command substitution: where it ends is unclear.
          else poisoned = 'comes after a "$((" that is not closed by "))"';
          stack.pop();
        }
      }
      continue;
    }
    if (c === '`') {
      push('backtick');
      continue;
    }
    if (c === '$') {
      const next = items[i + 1];
      if (next === '(' && items[i + 2] === '(') {
        push('arith');
        i += 2;
      } else if (next === '(') {
        push('subst');
        i += 1;
        wordStart = true;
      } else if (next === '{') {
        push('param');
        i += 1;
      } else if (next === "'" && f.kind !== 'double') {
        // bash's $'…' (dash has none): the shells would split the rest differently.
        poisoned = "comes after a $'…' string, which bash and dash read differently";
        push('dollar-single');
        i += 1;
      } else afterDollar = !wasAfterDollar;
      continue;
    }
    if (f.kind === 'double') {
      if (c === '"') stack.pop();
      continue;
    }
    if (c === '"') {
      push('double');
      continue;
    }
    if (f.kind === 'param') {
      if (c === "'") push('single');
      else if (c === '{') f.depth++;
      else if (c === '}') {
        if (f.depth > 0) f.depth--;
        else stack.pop();
      }
      continue;
    }
    // Unquoted: the top level or inside $(…).
    if (c === "'") {
      push('single');
      continue;
    }
    if (c === '#' && wasWordStart) {
      push('comment');
      continue;
    }
    if (c === '(') f.depth++;
    else if (c === ')') {
      if (f.depth > 0) f.depth--;
      else if (f.kind === 'subst') stack.pop();
    } else if (c === '<' && items[i + 1] === '<' && items[i + 2] === '<') {
      i += 2; // bash's here-string: a word follows, not a here-document
    } else if (c === '<' && items[i + 1] === '<') {
      const stripTabs = items[i + 2] === '-';
      const { end, next } = readHeredocWord(i + (stripTabs ? 3 : 2));
      if (end === undefined) poisoned = 'comes after a here-document whose end word is a template value';
      heredocs.push({ end, stripTabs });
      i = next - 1;
      continue;
    } else if (c === '\n' && heredocs.length) {
      i = readHeredocBodies(i + 1) - 1;
      wordStart = true;
      continue;
    } else if (
      f.kind === 'subst' &&
      wasWordStart &&
      isWord(items.slice(i, i + 4), 'case') &&
      !isWordChar(items[i + 4])
    ) {
      // Its `pat)` may be read as the end of the substitution: nothing after it is certain.
      poisoned =
        'comes after a case statement inside $(…), whose pattern ")" cannot be told from the end of the substitution';
    }
    wordStart = c === ' ' || c === '\t' || c === '\n' || OPERATOR_CHARS.has(c);
  }
  return places;
}

function isWord(chars: Array<string | null>, word: string): boolean {
  return !chars.includes(null) && chars.join('') === word;
}

function isWordChar(c: string | null | undefined): boolean {
  return c === null || (c !== undefined && !/[\s;&|()<>]/.test(c));
}
