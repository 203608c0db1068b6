import { html, type Html, type HtmlValue } from './html.js';
import { PAGE_PATHS } from './page-paths.js';

export const ASSET_PATHS = { css: '/dashboard/assets/dashboard.css', js: '/dashboard/assets/dashboard.js' };

export type Section = 'runs' | 'results' | 'waivers' | 'operations' | null;

export interface PageShell {
  title: string;
  section: Section;
  body: HtmlValue;
  /** Who is signed in, when anyone is. */
  user?: string | null;
}

const NAV: Array<[Exclude<Section, null>, string, string]> = [
  ['runs', 'Runs', PAGE_PATHS.runs()],
  ['results', 'Results', PAGE_PATHS.results()],
  ['waivers', 'Waivers', PAGE_PATHS.waivers()],
  ['operations', 'Operations', PAGE_PATHS.operations()],
];

/** Every page's frame: a skip link, the banner with the main navigation, one `main` landmark. */
export function layout({ title, section, body, user }: PageShell): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Sluice</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${ASSET_PATHS.css}">
<script src="${ASSET_PATHS.js}" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
<a class="brand" href="${PAGE_PATHS.runs()}">Sluice</a>
<nav aria-label="Main"><ul>${NAV.map(
    ([key, label, href]) =>
      html`<li><a href="${href}"${key === section ? html` aria-current="page"` : ''}>${label}</a></li>`,
  )}</ul></nav>
<span class="who">${user ? html`Signed in as ${user}` : ''}</span>
</header>
<main id="main">
${body}
<p id="live-status" class="muted" role="status" aria-live="polite"></p>
</main>
</body>
</html>`;
}

/** A state or result as a coloured badge (the word is always there: colour is not the only cue). */
export function badge(value: string | null | undefined, field?: string): Html {
  const v = value ?? 'none';
  return html`<span class="badge s-${v.replace(/[^\w-]/g, '')}"${field ? html` data-field="${field}"` : ''}>${v}</span>`;
}

export function when(ms: number | string | null | undefined): Html {
  if (ms === null || ms === undefined) return html`<span class="muted">—</span>`;
  const d = typeof ms === 'number' ? new Date(ms) : new Date(/Z|[+-]\d\d:?\d\d$/.test(ms) ? ms : `${ms}Z`);
  if (Number.isNaN(d.getTime())) return html`${String(ms)}`;
  const iso = d.toISOString();
  return html`<time datetime="${iso}">${iso.slice(0, 19).replace('T', ' ')} UTC</time>`;
}

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m ${s % 60}s` : `${Math.floor(m / 60)}h ${m % 60}m`;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function notice(text: HtmlValue, error = false): Html {
  return html`<p class="notice${error ? ' error' : ''}" role="${error ? 'alert' : 'note'}">${text}</p>`;
}
