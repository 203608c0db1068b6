import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../errors/config-error.js';
import { compileConfig, validateConfig } from '../../service/load-config.js';

const compile = (raw: unknown) =>
  compileConfig(validateConfig(raw, 'sluice.yaml'), 'sluice.yaml', '/srv/sluice');

test('housekeeping runs on schedules from the configuration, with defaults', () => {
  const config = compile({});
  assert.equal(config.notify.pruneCron, '41 3 * * *');
  assert.equal(config.scheduler.pruneCron, '17 * * * *');
  assert.equal(compile({ notify: { pruneCron: '5 2 * * 0' } }).notify.pruneCron, '5 2 * * 0');
});

test('a schedule that is not a cron expression is refused, naming each setting', () => {
  assert.throws(
    () =>
      compile({
        notify: { pruneCron: 'nightly' },
        scheduler: { pruneCron: '* * *' },
        gating: { updates: { recheckCron: '*/5 * * * * * *' } },
      }),
    (err: unknown) =>
      err instanceof ConfigError &&
      err.problems.includes('notify.pruneCron: "nightly" is not a cron expression of 5 or 6 fields') &&
      err.problems.includes('scheduler.pruneCron: "* * *" is not a cron expression of 5 or 6 fields') &&
      err.problems.includes(
        'gating.updates.recheckCron: "*/5 * * * * * *" is not a cron expression of 5 or 6 fields',
      ),
  );
});
