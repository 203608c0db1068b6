import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashToken, newToken } from '../../api/auth.js';
import { SluiceService } from '../../service/sluice-service.js';
import { runCli } from '../support/cli.js';
import { silentLogger, testConfig, testRegistry } from '../support/test-config.js';

async function serviceWith(raw: Parameters<typeof testConfig>[0]) {
  const service = await SluiceService.create({
    config: testConfig(raw),
    log: silentLogger(),
    registry: testRegistry(),
  });
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
  assert.match(
    ((await none.json()) as { message: string }).message,
    /needs an API token with scope "messages:publish"/,
  );

  const wrong = await publish(address, 'not-a-token');
  assert.equal(wrong.status, 401);
  assert.match(((await wrong.json()) as { message: string }).message, /not valid/);

  const scope = await publish(address, 's3cret-waiver');
  assert.equal(scope.status, 403);
  assert.match(
    ((await scope.json()) as { message: string }).message,
    /user qa lacks the scope "messages:publish"/,
  );

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
  const made = await runCli(['token', 'new', 'ci-bot', '--json']);
  assert.equal(made.code, 0);
  const { token, config } = JSON.parse(made.stdout) as {
    token: string;
    config: { user: string; sha256: string };
  };
  assert.equal(config.user, 'ci-bot');
  assert.equal(config.sha256, hashToken(token));
  const hashed = await runCli(['token', 'hash', token]);
  assert.equal(hashed.stdout.trim(), config.sha256);
});

test('a new token never starts with "-", which the command line would take for an option', () => {
  // Unprefixed, about 30 of these 2,000 would.
  for (let i = 0; i < 2000; i++) assert.match(newToken(), /^sluice_[A-Za-z0-9_-]{32}$/);
});

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const waiver = (nvr: string) => ({
  subject_type: 'koji_build',
  subject_identifier: nvr,
  testcase: 'dist.rpmdeplint',
  product_version: 'fedora-42',
  comment: 'flaky',
  waived: true,
});
const postWaiver = (address: string, body: unknown, authorization?: string) =>
  fetch(`${address}/api/v1.0/waivers/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: JSON.stringify(body),
  });

test('open (the laptop setup): a Bearer token that comes along, as in the README examples, is ignored and the request proceeds', async (t) => {
  const { service, address } = await serviceWith({});
  t.after(() => service.stop());
  assert.equal((await publish(address, 'TOKEN')).status, 202);
  const res = await postWaiver(address, waiver('bash-1-1.fc42'), 'Bearer TOKEN');
  assert.equal(res.status, 201);
  assert.equal(((await res.json()) as { username: string }).username, 'anonymous');
  // Any other header too: credentials are not looked at.
  assert.equal((await publish(address, 'not a token at all')).status, 202);
});

test("open: HTTP Basic's user name is the waiver's username, as in WaiverDB's AUTH_METHOD = 'dummy'", async (t) => {
  const { service, address } = await serviceWith({});
  t.after(() => service.stop());
  // waiverdb-cli's `dummy` method (release-engineering/waiverdb, waiverdb/cli.py before be535a6):
  // requests.request('POST', url, auth=('user', 'pass'), data=json.dumps([...])) with username null.
  const cli = await postWaiver(
    address,
    [{ ...waiver('zsh-1-1.fc42'), scenario: null, username: null }],
    basic('user', 'pass'),
  );
  assert.equal(cli.status, 201);
  assert.deepEqual(
    ((await cli.json()) as Array<{ username: string; proxied_by: string | null }>).map((w) => [
      w.username,
      w.proxied_by,
    ]),
    [['user', null]],
  );
  // Greenwave's functional tests (release-engineering/greenwave, functional-tests/conftest.py,
  // create_waiver): requests_session.post(waiverdb_url + "api/v1.0/waivers/", auth=("dummy", "dummy"), json=data).
  const named = await postWaiver(address, waiver('zsh-2-1.fc42'), basic('dummy', 'dummy'));
  assert.equal(((await named.json()) as { username: string }).username, 'dummy');
  // An empty name, or a header that is not valid Basic, leaves the caller anonymous.
  const empty = await postWaiver(address, waiver('zsh-3-1.fc42'), basic('', 'pass'));
  assert.equal(((await empty.json()) as { username: string }).username, 'anonymous');
});

test('with tokens configured, HTTP Basic is refused with 401', async (t) => {
  const { service, address } = await serviceWith({
    auth: { tokens: [{ user: 'qa', sha256: hashToken('s3cret-waiver'), scopes: ['waivers:write'] }] },
  });
  t.after(() => service.stop());
  const res = await postWaiver(address, waiver('bash-2-1.fc42'), basic('qa', 's3cret-waiver'));
  assert.equal(res.status, 401);
  assert.match(((await res.json()) as { message: string }).message, /must be "Bearer TOKEN"/);
  assert.equal((await postWaiver(address, waiver('bash-2-1.fc42'), 'Bearer s3cret-waiver')).status, 201);
});

test("resultsdb_api's _auth_token: a configured API token works from the body; open, it is ignored; never stored", async (t) => {
  // ResultsDB before v3 (release-engineering/resultsdb, resultsdb/__init__.py at 5cb7df4) read a
  // POST's token from the JSON body's `_auth_token`, where resultsdb_api sends it.
  const result = (token: string) => ({
    outcome: 'PASSED',
    testcase: { name: 'dist.abicheck' },
    groups: null,
    note: null,
    ref_url: null,
    data: { item: 'bash-1-1.fc42', type: 'koji_build' },
    _auth_token: token,
  });
  const postResult = (address: string, body: unknown) =>
    fetch(`${address}/api/v2.0/results`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const { service, address } = await serviceWith({
    auth: {
      tokens: [
        { user: 'ci', sha256: hashToken('s3cret-results'), scopes: ['results:write'] },
        { user: 'qa', sha256: hashToken('s3cret-waiver'), scopes: ['waivers:write'] },
      ],
    },
  });
  const open = await serviceWith({});
  t.after(() => Promise.all([service.stop(), open.service.stop()]));

  const created = await postResult(address, result('s3cret-results'));
  assert.equal(created.status, 201);
  const { id } = (await created.json()) as { id: number };
  const stored = await (await fetch(`${address}/api/v2.0/results/${id}`)).text();
  assert.ok(!stored.includes('_auth_token') && !stored.includes('s3cret-results'), stored);
  assert.equal((await postResult(address, result('s3cret-waiver'))).status, 403);
  assert.equal((await postResult(address, result('guess'))).status, 401);

  const openCreated = await postResult(open.address, result('whatever'));
  assert.equal(openCreated.status, 201);
  const openStored = await (
    await fetch(`${open.address}/api/v2.0/results/${((await openCreated.json()) as { id: number }).id}`)
  ).text();
  assert.ok(!openStored.includes('_auth_token') && !openStored.includes('whatever'), openStored);
});
