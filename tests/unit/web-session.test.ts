import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cookieValue, csrfMatches, localPath } from '../../api/web-session.js';

test('cookieValue finds one cookie among several, and nothing in a near-miss name', () => {
  const header = 'theme=dark; sluice_session=abc-DEF_1; other_sluice_session=zzz';
  assert.equal(cookieValue(header, 'sluice_session'), 'abc-DEF_1');
  assert.equal(cookieValue('xsluice_session=1', 'sluice_session'), undefined);
  assert.equal(cookieValue('sluice_session=', 'sluice_session'), undefined);
  assert.equal(cookieValue(undefined, 'sluice_session'), undefined);
});

test('after sign-in a person goes back only to a path of this server', () => {
  assert.equal(
    localPath('/subjects/koji_build/bash-5.2.26-3.fc41?x=1'),
    '/subjects/koji_build/bash-5.2.26-3.fc41?x=1',
  );
  for (const away of [
    '//evil.example/',
    '/\\evil.example',
    'https://evil.example/',
    'javascript:alert(1)',
    '',
    '/a b',
  ])
    assert.equal(localPath(away), '/', away);
  assert.equal(localPath(undefined), '/');
  assert.equal(localPath(`/${'a'.repeat(3000)}`), '/');
});

test('the CSRF token must match exactly', () => {
  const session = { csrf: 'token-123' };
  assert.equal(csrfMatches(session, 'token-123'), true);
  assert.equal(csrfMatches(session, 'token-124'), false);
  assert.equal(csrfMatches(session, 'token-1234'), false);
  assert.equal(csrfMatches(session, undefined), false);
  assert.equal(csrfMatches(session, ['token-123']), false);
});
