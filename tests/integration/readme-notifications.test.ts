import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { compileConfig, validateConfig } from '../../service/load-config.js';
import { compileRules } from '../../notify/notify-rules.js';
import { notifyRegistry } from '../support/notify-fixtures.js';
import { ROOT } from '../support/paths.js';

/** docs/notifications.md, the user document that promises what these check. */
const section = readFileSync(path.join(ROOT, 'docs', 'notifications.md'), 'utf8');

describe('the notifications document', () => {
  test('its notification rules are a valid configuration', () => {
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)![1]!;
    const config = compileConfig(validateConfig(parse(yaml), 'README'), 'README', ROOT);
    const { rules, problems } = compileRules(config.notify);
    assert.deepEqual(problems, []);
    assert.deepEqual(
      rules.map((r) => r.name),
      ['gating', 'job-failures', 'reports', 'dashboard'],
    );
  });

  test('every topic it lists has a sample body that its schema accepts', () => {
    const registry = notifyRegistry();
    const topics = section.slice(section.indexOf('## Topics Sluice publishes'));
    const headings = [...topics.matchAll(/^### (.+)$/gm)];
    const listed: string[] = [];
    headings.forEach((h, i) => {
      const names = [...h[1]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
      const body = topics.slice(h.index, headings[i + 1]?.index ?? topics.length);
      const samples = [...body.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]!) as unknown);
      assert.ok(samples.length > 0, `${names.join(', ')}: no sample body`);
      for (const name of names)
        for (const sample of samples)
          assert.doesNotThrow(() => registry.validate(name, sample), `${name}: its sample fails its schema`);
      listed.push(...names);
    });
    for (const published of [
      'resultsdb.result.new',
      'waiverdb.waiver.new',
      'greenwave.decision.update',
      'pipeline.node.created',
      'pipeline.node.updated',
    ]) {
      assert.ok(listed.includes(published), `${published} is not listed`);
    }
  });

  test('its sample mails have the subjects the templates make', () => {
    const subjects = [...section.matchAll(/^Subject: (\[sluice\] .+)$/gm)].map((m) => m[1]);
    assert.equal(subjects.length, 3);
    assert.match(subjects[0]!, /^\[sluice\] \S+ [0-9a-f]{12}: \S+ failed$/);
    assert.match(subjects[1]!, /^\[sluice\] gating \S+ \(.+\): satisfied → unsatisfied$/);
    assert.match(subjects[2]!, /^\[sluice\] \S+\/\S+ [0-9a-f]{12}: \d+ jobs, \d+ failures?$/);
  });
});
