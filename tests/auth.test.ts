import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashToken, newToken } from '../api/auth.js';
import { SluiceService } from '../service/sluice-service.js';
import { runCli } from './support/cli.js';
import { silentLogger, testConfig, testRegistry } from './support/test-config.js';

async function serviceWith(raw: Parameters<typeof testConfig>[0]) {
  const service = new SluiceService({ config: testConfig(raw), log: silentLogger(), registry: testRegistry() });
  const address = await service.start();
  return { service, address: address! };
}

const publish = (address: string, token?: string) =>
  fetch(`${address}/api/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ topic: 'test.auth', body: { n: 1 } }),
  });

test('with tokens configured, a write needs a token holding its scope: 401 without, 403 with the wrong scope, 202 with the right one', async (t) => {
  const { service, address } = await serviceWith({
    auth: {
      tokens: [
        { user: 'ci-bot', sha256: hashToken('s3cret-publisher'), scopes: ['messages:publish'] },
        { user: 'qa', sha256: hashToken('s3cret-waiver'), scopes: ['waivers:write'] },
      ],
    },
  });
  t.after(() => service.stop());

  const none = await publish(address);
  assert.equal(none.status, 401);
  assert.match(((await none.json()) as { message: string }).message, /needs an API token with scope "messages:publish"/);

  const wrong = await publish(address, 'not-a-token');
  assert.equal(wrong.status, 401);
  assert.match(((await wrong.json()) as { message: string }).message, /not valid/);

  const scope = await publish(address, 's3cret-waiver');
  assert.equal(scope.status, 403);
  assert.match(((await scope.json()) as { message: string }).message, /user qa lacks the scope "messages:publish"/);

  const ok = await publish(address, 's3cret-publisher');
  assert.equal(ok.status, 202);

  // Reads stay open.
  assert.equal((await fetch(`${address}/api/v1/topics`)).status, 200);
});

test('with no tokens configured and the server on loopback, writes are open (the laptop setup)', async (t) => {
  const { service, address } = await serviceWith({});
  t.after(() => service.stop());
  assert.equal((await publish(address)).status, 202);
});

test('sluice token new / hash: the printed entry matches the token', async () => {
  const made = await runCli(['token', 'new', 'ci-bot']);
  assert.equal(made.code, 0);
  const { token, config } = JSON.parse(made.stdout) as { token: string; config: { user: string; sha256: string } };
  assert.equal(config.user, 'ci-bot');
  assert.equal(config.sha256, hashToken(token));
  const hashed = await runCli(['token', 'hash', token]);
  assert.equal(hashed.stdout.trim(), config.sha256);
});

test('a new token never starts with "-", which the command line would take for an option', () => {
  // Unprefixed, about 30 of these 2,000 would.
  for (let i = 0; i < 2000; i++) assert.match(newToken(), /^sluice_[A-Za-z0-9_-]{32}$/);
});
