import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { DECISION_UPDATE } from '../../gating/decision-update-message.js';
import { GIT_RECEIVE } from '../../pipeline/git-receive.js';
import { REGISTRY_NOTIFICATION } from '../../pipeline/image-push.js';
import { JOB_CANCEL, JOB_FINISHED, JOB_LOG, JOB_QUEUED, JOB_STARTED } from '../../pipeline/job-messages.js';
import { NODE_CREATED, NODE_UPDATED } from '../../pipeline/node-message.js';
import { RESULT_NEW, RESULT_SUBMIT } from '../../results/result-topics.js';
import { BUILTIN_SCHEMA_DIR, SchemaRegistry } from '../../schemas/schema-registry.js';
import type { Topic } from '../../schemas/topic-contract.js';
import { UPDATE_STATUS } from '../../updates/update-json.js';
import { WAIVER_NEW } from '../../waivers/waiver-topics.js';

const CONTRACTS: Topic[] = [
  DECISION_UPDATE,
  GIT_RECEIVE,
  JOB_CANCEL,
  JOB_FINISHED,
  JOB_LOG,
  JOB_QUEUED,
  JOB_STARTED,
  NODE_CREATED,
  NODE_UPDATED,
  REGISTRY_NOTIFICATION,
  RESULT_NEW,
  RESULT_SUBMIT,
  UPDATE_STATUS,
  WAIVER_NEW,
];

const registry = new SchemaRegistry();

test("each topic contract names the schema the registry checks that topic's bodies against", () => {
  for (const topic of CONTRACTS) {
    const file = path.join(BUILTIN_SCHEMA_DIR, topic.schemaFile);
    const schema = JSON.parse(readFileSync(file, 'utf8')) as { $id: string; 'x-sluice-topics': string[] };
    assert.ok(schema['x-sluice-topics'].includes(topic.name), `${topic.schemaFile} lists ${topic.name}`);
    assert.equal(registry.schemaIdFor(topic.name), schema.$id, topic.name);
  }
});

test('every topic with a schema of its own (no wildcard) has a contract, and no two contracts share a name', () => {
  const exact = readdirSync(BUILTIN_SCHEMA_DIR)
    .filter((n) => n.endsWith('.json'))
    .flatMap(
      (n) =>
        (
          JSON.parse(readFileSync(path.join(BUILTIN_SCHEMA_DIR, n), 'utf8')) as {
            'x-sluice-topics'?: string[];
          }
        )['x-sluice-topics'] ?? [],
    )
    .filter((t) => !t.includes('*') && !t.includes('#'));
  const named = CONTRACTS.map((c) => c.name);
  assert.deepEqual([...named].sort(), [...new Set(exact)].sort());
  assert.equal(new Set(named).size, named.length);
});

test('a contract is frozen: nothing can rename a topic at run time', () => {
  assert.throws(() => {
    (RESULT_NEW as { name: string }).name = 'other';
  }, TypeError);
});
