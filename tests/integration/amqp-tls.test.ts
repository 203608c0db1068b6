import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { brokerUrl } from '../support/broker.js';
import { freePort } from '../support/cli.js';
import { opsService } from '../support/ops-service.js';
import { ROOT, tempDir } from '../support/paths.js';
import { waitFor } from '../support/wait-for.js';

const run = promisify(execFile);

/**
 * A RabbitMQ node of this file's own with a TLS listener that demands a client certificate
 * (verify_peer, fail_if_no_peer_cert), and certificates made for it here with openssl: a CA, the
 * broker's (for localhost), and Sluice's client certificate with a key under a passphrase.
 */
let node: { dir: string; port: number; tlsPort: number; pki: string } | undefined;

async function openssl(cwd: string, ...args: string[]): Promise<void> {
  await run('openssl', args, { cwd });
}

before(async () => {
  if (!brokerUrl()) return;
  const dir = tempDir('rabbit-tls-');
  const pki = path.join(dir, 'pki');
  await run('mkdir', ['-p', pki, path.join(dir, 'node')]);
  await openssl(
    pki,
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=sluice test CA',
  );
  writeFileSync(
    path.join(pki, 'server.ext'),
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n',
  );
  await openssl(
    pki,
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
    '-subj',
    '/CN=localhost',
  );
  await openssl(
    pki,
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.pem',
    '-days',
    '2',
    '-extfile',
    'server.ext',
  );
  writeFileSync(path.join(pki, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  await openssl(
    pki,
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'client-plain.key',
    '-out',
    'client.csr',
    '-subj',
    '/CN=sluice',
  );
  await openssl(
    pki,
    'x509',
    '-req',
    '-in',
    'client.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'client.pem',
    '-days',
    '2',
    '-extfile',
    'client.ext',
  );
  await openssl(
    pki,
    'pkey',
    '-in',
    'client-plain.key',
    '-aes256',
    '-passout',
    'pass:key-passphrase-42',
    '-out',
    'client.key',
  );
  writeFileSync(path.join(pki, 'passphrase'), 'key-passphrase-42\n');
  writeFileSync(path.join(pki, 'broker-password'), 'guest\n');
  const { stdout } = await run('node', [path.join(ROOT, 'scripts/free-port.mjs')]);
  const port = Number(stdout.trim());
  const tlsPort = await freePort();
  // rabbitmq-node.sh keeps a rabbitmq.conf it finds: this one adds the TLS listener.
  writeFileSync(
    path.join(dir, 'node', 'rabbitmq.conf'),
    [
      'loopback_users = none',
      'log.console = false',
      'log.file.level = warning',
      'disk_free_limit.absolute = 50MB',
      `listeners.ssl.default = 127.0.0.1:${tlsPort}`,
      `ssl_options.cacertfile = ${pki}/ca.pem`,
      `ssl_options.certfile = ${pki}/server.pem`,
      `ssl_options.keyfile = ${pki}/server.key`,
      'ssl_options.verify = verify_peer',
      'ssl_options.fail_if_no_peer_cert = true',
      '',
    ].join('\n'),
  );
  await run(
    'bash',
    [path.join(ROOT, 'scripts/rabbitmq-node.sh'), 'start', path.join(dir, 'node'), String(port)],
    { timeout: 120_000 },
  );
  node = { dir, port, tlsPort, pki };
});

after(async () => {
  if (node)
    await run(
      'bash',
      [path.join(ROOT, 'scripts/rabbitmq-node.sh'), 'stop', path.join(node.dir, 'node'), String(node.port)],
      { timeout: 120_000 },
    );
});

test('amqps:// with the CA, a client certificate, its key under a passphrase, and the password from a file: connected, results flow; no secret in /readyz', async (t) => {
  if (!node) return t.skip('RabbitMQ is not provisioned (run npm test)');
  const { pki, tlsPort } = node;
  const service = await opsService({
    bus: {
      url: `amqps://guest@localhost:${tlsPort}`,
      passwordFile: path.join(pki, 'broker-password'),
      tls: {
        caFile: path.join(pki, 'ca.pem'),
        certFile: path.join(pki, 'client.pem'),
        keyFile: path.join(pki, 'client.key'),
        passphraseFile: path.join(pki, 'passphrase'),
      },
    },
  });
  const base = (await service.start())!;
  t.after(() => service.stop());
  const ready = await waitFor('the TLS connection', async () => {
    const res = await fetch(`${base}/readyz`);
    return res.status === 200 ? ((await res.json()) as { checks: { bus: { detail: string } } }) : undefined;
  });
  assert.match(ready.checks.bus.detail, /connected to amqps:\/\/guest@localhost/);
  const sent = await fetch(`${base}/api/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ topic: 'result.submit', body: { testcase: 'tls.case', outcome: 'PASSED' } }),
  });
  assert.equal(sent.status, 202);
  await waitFor(
    'the result consumed over TLS',
    async () =>
      ((await (await fetch(`${base}/api/v2.0/results?testcases=tls.case`)).json()) as { data: unknown[] })
        .data.length === 1,
  );
});

const variants: Array<[string, Record<string, null>]> = [
  [
    'without the client certificate the broker refuses the connection',
    { certFile: null, keyFile: null, passphraseFile: null },
  ],
  ['without the CA the broker is not trusted', { caFile: null }],
];
for (const [what, drop] of variants) {
  test(`amqps:// ${what}: not ready, with the reason, and nothing secret in it`, async (t) => {
    if (!node) return t.skip('RabbitMQ is not provisioned (run npm test)');
    const { pki, tlsPort } = node;
    const tls = {
      caFile: path.join(pki, 'ca.pem'),
      certFile: path.join(pki, 'client.pem'),
      keyFile: path.join(pki, 'client.key'),
      passphraseFile: path.join(pki, 'passphrase'),
      ...drop,
    };
    const service = await opsService({
      bus: { url: `amqps://guest:tls-secret-pw@localhost:${tlsPort}`, connectTimeoutMs: 1000, tls },
    });
    const base = (await service.start())!;
    t.after(() => service.stop());
    await new Promise((r) => setTimeout(r, 1500));
    const res = await fetch(`${base}/readyz`);
    assert.equal(res.status, 503);
    const text = await res.text();
    assert.ok(!text.includes('tls-secret-pw') && !text.includes('key-passphrase-42'), text);
    assert.match(text, /guest:\*\*\*@localhost/);
  });
}
