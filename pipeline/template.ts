import { placeholderPlaces, type QuoteContext } from './shell-context.js';
import { shellQuote } from './shell-quote.js';

/**
 * `{{ name }}` templates, as job commands, labels and subjects use them. A value is a string
 * or a list (`known_good`, `parent.artifact_urls`). In a command every value is written so that
 * the shell reads exactly its text, whatever it holds, in the quoting where it stands (see
 * shell-context.ts): unquoted it becomes one '…' word (a list one word per item); inside '…' or
 * "…" it is escaped for that quoting (a list joined by spaces). A place where no quoting is safe
 * is refused, and so is a value with a NUL byte, which no shell command can hold.
 */
export type TemplateValue = string | readonly string[];

export type TemplatePart = { text: string } | { name: string; at: number };

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
const NAME = /^[a-z_]+(\.[A-Za-z0-9_-]+)*$/;

export class TemplateError extends Error {}

export function parseTemplate(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let last = 0;
  for (const m of template.matchAll(PLACEHOLDER)) {
    if (m.index > last) parts.push({ text: template.slice(last, m.index) });
    const name = m[1]!;
    if (!NAME.test(name))
      throw new TemplateError(`"{{ ${name} }}" at character ${m.index + 1} is not a value name`);
    parts.push({ name, at: m.index + 1 });
    last = m.index + m[0].length;
  }
  if (last < template.length) parts.push({ text: template.slice(last) });
  const stray = parts.find((p): p is { text: string } => 'text' in p && /\{\{|\}\}/.test(p.text));
  if (stray)
    throw new TemplateError(
      `an unclosed or malformed "{{ ... }}" in ${JSON.stringify(stray.text.slice(0, 40))}`,
    );
  return parts;
}

/** The value names a template uses. */
export function templateNames(template: string): string[] {
  return parseTemplate(template).flatMap((p) => ('name' in p ? [p.name] : []));
}

/**
 * Why a command template cannot be rendered safely, one `line N: {{ name }} reason` per
 * placeholder that stands where no quoting works; empty when every one can be.
 */
export function commandTemplateProblems(template: string): string[] {
  const parts = parseTemplate(template);
  if (template.includes('\0')) return ['holds a NUL byte, which no shell command can hold'];
  const places = placeholderPlaces(parts.map((p) => ('text' in p ? p.text : null)));
  const named = parts.filter((p): p is { name: string; at: number } => 'name' in p);
  return named.flatMap((p, k) => {
    const place = places[k]!;
    return 'refused' in place ? [`line ${lineOf(template, p.at)}: {{ ${p.name} }} ${place.refused}`] : [];
  });
}

export type Lookup = (name: string) => TemplateValue | undefined;

/**
 * `mode: 'shell'` writes each value for the quoting it stands in (commands); `'plain'` inserts
 * it as is (labels, subjects), a list joined by spaces. A name with no value throws, naming it:
 * a command must not run with a value silently missing.
 */
export function renderTemplate(template: string, lookup: Lookup, mode: 'shell' | 'plain'): string {
  const parts = parseTemplate(template);
  const places = mode === 'shell' ? placeholderPlaces(parts.map((p) => ('text' in p ? p.text : null))) : [];
  let out = '';
  let k = 0;
  for (const part of parts) {
    if ('text' in part) {
      out += part.text;
      continue;
    }
    const place = places[k++];
    if (place && 'refused' in place)
      throw new TemplateError(`line ${lineOf(template, part.at)}: {{ ${part.name} }} ${place.refused}`);
    const value = lookup(part.name);
    if (value === undefined) throw new TemplateError(`{{ ${part.name} }} has no value here`);
    if (!place) out += typeof value === 'string' ? value : value.join(' ');
    else {
      const items = typeof value === 'string' ? [value] : value;
      if (items.some((v) => v.includes('\0')))
        throw new TemplateError(`{{ ${part.name} }} holds a NUL byte, which no shell command can hold`);
      out += shellValue(items, typeof value === 'string', place.context);
    }
  }
  return out;
}

function shellValue(items: readonly string[], single: boolean, context: QuoteContext): string {
  switch (context) {
    case 'unquoted':
      return items.map(shellQuote).join(' ');
    case 'single':
      // Close the quote, an escaped quote, reopen: '\''.
      return (single ? items[0]! : items.join(' ')).replace(/'/g, `'\\''`);
    case 'double':
      // Inside "…" only $ ` " \ are special (a backslash before anything else stays).
      return (single ? items[0]! : items.join(' ')).replace(/[$`"\\]/g, '\\$&');
  }
}

function lineOf(template: string, at: number): number {
  let line = 1;
  for (let i = 0; i < at - 1; i++) if (template.charCodeAt(i) === 10) line++;
  return line;
}
