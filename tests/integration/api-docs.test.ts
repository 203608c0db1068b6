import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { API_DOCS_FILE, generateApiDocs } from '../../service/api-docs.js';
import { ROOT } from '../support/paths.js';
import { opsService } from '../support/ops-service.js';

test('docs/api.md is what `npm run docs` generates from the route table, schemas, consumers, tasks and metrics (run it after adding any of them)', async () => {
  const committed = readFileSync(path.join(ROOT, API_DOCS_FILE), 'utf8');
  const generated = await generateApiDocs();
  if (committed !== generated) {
    const a = committed.split('\n');
    const b = generated.split('\n');
    const at = a.findIndex((line, i) => line !== b[i]);
    assert.fail(
      `${API_DOCS_FILE} is out of date: run "npm run docs". First difference at line ${at + 1}:\n  committed: ${a[at]}\n  generated: ${b[at]}`,
    );
  }
  for (const needle of [
    '| POST | `/api/v2.0/results` | `results:write` |',
    '`result.submit`',
    '`sluice_messages_consumed_total`',
    '`prune-processed-messages`',
  ]) {
    assert.ok(generated.includes(needle), needle);
  }
});

test('/api/openapi.json describes every route of the route table, with the schemas that validate the requests and the scopes writes need', async (t) => {
  const service = await opsService();
  const base = (await service.start())!;
  t.after(() => service.stop());
  const res = await fetch(`${base}/api/openapi.json`);
  assert.equal(res.status, 200);
  const doc = (await res.json()) as {
    openapi: string;
    paths: Record<
      string,
      Record<
        string,
        {
          summary?: string;
          security?: unknown[];
          description?: string;
          requestBody?: {
            content: Record<
              string,
              { schema: { required?: string[]; properties?: Record<string, unknown> } }
            >;
          };
          parameters?: Array<{ name: string; in: string }>;
        }
      >
    >;
  };
  assert.match(doc.openapi, /^3\./);
  for (const route of service.http!.routes) {
    const oaPath = route.url.replace(/:([A-Za-z_]+)/g, '{$1}').replace(/\*$/, '{*}');
    const op = doc.paths[oaPath]?.[route.method.toLowerCase()];
    assert.ok(op, `${route.method} ${route.url} is not in the OpenAPI document`);
    assert.ok(op.summary, `${route.method} ${route.url} has no summary`);
    if (route.access?.kind === 'write') {
      assert.deepEqual(op.security, [{ token: [] }], `${route.method} ${route.url}`);
      assert.ok(op.description?.includes(route.access.scope));
    }
  }
  // The same schema fastify validates POST /api/v1/messages with.
  const publish = doc.paths['/api/v1/messages']!.post!.requestBody!.content['application/json']!.schema;
  assert.deepEqual(publish.required, ['topic', 'body']);
  const invalid = await fetch(`${base}/api/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ topic: 'test.x' }),
  });
  assert.equal(invalid.status, 400);
  assert.match(((await invalid.json()) as { message: string }).message, /body/);
  const dlq = doc.paths['/api/v1/dlq']!.get!.parameters!;
  assert.ok(dlq.some((p) => p.name === 'limit' && p.in === 'query'));
});
