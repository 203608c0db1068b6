import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashToken, newToken } from '../../api/auth.js';
import { PAGE_PATHS } from '../../dashboard/page-paths.js';
import { SluiceService } from '../../service/sluice-service.js';
import { assertAccessible, newPage, openBrowser, screenshot, shown } from '../support/browser.js';
import { policiesDir, RPMDEPLINT_STABLE } from '../support/policies-dir.js';
import { silentLogger, testConfig } from '../support/test-config.js';

const NVR = 'bash-5.2.26-3.fc41';

test('a maintainer signs in with a pasted token, waives the failed test from the subject page and sees the decision flip', {
  timeout: 90_000,
}, async (t) => {
  const browser = await openBrowser(t);
  if (!browser) return;
  const token = newToken();
  const reader = newToken();
  const config = testConfig({
    gating: { policiesDir: policiesDir(RPMDEPLINT_STABLE) },
    auth: {
      tokens: [
        { user: 'jdoe', sha256: hashToken(token), scopes: ['results:write', 'waivers:write'] },
        { user: 'reader', sha256: hashToken(reader), scopes: [] },
      ],
    },
  });
  const service = await SluiceService.create({ config, log: silentLogger() });
  const base = (await service.start())!;
  t.after(() => service.stop());
  const stored = await fetch(`${base}/api/v2.0/results`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({
      testcase: 'dist.rpmdeplint',
      outcome: 'FAILED',
      data: { item: NVR, type: 'koji_build' },
    }),
  });
  assert.equal(stored.status, 201);

  const { page, errors } = await newPage(browser);
  const subject = PAGE_PATHS.subject('koji_build', NVR);
  await page.goto(base + subject);
  const verdict = page.locator('.verdict').first();
  assert.match(
    await shown(verdict),
    /failed\s+1 of 1 required test failed|failed Of 1 required tests?, 1 test failed/,
  );
  // Not signed in: no Waive form, a way to sign in that comes back here.
  assert.equal(await page.locator('form[data-api-form="waive"]').count(), 0);
  await page.getByRole('link', { name: 'Sign in' }).click();
  await page.fill('#token', token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(base + subject);
  assert.match(await shown(page.locator('header .who')), /Signed in as jdoe/);

  await page.getByText('Waive a test at bodhi_update_push_stable for fedora-41').click();
  const form = page.locator('form[data-api-form="waive"]');
  await assertAccessible(page, 'subject-signed-in');
  // The reason is required: the browser does not send the form without it.
  await form.getByRole('button', { name: 'Waive' }).click();
  assert.equal(await form.locator('textarea:invalid').count(), 1);
  await form.getByLabel('Reason (required)').fill('rpmdeplint flakes on a mirror outage, see INFRA-123');
  await Promise.all([page.waitForEvent('load'), form.getByRole('button', { name: 'Waive' }).click()]);

  assert.match(await shown(verdict), /passed\s+All required tests .*waived/);
  assert.match(await shown(page.locator('tr[data-testcase="dist.rpmdeplint"]')), /waived \(was failed\)/);
  assert.match(
    await shown(page.locator('main table').last()),
    /dist\.rpmdeplint fedora-41 yes jdoe rpmdeplint flakes on a mirror outage, see INFRA-123/,
  );
  await screenshot(page, 'subject-waived');
  assert.deepEqual(errors, []);

  // Someone signed in without waivers:write is told why there is no form.
  const { page: other } = await newPage(browser);
  await other.goto(`${base}/login?return_to=${encodeURIComponent(subject)}`);
  await other.fill('#token', reader);
  await other.getByRole('button', { name: 'Sign in' }).click();
  await other.waitForURL(base + subject);
  assert.equal(await other.locator('form[data-api-form="waive"]').count(), 0);
});
