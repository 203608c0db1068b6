import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../service/load-config.js';
import { ROOT } from '../support/paths.js';

const dir = path.join(ROOT, 'config/examples');

for (const name of readdirSync(dir).filter((n) => n.endsWith('.yaml'))) {
  test(`the shipped example ${name} is a valid configuration`, () => {
    const config = loadConfig({ file: path.join(dir, name), env: {}, cwd: ROOT });
    assert.equal(config.source, path.join(dir, name));
  });
}

test('the RabbitMQ example selects the AMQP bus with its prefix', () => {
  const config = loadConfig({ file: path.join(dir, 'rabbitmq.yaml'), env: {}, cwd: ROOT });
  assert.equal(config.busKind, 'amqp');
  assert.equal(config.bus.topicPrefix, 'org.example.prod.');
});

test('the production example: RabbitMQ over TLS with the password from a file, tokens, reads open', () => {
  const config = loadConfig({ file: path.join(dir, 'production.yaml'), env: {}, cwd: ROOT });
  assert.equal(config.busKind, 'amqp');
  assert.ok(config.bus.url!.startsWith('amqps://'));
  assert.equal(config.bus.passwordFile, '/etc/sluice/secrets/amqp-password');
  assert.equal(config.bus.tls.caFile, '/etc/sluice/tls/ca.pem');
  assert.deepEqual(
    config.auth.tokens.map((t) => t.user),
    ['ci-bot', 'qa-team', 'ops'],
  );
  assert.equal(config.auth.readsRequireToken, false);
});
