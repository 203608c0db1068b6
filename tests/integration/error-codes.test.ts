import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { installErrorHandler } from '../../api/error-handler.js';
import { BusUnavailableError } from '../../errors/bus-unavailable-error.js';
import { ConfigError } from '../../errors/config-error.js';
import { DecisionInputError } from '../../errors/decision-input-error.js';
import { ERROR_CODES, type ErrorCode } from '../../errors/error-codes.js';
import { MessageValidationError } from '../../errors/message-validation-error.js';
import { NodeNotFoundError } from '../../errors/node-not-found-error.js';
import { NodeTransitionError } from '../../errors/node-transition-error.js';
import { QueryInputError } from '../../errors/query-input-error.js';
import { ResultInputError } from '../../errors/result-input-error.js';
import { RunInputError } from '../../errors/run-input-error.js';
import { SluiceError } from '../../errors/sluice-error.js';
import { UpdateInputError } from '../../errors/update-input-error.js';
import { WaiverForbiddenError } from '../../errors/waiver-forbidden-error.js';
import { WaiverInputError } from '../../errors/waiver-input-error.js';
import { ROOT } from '../support/paths.js';

const CODES = Object.keys(ERROR_CODES) as ErrorCode[];

/** The project's own TypeScript, without tests (a code only a test throws is not in use). */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory())
      return ['node_modules', 'dist', 'tests', '.git'].includes(e.name) ? [] : sourceFiles(full);
    return e.name.endsWith('.ts') && full !== path.join(ROOT, 'errors/error-codes.ts') ? [full] : [];
  });
}

test('every code in ERROR_CODES is raised somewhere in the source', () => {
  const text = sourceFiles(ROOT)
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
  const unused = CODES.filter((code) => !text.includes(`'${code}'`));
  assert.deepEqual(unused, [], 'codes nobody raises should leave the table');
});

describe('the HTTP error handler', () => {
  // A message a secret could hide in: redaction must cut the password, a verbatim answer keeps it.
  const MESSAGE = 'cannot reach amqp://sluice:s3cret@broker:5672';
  let thrown: Error;
  let app: FastifyInstance;
  before(async () => {
    app = Fastify({ logger: false });
    installErrorHandler(app);
    app.get('/throw', async () => {
      throw thrown;
    });
    app.post(
      '/validated',
      { schema: { body: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } } } },
      async () => ({}),
    );
    await app.ready();
  });
  after(() => app?.close());

  const answer = async (err: Error) => {
    thrown = err;
    const res = await app.inject({ method: 'GET', url: '/throw' });
    return { status: res.statusCode, body: res.json() as { message: string; problems?: string[] } };
  };

  for (const code of CODES) {
    const { status, answer: wording } = ERROR_CODES[code];
    test(`${code}: ${status}, message ${wording}`, async () => {
      const res = await answer(new SluiceError(code, MESSAGE));
      assert.equal(res.status, status);
      if (wording === 'hidden')
        assert.match(res.body.message, /^internal error; see the server log for request \S+$/);
      else
        assert.equal(
          res.body.message,
          wording === 'verbatim' ? MESSAGE : 'cannot reach amqp://sluice:***@broker:5672',
        );
    });
  }

  // What the error classes answered before the codes went into a table; the clients of the
  // ResultsDB / WaiverDB / Greenwave APIs depend on these statuses.
  const cases: [string, Error, number, object][] = [
    [
      'ResultsDB result',
      new ResultInputError('outcome', 'must be one of PASSED, ...'),
      400,
      { message: 'outcome: must be one of PASSED, ...' },
    ],
    ['ResultsDB query', new QueryInputError('since', 'not a date'), 400, { message: 'since: not a date' }],
    [
      'WaiverDB waiver',
      new WaiverInputError('[1].comment', 'required'),
      400,
      { message: '[1].comment: required' },
    ],
    [
      'WaiverDB permission',
      new WaiverForbiddenError('alice may not waive t'),
      403,
      { message: 'alice may not waive t' },
    ],
    [
      'Greenwave bad request',
      new DecisionInputError('Missing required product version'),
      400,
      { message: 'Missing required product version' },
    ],
    [
      'Greenwave no JSON',
      new DecisionInputError('No JSON payload in request', 'DECISION_NO_JSON'),
      415,
      { message: 'No JSON payload in request' },
    ],
    [
      'Greenwave no policy',
      new DecisionInputError('Found no applicable policies', 'POLICY_NOT_FOUND'),
      404,
      { message: 'Found no applicable policies' },
    ],
    [
      'message schema',
      new MessageValidationError('t.x', ['body/n: must be integer']),
      400,
      {
        message: 'message on topic "t.x" is invalid: body/n: must be integer',
        problems: ['body/n: must be integer'],
      },
    ],
    [
      'unknown topic',
      new MessageValidationError('t.y', ['topic: no schema is registered for "t.y"'], 'TOPIC_UNKNOWN'),
      400,
      {
        message: 'message on topic "t.y" is invalid: topic: no schema is registered for "t.y"',
        problems: ['topic: no schema is registered for "t.y"'],
      },
    ],
    [
      'broker down',
      new BusUnavailableError(`publish not confirmed: ${MESSAGE}`),
      503,
      { message: 'publish not confirmed: cannot reach amqp://sluice:***@broker:5672' },
    ],
    ['no node', new NodeNotFoundError(7), 404, { message: 'node 7 not found' }],
    [
      'node transition',
      new NodeTransitionError('NODE_DONE', 'node 7 is done'),
      409,
      { message: 'node 7 is done' },
    ],
    ['run input', new RunInputError('job', 'unknown'), 400, { message: 'job: unknown' }],
    ['update input', new UpdateInputError('builds', 'required'), 400, { message: 'builds: required' }],
    [
      'update exists',
      new UpdateInputError('alias', 'update FEDORA-1 exists already', 'UPDATE_EXISTS'),
      409,
      { message: 'alias: update FEDORA-1 exists already' },
    ],
  ];
  for (const [name, err, status, body] of cases) {
    test(`${name}: ${err.constructor.name} answers ${status}`, async () => {
      const res = await answer(err);
      assert.equal(res.status, status);
      assert.deepEqual(res.body, body);
    });
  }

  test('a configuration error in a request is a 500 that names only the request', async () => {
    const res = await answer(new ConfigError('sluice.yaml', [`bus.url: ${MESSAGE}`]));
    assert.equal(res.status, 500);
    assert.doesNotMatch(res.body.message, /s3cret|sluice\.yaml/);
  });

  test('errors that are not Sluice errors keep their fallthroughs', async () => {
    const tooLarge = Object.assign(new Error(`body too large for ${MESSAGE}`), { statusCode: 413 });
    assert.deepEqual(await answer(tooLarge), {
      status: 413,
      body: { message: 'body too large for cannot reach amqp://sluice:***@broker:5672' },
    });
    const plain = await answer(new Error(MESSAGE));
    assert.equal(plain.status, 500);
    assert.doesNotMatch(plain.body.message, /s3cret/);
    const invalid = await app.inject({ method: 'POST', url: '/validated', payload: { n: 'x' } });
    assert.equal(invalid.statusCode, 400);
    assert.deepEqual(invalid.json(), { message: 'body/n must be integer' });
  });
});
