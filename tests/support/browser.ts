import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { ROOT } from './paths.js';

/** Debian's chromium (scripts/ensure-debian-packages.sh installs it); playwright downloads nothing. */
const CANDIDATES = [process.env.SLUICE_CHROMIUM, '/usr/lib/chromium/chromium', '/usr/bin/chromium'];
export const CHROMIUM = CANDIDATES.find((p): p is string => !!p && existsSync(p));
const NO_CHROMIUM =
  'chromium is not installed (run scripts/ensure-debian-packages.sh, or set SLUICE_CHROMIUM to its path)';

export const SCREENSHOT_DIR = path.join(ROOT, 'test-output', 'screenshots');

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');

/** A headless chromium for this test, closed after it; undefined (the test skipped) when missing, outside CI. */
export async function openBrowser(t: TestContext): Promise<Browser | undefined> {
  if (!CHROMIUM) {
    if (process.env.CI === 'true') throw new Error(NO_CHROMIUM);
    t.skip(NO_CHROMIUM);
    return undefined;
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    // Root in a container has no user namespace for the sandbox.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
  t.after(() => browser.close());
  return browser;
}

/** A page whose console errors and failed requests fail the test (a broken script shows up here). */
export async function newPage(browser: Browser): Promise<{ page: Page; errors: string[] }> {
  // axe-core is injected as an inline script: the pages' own CSP would (rightly) refuse it.
  const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`page error: ${err.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  return { page, errors };
}

/** axe-core on the page as it is now: no serious or critical violation. */
export async function assertAccessible(page: Page, name: string): Promise<void> {
  await page.addScriptTag({ path: AXE });
  const violations = (await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<unknown> } })
      .axe;
    const r = (await axe.run((globalThis as unknown as { document: unknown }).document, {
      resultTypes: ['violations'],
    })) as {
      violations: Array<{ id: string; impact: string; help: string; nodes: Array<{ target: string[] }> }>;
    };
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
    }));
  })) as Array<{ id: string; impact: string; help: string; targets: string[] }>;
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad, [], `${name}: accessibility violations:\n${JSON.stringify(bad, null, 2)}`);
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * What a person sees of an element, whitespace collapsed: the rendered text (`innerText`), not
 * `textContent`, which also holds hidden text and none of the layout's line breaks.
 */
export async function shown(locator: Locator): Promise<string> {
  // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is the point
  return (await locator.first().innerText()).replace(/\s+/g, ' ').trim();
}
