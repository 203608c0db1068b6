import { shellQuote } from './shell-quote.js';

/**
 * `{{ name }}` templates, as job commands, labels and subjects use them. A value is a string
 * or a list (`known_good`, `parent.artifact_urls`). In a command every value is shell-quoted,
 * so a branch name or a commit message is always one literal word and can run nothing; a list
 * becomes one quoted word per item.
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
    if (!NAME.test(name)) throw new TemplateError(`"{{ ${name} }}" at character ${m.index + 1} is not a value name`);
    parts.push({ name, at: m.index + 1 });
    last = m.index + m[0].length;
  }
  if (last < template.length) parts.push({ text: template.slice(last) });
  const stray = parts.find((p): p is { text: string } => 'text' in p && /\{\{|\}\}/.test(p.text));
  if (stray) throw new TemplateError(`an unclosed or malformed "{{ ... }}" in ${JSON.stringify(stray.text.slice(0, 40))}`);
  return parts;
}

/** The value names a template uses. */
export function templateNames(template: string): string[] {
  return parseTemplate(template).flatMap((p) => ('name' in p ? [p.name] : []));
}

export type Lookup = (name: string) => TemplateValue | undefined;

/**
 * `mode: 'shell'` quotes each value (commands); `'plain'` inserts it as is (labels, subjects),
 * a list joined by spaces. A name with no value throws, naming it: a command must not run with
 * a value silently missing.
 */
export function renderTemplate(template: string, lookup: Lookup, mode: 'shell' | 'plain'): string {
  let out = '';
  for (const part of parseTemplate(template)) {
    if ('text' in part) {
      out += part.text;
      continue;
    }
    const value = lookup(part.name);
    if (value === undefined) throw new TemplateError(`{{ ${part.name} }} has no value here`);
    if (typeof value === 'string') out += mode === 'shell' ? shellQuote(value) : value;
    else out += mode === 'shell' ? value.map(shellQuote).join(' ') : value.join(' ');
  }
  return out;
}
