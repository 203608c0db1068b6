import { escapeHtml } from './html.js';

/**
 * A job log's ANSI colours as HTML spans (SGR codes: bold, 8 + 8 bright foreground and background
 * colours, resets); every other escape sequence is dropped and the text is escaped. Classes, not
 * inline styles, so the page's stylesheet chooses colours that keep their contrast.
 */
const SEQUENCE = /\x1b\[([0-9;]*)([A-Za-z])|\x1b[()][A-Za-z0-9]|\x1b./g;

interface Style {
  bold: boolean;
  fg: number | null;
  bg: number | null;
}

export function ansiToHtml(text: string): string {
  const style: Style = { bold: false, fg: null, bg: null };
  let out = '';
  let last = 0;
  const emit = (chunk: string) => {
    if (!chunk) return;
    const classes = classesOf(style);
    if (classes) out += `<span class="${classes}">${escapeHtml(chunk)}</span>`;
    else out += escapeHtml(chunk);
  };
  for (const m of text.matchAll(SEQUENCE)) {
    emit(text.slice(last, m.index));
    last = m.index + m[0].length;
    if (m[2] === 'm') apply(style, m[1] ?? '');
  }
  emit(text.slice(last));
  // Other control characters (a bell, a backspace) have no place in the page.
  return out.replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g, '');
}

function apply(style: Style, params: string): void {
  const codes = params === '' ? [0] : params.split(';').map((p) => Number(p || '0'));
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i]!;
    if (c === 0) Object.assign(style, { bold: false, fg: null, bg: null });
    else if (c === 1) style.bold = true;
    else if (c === 22) style.bold = false;
    else if (c >= 30 && c <= 37) style.fg = c - 30;
    else if (c >= 90 && c <= 97) style.fg = c - 90 + 8;
    else if (c === 39) style.fg = null;
    else if (c >= 40 && c <= 47) style.bg = c - 40;
    else if (c >= 100 && c <= 107) style.bg = c - 100 + 8;
    else if (c === 49) style.bg = null;
    // 256-colour and true-colour forms: their arguments are skipped, the colour is not kept.
    else if (c === 38 || c === 48) i += codes[i + 1] === 5 ? 2 : codes[i + 1] === 2 ? 4 : 0;
  }
}

function classesOf(s: Style): string {
  const c: string[] = [];
  if (s.bold) c.push('ansi-b');
  if (s.fg !== null) c.push(`ansi-f${s.fg}`);
  if (s.bg !== null) c.push(`ansi-g${s.bg}`);
  return c.join(' ');
}
