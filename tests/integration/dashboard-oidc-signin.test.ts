import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashToken, newToken } from '../../api/auth.js';
import { PAGE_PATHS } from '../../dashboard/page-paths.js';
import { SluiceService } from '../../service/sluice-service.js';
import { assertAccessible, newPage, openBrowser, screenshot, shown } from '../support/browser.js';
import { freePort } from '../support/cli.js';
import { LOGIN_CLIENT, startLoginProvider } from '../support/oidc-login-provider.js';
import { policiesDir, RPMDEPLINT_STABLE } from '../support/policies-dir.js';
import { silentLogger, testConfig } from '../support/test-config.js';

const NVR = 'bash-5.2.26-3.fc41';

test('a maintainer signs in at the OpenID Connect provider from the subject page and waives there', {
  timeout: 90_000,
}, async (t) => {
  const browser = await openBrowser(t);
  if (!browser) return;
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const provider = await startLoginProvider(`${base}/login/callback`);
  t.after(() => provider.close());
  const ci = newToken();
  const service = await SluiceService.create({
    config: testConfig({
      server: { port },
      gating: { policiesDir: policiesDir(RPMDEPLINT_STABLE) },
      auth: {
        tokens: [{ user: 'ci', sha256: hashToken(ci), scopes: ['results:write'] }],
        oidc: {
          issuer: provider.issuer,
          audience: 'sluice',
          userClaim: 'preferred_username',
          groupsClaim: 'groups',
          scopes: ['waivers:write'],
          login: { clientId: LOGIN_CLIENT.id, clientSecret: LOGIN_CLIENT.secret, scope: 'openid profile' },
        },
      },
    }),
    log: silentLogger(),
  });
  await service.start();
  t.after(() => service.stop());
  const stored = await fetch(`${base}/api/v2.0/results`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ci}` },
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
  assert.equal(
    await page.locator('form[data-api-form="waive"]').count(),
    0,
    'no Waive form before signing in',
  );
  assert.deepEqual(errors, []);
  await page.getByRole('link', { name: 'Sign in' }).click();

  // The provider's own pages (oidc-provider's login and consent forms), then back to the subject.
  await page.waitForURL((url) => url.origin === provider.issuer);
  await page.fill('input[name="login"]', 'alice');
  await page.fill('input[name="password"]', 'any password');
  await page.locator('button[type="submit"]').click();
  await page.waitForURL((url) => url.origin === base || /consent|interaction/.test(url.pathname));
  if (new URL(page.url()).origin === provider.issuer) await page.locator('button[type="submit"]').click();
  await page.waitForURL(base + subject);
  // What the provider's pages logged (its dev login page asks for web fonts) is not Sluice's.
  errors.length = 0;
  assert.match(await shown(page.locator('header .who')), /Signed in as alice/);
  await assertAccessible(page, 'subject-oidc-signed-in');

  await page.getByText('Waive a test at bodhi_update_push_stable for fedora-41').click();
  const form = page.locator('form[data-api-form="waive"]');
  await form.getByLabel('Reason (required)').fill('rpmdeplint flakes on a mirror outage');
  await Promise.all([page.waitForEvent('load'), form.getByRole('button', { name: 'Waive' }).click()]);
  assert.match(await shown(page.locator('.verdict').first()), /passed\s+All required tests .*waived/);
  // The waiver is alice's: the provider's claims became the caller.
  const waivers = (await (await fetch(`${base}/api/v1.0/waivers/`)).json()) as {
    data: Array<{ username: string }>;
  };
  assert.deepEqual(
    waivers.data.map((w) => w.username),
    ['alice'],
  );
  await screenshot(page, 'subject-waived-after-oidc');
  assert.deepEqual(errors, []);
});
