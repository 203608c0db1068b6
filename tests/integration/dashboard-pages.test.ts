import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import type { RawConfig } from '../../config/config-types.js';
import { PAGE_PATHS } from '../../dashboard/page-paths.js';
import { assertAccessible, newPage, openBrowser, screenshot, shown } from '../support/browser.js';
import { tempDir } from '../support/paths.js';
import { startPipeline } from '../support/pipeline-harness.js';
import { policiesDir } from '../support/policies-dir.js';
import { waitFor } from '../support/wait-for.js';

/**
 * Two gating points for koji builds: stable needs both unit tests, testing needs one of them and
 * an ABI check that nothing in the pipeline runs (it shows as running once a result says so).
 */
const POLICIES = `--- !Policy
id: stable
product_versions: [fedora-*]
decision_context: bodhi_update_push_stable
subject_type: koji_build
rules:
  - !PassingTestCaseRule {test_case_name: sluice.unit.dash.cli.prints}
  - !PassingTestCaseRule {test_case_name: sluice.unit.dash.cli.breaks}
--- !Policy
id: testing
product_versions: [fedora-*]
decision_context: bodhi_update_push_testing
subject_type: koji_build
rules:
  - !PassingTestCaseRule {test_case_name: sluice.unit.dash.cli.prints}
  - !PassingTestCaseRule {test_case_name: dist.abicheck}
`;

/** A pipeline whose unit job fails one of two tests (ANSI colours and markup in its log) and whose "slow" job waits for a file the test creates. */
function jobs(gate: string): NonNullable<RawConfig['pipeline']>['jobs'] {
  return [
    {
      name: 'build',
      kind: 'build',
      on: { kind: 'checkout', state: 'available' },
      command: [
        'set -eu',
        "printf 'building dash\\n'",
        'echo hello > dash.txt',
        'tar -czf dash.tar.gz dash.txt',
        'printf \'nvr=dash-1.0-%s.fc41\\n\' {{ run_id }} >> "$SLUICE_DATA"',
      ].join('\n'),
      artifacts: ['*.tar.gz'],
      holdoffSeconds: 1,
      subject: { type: 'koji_build', item: '{{ data.nvr }}' },
    },
    {
      name: 'unit',
      kind: 'test',
      on: { kind: 'build', name: 'build', state: 'available', result: 'pass' },
      command: [
        'set -eu',
        "printf '\\033[32mPASS\\033[0m prints\\n\\033[1;31mFAIL\\033[0m breaks\\n'",
        "printf '<script>window.pwned = 1</script>\\n'",
        'cat > junit.xml <<XML',
        '<testsuites><testsuite name="dash" tests="2">',
        '<testcase classname="dash.cli" name="prints" time="0.01"/>',
        '<testcase classname="dash.cli" name="breaks" time="0.01"><failure message="expected 0, got 1">boom</failure></testcase>',
        '</testsuite></testsuites>',
        'XML',
      ].join('\n'),
      results: { parser: 'junit', files: ['junit.xml'] },
      subject: { type: 'koji_build', item: '{{ parent.data.nvr }}' },
      ci: { type: 'unit' },
    },
    {
      name: 'slow',
      kind: 'test',
      on: { kind: 'build', name: 'build', state: 'available', result: 'pass' },
      command: [
        "printf 'waiting for the gate\\n'",
        `while [ ! -e '${gate}' ]; do sleep 0.1; done`,
        "printf '\\033[36mgate opened\\033[0m\\n'",
      ].join('\n'),
      timeoutSeconds: 120,
    },
  ];
}

async function visit(page: Page, base: string, url: string, name: string): Promise<void> {
  const res = await page.goto(base + url);
  assert.equal(res?.status(), 200, `${url} answered ${res?.status()}`);
  await assertAccessible(page, name);
  await screenshot(page, name);
}

function text(page: Page, selector: string): Promise<string> {
  return shown(page.locator(selector));
}

test('the dashboard shows a real run, its live log, the gating of its build and the searches, accessibly', {
  timeout: 180_000,
}, async (t) => {
  const browser = await openBrowser(t);
  if (!browser) return;
  const gate = path.join(tempDir('sluice-gate-'), 'open');
  const p = await startPipeline(t, { jobs: jobs(gate) }, { gating: { policiesDir: policiesDir(POLICIES) } });
  const { page, errors } = await newPage(browser);

  // The runs page, open before the run starts: the run appears without a reload.
  await visit(page, p.base, PAGE_PATHS.runs(), 'runs-empty');
  await page.evaluate(() => Object.assign(globalThis, { stayedLoaded: true }));
  const root = await p.startRun({ repo: 'dash', branch: 'main', revision: 'a'.repeat(40) });
  const row = page.locator(`tr[data-run-id="${root.id}"]`);
  await row.waitFor({ timeout: 5000 });
  assert.match(await shown(row), /dash\s+main\s+aaaaaaaaaaaa/);
  // …and follows the run's jobs as they change.
  await waitFor('the runs page to show a job', async () =>
    /build|unit|slow/.test(await shown(row.locator('[data-field="activity"]'))) ? true : undefined,
  );
  assert.equal(await page.evaluate(() => (globalThis as { stayedLoaded?: boolean }).stayedLoaded), true);

  const unit = await p.finished(root.id, 'unit');
  assert.equal(unit.result, 'fail');
  const nodes = await p.waitRun(root.id, (ns) => ns.some((n) => n.name === 'slow' && n.state === 'running'));
  const slow = nodes.find((n) => n.name === 'slow')!;
  const build = nodes.find((n) => n.name === 'build')!;
  const nvr = `dash-1.0-${root.id}.fc41`;
  await visit(page, p.base, PAGE_PATHS.runs(), 'runs');
  assert.match(
    await shown(row),
    /#\d+\s+dash\s+main\s+aaaaaaaaaaaa\s+\w+\s+fail\s/,
    'the verdict is over all jobs',
  );
  await page.selectOption('select[name="result"]', 'pass');
  await page.click('button:has-text("Filter")');
  assert.match(await text(page, 'main'), /No runs match/, 'a filter on "pass" hides the failed run');

  // A run: the tree with states, results, builder; the verdict is failed (unit failed).
  await visit(page, p.base, PAGE_PATHS.run(String(root.id)), 'run');
  assert.match(await text(page, '.verdict'), /Verdict: fail/);
  const unitRow = page.locator(`#run-tree li[data-node-id="${unit.id}"]`);
  assert.match(await shown(unitRow), /unit\s+test\s+done\s+fail\s+builder local/);
  const slowRow = page.locator(`table tr[data-node-id="${slow.id}"]`);
  assert.match(await shown(slowRow), /slow\s+running\s+none\s+local/);

  // A second page follows the slow job's log while it runs.
  const { page: logPage, errors: logErrors } = await newPage(browser);
  await visit(logPage, p.base, PAGE_PATHS.node(String(slow.id)), 'node-running');
  await logPage.locator('#log', { hasText: 'waiting for the gate' }).waitFor({ timeout: 5000 });
  assert.match(await text(logPage, '#live-status'), /Following the log/);
  writeFileSync(gate, '');
  const opened = logPage.locator('#log span.ansi-f6', { hasText: 'gate opened' });
  await opened.waitFor({ timeout: 10_000 });
  // The job's end shows on the log page and on the run page without reloading either.
  await logPage.locator('[data-field="result"]', { hasText: 'pass' }).first().waitFor({ timeout: 10_000 });
  await p.finished(root.id, 'slow');
  const changedAt = Date.now();
  await slowRow.locator('[data-field="result"]', { hasText: 'pass' }).waitFor({ timeout: 2000 });
  assert.ok(Date.now() - changedAt < 2000);
  await waitFor('the log page to say the log is complete', async () =>
    /log is complete/.test(await text(logPage, '#live-status')) ? true : undefined,
  );
  await screenshot(logPage, 'node-finished');

  // The failed job: colours rendered, markup in the log shown as text, its parsed tests.
  await visit(page, p.base, PAGE_PATHS.node(String(unit.id)), 'node-failed');
  assert.equal(await page.locator('#log span.ansi-f2', { hasText: 'PASS' }).count(), 1);
  assert.equal(await page.locator('#log span.ansi-b.ansi-f1', { hasText: 'FAIL' }).count(), 1);
  assert.match(await text(page, '#log'), /<script>window.pwned = 1<\/script>/);
  assert.equal(await page.evaluate(() => (globalThis as { pwned?: number }).pwned), undefined);
  assert.match(await text(page, 'main'), /sluice\.unit\.dash\.cli\.breaks FAILED/);
  assert.match(await text(page, 'main'), /sluice\.unit\.dash\.cli\.prints PASSED/);
  assert.match(await text(page, 'main'), /Reason 1 of 2 tests did not pass/);

  // The build: its artifact with its size, and the link fetches it.
  await visit(page, p.base, PAGE_PATHS.node(String(build.id)), 'node-build');
  const artifact = page.getByRole('link', { name: 'dash.tar.gz' });
  const artifactRow = page.locator('tr', { has: artifact });
  assert.match(await shown(artifactRow), /\d+ B/);
  const fetched = await fetch(new URL((await artifact.getAttribute('href'))!, p.base));
  assert.equal(fetched.status, 200);

  // The subject: stable fails on breaks (with links to its result and log), testing lacks abicheck.
  await p.request('POST', '/api/v2.0/results', {
    testcase: 'dist.abicheck',
    outcome: 'RUNNING',
    data: { item: nvr, type: 'koji_build' },
  });
  const subjectUrl = PAGE_PATHS.subject('koji_build', nvr);
  await visit(page, p.base, subjectUrl, 'subject-failing');
  const stable = page.locator('section', {
    has: page.getByRole('heading', { name: /bodhi_update_push_stable/ }),
  });
  assert.match(await shown(stable.locator('.verdict')), /failed\s+Of 2 required tests, 1 test failed/);
  const breaks = stable.locator('tr[data-testcase="sluice.unit.dash.cli.breaks"]');
  assert.match(await shown(breaks), /failed/);
  await breaks.getByRole('link', { name: 'log' }).click();
  assert.equal(new URL(page.url()).pathname, PAGE_PATHS.node(String(unit.id)));
  await page.goBack();
  const testing = page.locator('section', {
    has: page.getByRole('heading', { name: /bodhi_update_push_testing/ }),
  });
  assert.match(await shown(testing.locator('tr[data-testcase="dist.abicheck"]')), /running/);
  assert.match(await shown(testing.locator('.verdict')), /waiting\s+Of 2 required tests, 1 test incomplete/);
  assert.match(await shown(testing.locator('tr[data-testcase="sluice.unit.dash.cli.prints"]')), /passed/);

  // A waiver (its reason is hostile input) flips the stable decision.
  const waived = await p.request('POST', '/api/v1.0/waivers/', {
    subject_type: 'koji_build',
    subject_identifier: nvr,
    testcase: 'sluice.unit.dash.cli.breaks',
    product_version: 'fedora-41',
    waived: true,
    comment: 'flaky on aarch64 <img src=x onerror="window.pwned=2">',
  });
  assert.equal(waived.status, 201, JSON.stringify(waived.body));
  await visit(page, p.base, subjectUrl, 'subject');
  assert.match(await shown(stable.locator('.verdict')), /passed\s+All required tests/);
  assert.match(await shown(breaks), /waived\s+\(was failed\)/);
  assert.match(await text(page, 'main'), /flaky on aarch64 <img src=x onerror="window.pwned=2">/);
  assert.equal(await page.evaluate(() => (globalThis as { pwned?: number }).pwned), undefined);

  // The history says why: the waiver turned stable from failed to passed, and who waived.
  const historyUrl = PAGE_PATHS.decisionHistory('koji_build', nvr);
  await page.getByRole('link', { name: 'Decision history (why it changed)' }).click();
  assert.equal(new URL(page.url()).pathname, historyUrl);
  const byWaiver = page.locator('li[data-change]', { hasText: 'waiver #' });
  await waitFor('the waiver in the decision history', async () => {
    if ((await byWaiver.count()) > 0) return true;
    await page.reload();
    return undefined;
  });
  assert.match(
    await shown(byWaiver),
    /bodhi_update_push_stable · fedora-41 Before failed Of 2 required tests, 1 test failed After passed All required tests .* Caused by waiver #1 of sluice\.unit\.dash\.cli\.breaks by anonymous/,
  );
  const byResult = page.locator('li[data-change]', { hasText: 'result #' });
  assert.ok((await byResult.count()) >= 1, 'the results that made the first decisions are there too');
  await assertAccessible(page, 'history');
  await screenshot(page, 'history');

  // Results search, as ResultsDB filters: the failed one of this build.
  await visit(
    page,
    p.base,
    `${PAGE_PATHS.results()}?item=${nvr}&testcases=sluice.unit.dash.*&outcome=FAILED`,
    'results-search',
  );
  const found = page.locator('main table tbody tr');
  assert.equal(await found.count(), 1);
  assert.match(await shown(found), /sluice\.unit\.dash\.cli\.breaks\s+FAILED/);
  await found.getByRole('link').first().click();
  assert.match(await text(page, 'h1'), /Result #\d+: sluice\.unit\.dash\.cli\.breaks/);
  assert.match(await text(page, 'main'), new RegExp(`Job node #${unit.id}`));
  await assertAccessible(page, 'result');
  await screenshot(page, 'result');
  assert.deepEqual(errors, [], 'no script error, no failed request so far');
  // A refused filter: the page says which field, with a 400 (which the console reports).
  await page.goto(`${p.base}${PAGE_PATHS.results()}?outcome=NOPE`);
  assert.match(await text(page, '[role="alert"]'), /outcome/);
  errors.length = 0;

  // Waivers search.
  await visit(page, p.base, `${PAGE_PATHS.waivers()}?subject_identifier=${nvr}`, 'waivers');
  assert.match(await text(page, 'main'), /1 waivers match/);
  assert.match(await text(page, 'main table'), /sluice\.unit\.dash\.cli\.breaks fedora-41 yes anonymous/);

  // An update of the build.
  const update = await p.request('POST', '/api/v1/updates', {
    product_version: 'fedora-41',
    builds: [nvr],
    request: 'stable',
  });
  assert.equal(update.status, 201, JSON.stringify(update.body));
  await visit(page, p.base, PAGE_PATHS.update(update.body.id), 'update');
  assert.match(await text(page, '.verdict'), /Gating status: passed/);
  assert.equal(await page.getByRole('link', { name: nvr }).getAttribute('href'), subjectUrl);

  // Operations (the server is open on loopback: everyone is admin).
  await visit(page, p.base, PAGE_PATHS.operations(), 'operations');
  assert.match(await text(page, 'main'), /The dead-letter queue is empty/);
  assert.match(await text(page, 'main'), /local healthy 0 of 4 jobs/);
  assert.match(await text(page, 'main'), /result\.submit/);

  // Re-running the failed job (the server is open: anyone may) leads to the new node's page.
  await page.goto(p.base + PAGE_PATHS.node(String(unit.id)));
  await Promise.all([
    page.waitForURL((u) => u.pathname !== PAGE_PATHS.node(String(unit.id))),
    page.getByRole('button', { name: 'Run this job again' }).click(),
  ]);
  assert.match(await text(page, 'main'), new RegExp(`Retry of node #${unit.id}`));
  assert.match(await text(page, 'main'), /Retries 1/);
  await page.locator('[data-field="result"]', { hasText: 'fail' }).first().waitFor({ timeout: 20_000 });

  assert.deepEqual([...errors, ...logErrors], []);
});

test('hostile subject ids and bad filters get an escaped page with a clear refusal', {
  timeout: 60_000,
}, async (t) => {
  const browser = await openBrowser(t);
  if (!browser) return;
  const p = await startPipeline(t, {}, { gating: { policiesDir: policiesDir(POLICIES) } });
  const { page } = await newPage(browser);
  const hostile = '"><script>window.pwned=1</script>';
  const res = await page.goto(p.base + PAGE_PATHS.subject('koji_build', hostile));
  assert.equal(res?.status(), 200);
  assert.equal(await text(page, 'h1'), `koji_build ${hostile}`);
  assert.equal(await page.evaluate(() => (globalThis as { pwned?: number }).pwned), undefined);
  await assertAccessible(page, 'subject-hostile');
  for (const [url, status, says] of [
    ['/runs/12x', 404, /no run 12x/],
    ['/nodes/999999', 404, /no node 999999/],
    ['/results/0', 404, /no result 0/],
    ['/updates/FEDORA-NOPE', 404, /no update FEDORA-NOPE/],
    ['/?result=maybe', 400, /result: must be/],
    ['/results?since=yesterday', 400, /since/],
    ['/waivers?since=soon', 400, /since/],
  ] as const) {
    const r = await page.goto(p.base + url);
    assert.equal(r?.status(), status, url);
    assert.match(await text(page, '[role="alert"]'), new RegExp(says.source, 'i'), url);
  }
});
