import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { KojiBuildInfo } from '../../gating/koji-build-info.js';
import { KojiClient, KojiUnreachableError } from '../../gating/koji-client.js';
import { SubjectTypes } from '../../gating/subject-types.js';
import { decodeResponse, encodeCall, XmlRpcFault, XmlRpcFormatError } from '../../gating/xml-rpc.js';
import { freePort } from '../support/cli.js';
import { KojiHubServer, kojiBuild } from '../support/koji-hub-server.js';
import { ROOT } from '../support/paths.js';

const fixture = (name: string) => readFileSync(path.join(ROOT, 'tests/fixtures/koji', name), 'utf8');
const types = new SubjectTypes();
const koji = (nvr: string) => ({ type: types.resolve('koji_build'), identifier: nvr });
const noFallback = { scm: () => ({ unknown: 'unused' }), creationTime: () => 42 };

describe('XML-RPC as Koji writes it (answers written by CPython xmlrpc.client)', () => {
  test("getBuild's struct: strings, ints, doubles, booleans, nil and the nested extra", () => {
    const build = decodeResponse(fixture('getbuild-bash.xml')) as Record<string, unknown>;
    assert.equal(build.nvr, 'bash-5.2.26-3.fc41');
    assert.equal(
      build.source,
      'git+https://src.fedoraproject.org/rpms/bash.git#4f2a9c1e0b8d7a6c5f4e3d2c1b0a9f8e7d6c5b4a',
    );
    assert.deepEqual(build.extra, {
      source: { original_url: 'git+https://src.fedoraproject.org/rpms/bash.git#rawhide' },
    });
    assert.equal(build.creation_ts, 1709554801.123456);
    assert.equal(build.task_id, 114055000);
    assert.equal(build.draft, false);
    assert.equal(build.epoch, null);
    assert.equal(build.creation_time, '2024-03-04 12:20:01.123456+00:00');
  });

  test('no such build is <nil/>: null', () =>
    assert.equal(decodeResponse(fixture('getbuild-none.xml')), null));

  test('a fault is thrown with its code and string', () => {
    assert.throws(
      () => decodeResponse(fixture('fault-offline.xml')),
      (err: unknown) =>
        err instanceof XmlRpcFault &&
        err.faultCode === 1014 &&
        err.faultString === 'Server disabled for maintenance',
    );
  });

  test('the other XML-RPC types, and a value with no type element (a string, spaces kept)', () => {
    const xml = `<?xml version="1.0"?><methodResponse><params><param><value><array><data>
      <value><i4>-7</i4></value><value><i8>9007199254740991</i8></value><value>  plain text </value>
      <value><string>a &lt;b&gt; &amp; c</string></value><value><string></string></value>
      <value><dateTime.iso8601>20240304T12:20:01</dateTime.iso8601></value><value><base64>aGk=</base64></value>
      <value><struct><member><name>__proto__</name><value><int>1</int></value></member></struct></value>
    </data></array></value></param></params></methodResponse>`;
    const [i4, i8, plain, escaped, empty, date, b64, proto] = decodeResponse(xml) as unknown[];
    assert.deepEqual(
      [i4, i8, plain, escaped, empty, date],
      [-7, 9007199254740991, '  plain text ', 'a <b> & c', '', '20240304T12:20:01'],
    );
    assert.equal((b64 as Buffer).toString(), 'hi');
    assert.equal(Object.getPrototypeOf(proto), Object.prototype, 'a member named __proto__ stays data');
    assert.equal(Object.getOwnPropertyDescriptor(proto, '__proto__')?.value, 1);
  });

  test('a call is XML-RPC another parser reads back (the hub stand-in reads it in the tests below)', () => {
    assert.equal(
      encodeCall('getBuild', ['a<&>b', 3, null, true, 2.5]),
      '<?xml version="1.0"?>\n<methodCall><methodName>getBuild</methodName><params><param><value><string>a&lt;&amp;&gt;b</string></value></param><param><value><int>3</int></value></param><param><value><nil/></value></param><param><value><boolean>1</boolean></value></param><param><value><double>2.5</double></value></param></params></methodCall>\n',
    );
  });

  for (const [name, xml, reason] of [
    ['not XML', 'Internal Server Error', /no <methodResponse>|not well-formed/],
    ['not well-formed', '<methodResponse><params>', /not well-formed/],
    [
      'a DTD with entities (billion laughs)',
      '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa">]><methodResponse><params><param><value>&a;</value></param></params></methodResponse>',
      /DTD or entities/,
    ],
    [
      'an unknown type',
      '<methodResponse><params><param><value><float>1</float></value></param></params></methodResponse>',
      /unknown XML-RPC type <float>/,
    ],
    [
      'an int that is not one',
      '<methodResponse><params><param><value><int>1.5</int></value></param></params></methodResponse>',
      /not an integer/,
    ],
    [
      'two values in a param',
      '<methodResponse><params><param><value>a</value><value>b</value></param></params></methodResponse>',
      /exactly one element/,
    ],
    [
      'a fault without its fields',
      '<methodResponse><fault><value><struct></struct></value></fault></methodResponse>',
      /without faultCode/,
    ],
    [
      'nesting beyond reason',
      `<methodResponse><params><param>${'<value><array><data>'.repeat(80)}${'</data></array></value>'.repeat(80)}</param></params></methodResponse>`,
      /nested deeper than 64|nested tags/i,
    ],
  ] as const) {
    test(`refused: ${name}`, () =>
      assert.throws(
        () => decodeResponse(xml),
        (err: unknown) => err instanceof XmlRpcFormatError && reason.test(err.message),
      ));
  }
});

describe("Koji's getBuild over HTTP", () => {
  const hub = new KojiHubServer();
  let url: string;
  const BASH = 'bash-5.2.26-3.fc41';
  const client = (over: Partial<ConstructorParameters<typeof KojiClient>[0]> = {}, now?: () => number) =>
    new KojiClient({ url, timeoutMs: 2000, cacheSize: 100, cacheTtlMs: 60_000, ...over }, now);
  const asked = (nvr: string) => hub.calls.filter((c) => c.method === 'getBuild' && c.param === nvr).length;

  before(async () => {
    url = await hub.start();
    hub.builds.set(BASH, kojiBuild(BASH, 'git+https://src.fedoraproject.org/rpms/bash.git#4f2a9c1'));
  });
  beforeEach(() => (hub.mode = 'ok'));
  after(() => hub.stop());

  test('a build is its struct, asked with the NVR as the one parameter', async () => {
    const build = await client().getBuild(BASH);
    assert.equal(build?.source, 'git+https://src.fedoraproject.org/rpms/bash.git#4f2a9c1');
    assert.equal(build?.extra, null);
    assert.deepEqual(hub.calls.at(-1), { method: 'getBuild', param: BASH });
  });

  test('no such build is null, and is asked again next time (not kept)', async () => {
    const c = client();
    assert.equal(await c.getBuild('nope-1-1.fc41'), null);
    assert.equal(await c.getBuild('nope-1-1.fc41'), null);
    assert.equal(asked('nope-1-1.fc41'), 2);
  });

  test('a fault is an XmlRpcFault', async () => {
    hub.mode = 'offline';
    await assert.rejects(
      client().getBuild(BASH),
      (err: unknown) => err instanceof XmlRpcFault && err.faultCode === 1014,
    );
  });

  test('an HTTP error is "could not reach Koji", with the status', async () => {
    hub.mode = 'http-500';
    await assert.rejects(
      client().getBuild(BASH),
      (err: unknown) =>
        err instanceof KojiUnreachableError &&
        /^Could not reach Koji: HTTP 500 from http:\/\/127\.0\.0\.1:\d+\/kojihub$/.test(err.message),
    );
  });

  test('no answer within the timeout is an error, in about the timeout', async () => {
    hub.mode = 'slow';
    const started = Date.now();
    await assert.rejects(
      client({ timeoutMs: 200 }).getBuild(BASH),
      /^KojiUnreachableError: Could not reach Koji: no answer from .*\/kojihub within 200 ms$/,
    );
    const took = Date.now() - started;
    assert.ok(took >= 150 && took < 1500, `took ${took} ms`);
  });

  test('nobody listening is an error naming the cause', async () => {
    const port = await freePort();
    await assert.rejects(
      new KojiClient({
        url: `http://127.0.0.1:${port}/kojihub`,
        timeoutMs: 2000,
        cacheSize: 10,
        cacheTtlMs: 0,
      }).getBuild(BASH),
      /Could not reach Koji: .*ECONNREFUSED/,
    );
  });

  test('builds found are kept for cacheTtlMs, then asked again; concurrent questions share one request', async () => {
    let now = 1_000_000;
    const c = client({ cacheTtlMs: 1000 }, () => now);
    const before = asked(BASH);
    await Promise.all([c.getBuild(BASH), c.getBuild(BASH), c.getBuild(BASH)]);
    assert.equal(asked(BASH) - before, 1, 'one request for three concurrent questions');
    now += 999;
    await c.getBuild(BASH);
    assert.equal(asked(BASH) - before, 1, 'kept within the TTL');
    now += 2;
    await c.getBuild(BASH);
    assert.equal(asked(BASH) - before, 2, 'asked again after it');
  });

  test('at most cacheSize builds are kept: the oldest goes first', async () => {
    for (const n of ['a-1-1', 'b-1-1', 'c-1-1'])
      hub.builds.set(n, kojiBuild(n, `git+https://src.example.org/rpms/${n}.git#r`));
    const c = client({ cacheSize: 2 });
    const counts = () => ['a-1-1', 'b-1-1', 'c-1-1'].map(asked);
    const start = counts();
    for (const n of ['a-1-1', 'b-1-1', 'c-1-1', 'c-1-1', 'b-1-1', 'a-1-1']) await c.getBuild(n);
    assert.deepEqual(
      counts().map((n, i) => n - start[i]!),
      [2, 1, 1],
      'a was dropped for c; b and c were kept',
    );
  });

  test('a failure is not kept: the next question asks again', async () => {
    const c = client();
    hub.mode = 'http-500';
    await assert.rejects(c.getBuild('d-1-1'));
    hub.mode = 'ok';
    hub.builds.set('d-1-1', kojiBuild('d-1-1', 'git+https://src.example.org/rpms/d.git#r'));
    assert.equal((await c.getBuild('d-1-1'))?.nvr, 'd-1-1');
  });
});

describe('build info from Koji (where a build came from, when it was made)', () => {
  const hub = new KojiHubServer();
  let info: KojiBuildInfo;
  let url: string;
  before(async () => {
    url = await hub.start();
    info = new KojiBuildInfo(
      new KojiClient({ url, timeoutMs: 2000, cacheSize: 100, cacheTtlMs: 0 }),
      noFallback,
    );
    hub.builds.set(
      'bash-5.2-1.fc41',
      kojiBuild('bash-5.2-1.fc41', 'git+https://src.fedoraproject.org/rpms/bash.git#abc'),
    );
    hub.builds.set(
      'img-1-1',
      kojiBuild('img-1-1', null, {
        source: { original_url: 'git+https://src.fedoraproject.org/containers/img-container.git#f00' },
      }),
    );
    hub.builds.set('imported-1-1', kojiBuild('imported-1-1', null, { typeinfo: { rpm: null } }));
    hub.builds.set('norev-1-1', kojiBuild('norev-1-1', 'git+https://src.fedoraproject.org/rpms/norev.git'));
  });
  beforeEach(() => (hub.mode = 'ok'));
  after(() => hub.stop());

  test("the build's source as namespace, name and revision", async () =>
    assert.deepEqual(await info.scm(koji('bash-5.2-1.fc41')), {
      namespace: 'rpms',
      name: 'bash',
      rev: 'abc',
    }));
  test('without source, extra.source.original_url (as Greenwave)', async () =>
    assert.deepEqual(await info.scm(koji('img-1-1')), {
      namespace: 'containers',
      name: 'img-container',
      rev: 'f00',
    }));
  test('a build with no source at all is "unknown" (Greenwave skips the template)', async () => {
    assert.deepEqual(await info.scm(koji('imported-1-1')), {
      unknown: `Failed to retrieve SCM URL from Koji build "imported-1-1" at "${url}" (expected SCM URL in "source" attribute)`,
    });
  });
  test('no such build: Greenwave\'s "Koji build not found"', async () => {
    assert.deepEqual(await info.scm(koji('ghost-1-1.fc41')), {
      error: "Koji build not found for subject_type 'koji_build', subject_identifier 'ghost-1-1.fc41'",
    });
  });
  test('a source without a revision, named with the hub', async () => {
    assert.deepEqual(await info.scm(koji('norev-1-1')), {
      error: `Failed to parse SCM URL "git+https://src.fedoraproject.org/rpms/norev.git" from Koji build "norev-1-1" at "${url}" (missing URL fragment with SCM revision information)`,
    });
  });
  test('an identifier that is no NVR is refused before asking, as Greenwave does', async () => {
    const before = hub.calls.length;
    assert.deepEqual(await info.scm(koji('bash')), {
      error: "Failed to get remote policies: 400 Bad Request: Invalid NVR format: 'bash'",
    });
    assert.equal(hub.calls.length, before);
  });
  test('a fault and an unreachable hub are errors that say so', async () => {
    hub.mode = 'offline';
    assert.deepEqual(await info.scm(koji('bash-5.2-1.fc41')), {
      error: 'Failed to get Koji build for "bash-5.2-1.fc41": Server disabled for maintenance (code: 1014)',
    });
    hub.mode = 'http-500';
    assert.match(
      ((await info.scm(koji('bash-5.2-1.fc41'))) as { error: string }).error,
      /^Could not reach Koji: HTTP 500/,
    );
  });
  test('creation time from creation_ts; when Koji cannot say, the fallback', async () => {
    assert.equal(await info.creationTime(koji('bash-5.2-1.fc41')), 1709554801123);
    assert.equal(await info.creationTime(koji('ghost-1-1.fc41')), 42);
    hub.mode = 'offline';
    assert.equal(await info.creationTime(koji('bash-5.2-1.fc41')), 42);
  });
});
