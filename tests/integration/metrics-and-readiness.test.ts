import assert from 'node:assert/strict';
import { test } from 'node:test';
import { opsService } from '../support/ops-service.js';
import { waitFor } from '../support/wait-for.js';

/** The value of one sample line in Prometheus text, or undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const [, labelText = '', value] = /^[^{ ]+(?:\{(.*)\})? (\S+)$/.exec(line) ?? [];
    if (Object.entries(labels).every(([k, v]) => labelText.includes(`${k}="${v}"`))) return Number(value);
  }
  return undefined;
}

test('/metrics counts consumed, published and dead-lettered messages per topic, handler and HTTP durations per route, the outbox and event streams; each service has its own registry', async (t) => {
  const a = await opsService();
  const b = await opsService();
  const base = (await a.start())!;
  await b.start();
  t.after(() => Promise.all([a.stop(), b.stop()]));

  const post = (topic: string, body: unknown) =>
    fetch(`${base}/api/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ topic, body }),
    });
  for (let i = 0; i < 3; i++)
    assert.equal(
      (await post('result.submit', { testcase: `metrics.case${i}`, outcome: 'PASSED' })).status,
      202,
    );
  // Valid for the schema, refused by the store: dead-lettered by the result-submit consumer.
  assert.equal(
    (await post('result.submit', { testcase: 'metrics.bad', outcome: 'NOT-AN-OUTCOME' })).status,
    202,
  );
  await waitFor(
    'the results stored',
    async () =>
      (
        (await (await fetch(`${base}/api/v2.0/results?testcases:like=metrics.*`)).json()) as {
          data: unknown[];
        }
      ).data.length === 3,
  );

  const stream = new AbortController();
  const sse = await fetch(`${base}/api/v1/events`, { signal: stream.signal });
  assert.equal(sse.status, 200);

  const text = await waitFor('the metrics to show every message', async () => {
    const body = await (await fetch(`${base}/metrics`)).text();
    return sample(body, 'sluice_messages_dead_lettered_total', { topic: 'result.submit' }) === 1 &&
      sample(body, 'sluice_messages_published_total', { topic: 'resultsdb.result.new' }) === 3
      ? body
      : undefined;
  });
  assert.equal(
    sample(text, 'sluice_messages_consumed_total', {
      consumer: 'result-submit',
      topic: 'result.submit',
      outcome: 'ack',
    }),
    3,
  );
  assert.equal(
    sample(text, 'sluice_messages_consumed_total', {
      consumer: 'result-submit',
      topic: 'result.submit',
      outcome: 'dead-letter',
    }),
    1,
  );
  assert.equal(sample(text, 'sluice_messages_published_total', { topic: 'result.submit' }), 4);
  assert.equal(
    sample(text, 'sluice_message_handler_duration_seconds_count', {
      consumer: 'result-submit',
      topic: 'result.submit',
    }),
    4,
  );
  assert.equal(
    sample(text, 'sluice_http_request_duration_seconds_count', {
      method: 'POST',
      route: '/api/v1/messages',
      status_code: '202',
    }),
    4,
  );
  assert.ok(
    sample(text, 'sluice_http_request_duration_seconds_count', {
      method: 'GET',
      route: '/api/v2.0/results',
      status_code: '200',
    })! >= 1,
  );
  assert.equal(sample(text, 'sluice_event_streams'), 1);
  assert.equal(sample(text, 'sluice_outbox_depth'), 0);
  assert.equal(sample(text, 'sluice_outbox_oldest_age_seconds'), 0);
  assert.equal(sample(text, 'sluice_info', { roles: 'api,consumers,runner,scheduler', bus: 'embedded' }), 1);
  stream.abort();
  await waitFor(
    'the stream to be counted as closed',
    async () => sample(await (await fetch(`${base}/metrics`)).text(), 'sluice_event_streams') === 0,
  );

  // The other service in this process saw none of it.
  const other = await b.ctx.metrics.text();
  assert.equal(sample(other, 'sluice_messages_published_total', { topic: 'result.submit' }), undefined);
});

test('the metrics later parts call (decisions, jobs, builders, notifications) are exported with their labels', async (t) => {
  const service = await opsService();
  t.after(() => service.stop());
  const m = service.ctx.metrics;
  m.observeDecision('bodhi_update_push_stable', 0.004, true);
  m.observeJob('builder-1', 'pass', 420);
  m.observeJob('builder-1', 'fail', 60);
  m.setBuilderHealth('builder-1', true, 2);
  m.setBuilderHealth('builder-2', false);
  m.countNotification('mail', 'sent');
  const text = await m.text();
  assert.equal(
    sample(text, 'sluice_decision_duration_seconds_count', {
      decision_context: 'bodhi_update_push_stable',
      satisfied: 'true',
    }),
    1,
  );
  assert.equal(
    sample(text, 'sluice_job_duration_seconds_bucket', { builder: 'builder-1', outcome: 'pass', le: '600' }),
    1,
  );
  assert.equal(sample(text, 'sluice_jobs_finished_total', { builder: 'builder-1', outcome: 'fail' }), 1);
  assert.equal(sample(text, 'sluice_builder_up', { builder: 'builder-2' }), 0);
  assert.equal(sample(text, 'sluice_builder_running_jobs', { builder: 'builder-1' }), 2);
  assert.equal(sample(text, 'sluice_notifications_total', { channel: 'mail', outcome: 'sent' }), 1);
});

test('/readyz reports every registered dependency: 503 while a critical one is down, 200 when only a non-critical one is; a hung check times out', async (t) => {
  const service = await opsService();
  const base = (await service.start())!;
  t.after(() => service.stop());
  const ready = async () => {
    const res = await fetch(`${base}/readyz`);
    return {
      status: res.status,
      body: (await res.json()) as {
        status: string;
        checks: Record<string, { ok: boolean; detail: string; critical: boolean }>;
      },
    };
  };
  let r = await ready();
  assert.equal(r.status, 200);
  // The embedded default's local builder (the demo pipeline's runner) is reported too.
  assert.deepEqual(Object.keys(r.body.checks), ['store', 'bus', 'builder:local']);
  assert.equal(r.body.checks.bus!.ok, true);

  let smtpUp = false;
  service.ctx.health.register('smtp', () => ({
    ok: smtpUp,
    detail: smtpUp
      ? 'smtp://mail.example:25 answers'
      : 'connect ECONNREFUSED smtp://mailer:hunter2@mail.example:25',
  }));
  service.ctx.health.register('builder:b1', () => ({ ok: false, detail: 'ssh: connection timed out' }), {
    critical: false,
  });
  r = await ready();
  assert.equal(r.status, 503);
  assert.equal(r.body.status, 'not ready');
  assert.equal(r.body.checks.smtp!.ok, false);
  assert.ok(!JSON.stringify(r.body).includes('hunter2'), 'a password in a detail is cut out');
  smtpUp = true;
  r = await ready();
  assert.equal(r.status, 200, 'a non-critical builder down does not make the process unready');
  assert.equal(r.body.checks['builder:b1']!.ok, false);

  service.ctx.health.register('hangs', () => new Promise(() => {}));
  const started = Date.now();
  r = await ready();
  assert.equal(r.status, 503);
  assert.match(r.body.checks.hangs!.detail, /no answer within/);
  assert.ok(Date.now() - started < 5000);
});
