import type { MailContent } from '../db/mail-outbox.js';
import { html, htmlText, type Html } from './html.js';

/** Every mail ends by saying why the reader got it, so that they know which rule to change. */
export function mailContent(subject: string, rule: string, text: string, body: Html): MailContent {
  const footer = `You get this mail because of the Sluice notification rule "${rule}".`;
  const page = html`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>${subject}</title>
<style>body{font-family:sans-serif;font-size:14px;color:#222}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left;vertical-align:top}pre{background:#f6f6f6;padding:8px;overflow-x:auto;font-size:12px}.fail{color:#b00}.pass{color:#070}.footer{color:#777;font-size:12px;margin-top:2em}</style>
</head><body>
${body}
<p class="footer">${footer}</p>
</body></html>
`;
  return { subject: oneLine(subject), text: `${text.trimEnd()}\n\n-- \n${footer}\n`, html: htmlText(page) };
}

/** Aligned columns for plain-text tables. */
export function textTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function indent(text: string, prefix = '    '): string {
  return text
    .split('\n')
    .map((l) => (l ? prefix + l : l))
    .join('\n');
}

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

/** Header values must not break lines: a subject made from message fields is folded to one. */
function oneLine(s: string): string {
  return s.replace(/[\r\n\t]+/g, ' ').slice(0, 300);
}
