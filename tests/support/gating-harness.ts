import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { ConsumeMessage } from 'amqplib';
import type { CompiledConfig, RawConfig } from '../../config/config-types.js';
import type { StoredResult } from '../../results/result-json.js';
import type { SluiceService, SluiceServiceOptions } from '../../service/sluice-service.js';
import { serviceWithSubscriber } from './amqp-harness.js';
import { policiesDir } from './policies-dir.js';
import { testConfig } from './test-config.js';
import { waitFor } from './wait-for.js';

/** A message as a subscriber bound to the exchange receives it. */
export interface Received {
  topic: string;
  messageId: string;
  body: Record<string, unknown>;
  headers: Record<string, unknown>;
}

export interface GatingHarness {
  service: SluiceService;
  config: CompiledConfig;
  base: string;
  /** Every message on the watched topics, in arrival order. */
  received: Received[];
  /** POST /api/v2.0/results; returns the stored result. */
  result(
    testcase: string,
    outcome: string,
    item: string,
    extra?: Record<string, unknown>,
  ): Promise<StoredResult>;
  /** POST /api/v1.0/waivers/; returns the stored waiver. */
  waive(body: Record<string, unknown>): Promise<Record<string, unknown> & { id: number }>;
  /** POST /api/v1/updates; returns status and body. */
  fileUpdate(body: unknown): Promise<{ status: number; body: Record<string, unknown> }>;
  /** GET /api/v1/updates/:id. */
  update(id: string): Promise<{ status: number; body: Record<string, unknown> }>;
  /** Publishes as another system would: straight to the exchange, with our own message id. */
  publishRaw(topic: string, body: unknown, messageId: string): Promise<void>;
  /** The messages on `topic` received so far. */
  on(topic: string): Received[];
  /** Waits until `n` messages on `topic` have arrived, and returns them. */
  waitFor(topic: string, n: number, what?: string): Promise<Received[]>;
  /**
   * Returns once everything stored before it was handled: stores a failing result for a fresh
   * build (BARRIER_TESTCASE must be required for fedora-* koji builds) and waits for its message.
   */
  barrier(): Promise<void>;
}

export const WATCHED = ['greenwave.decision.update', 'update.gating.status', 'resultsdb.result.new'];
export const BARRIER_TESTCASE = 'dist.rpmdeplint';

/**
 * A whole Sluice on RabbitMQ with these policy files, and a subscriber of its own on the gating
 * topics. Decision changes are left to the gating-changes consumer (gating.changesWhenStored
 * false) unless `raw` says otherwise: the tests using it are about the consumer, and `barrier()`
 * relies on the consumer's queue order.
 */
export async function gatingHarness(
  t: TestContext,
  url: string,
  policies: string,
  raw: RawConfig = {},
  options: Partial<SluiceServiceOptions> = {},
): Promise<GatingHarness> {
  const dir = policiesDir(policies);
  const config = testConfig(
    { ...raw, gating: { policiesDir: dir, changesWhenStored: false, ...raw.gating } },
    { amqpUrl: url },
  );
  const {
    service,
    base,
    connection: conn,
    channel: sub,
    queue,
  } = await serviceWithSubscriber(
    t,
    config,
    WATCHED.map((topic) => config.bus.topicPrefix + topic),
    options,
  );
  const received: Received[] = [];
  await sub.consume(
    queue,
    (m: ConsumeMessage | null) => {
      if (!m) return;
      received.push({
        topic: m.fields.routingKey.slice(config.bus.topicPrefix.length),
        messageId: String(m.properties.messageId),
        body: JSON.parse(m.content.toString('utf8')) as Record<string, unknown>,
        headers: (m.properties.headers ?? {}) as Record<string, unknown>,
      });
    },
    { noAck: true },
  );
  const pub = await conn.createConfirmChannel();

  const post = async (p: string, body: unknown) => {
    const res = await fetch(base + p, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const on = (topic: string) => received.filter((r) => r.topic === topic);
  let sentinels = 0;
  const result = async (
    testcase: string,
    outcome: string,
    item: string,
    extra: Record<string, unknown> = {},
  ) => {
    const res = await post('/api/v2.0/results', {
      testcase,
      outcome,
      data: { item, type: 'koji_build', ...extra },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body as unknown as StoredResult;
  };
  return {
    service,
    config,
    base,
    received,
    result,
    async waive(body) {
      const res = await post('/api/v1.0/waivers/', {
        subject_type: 'koji_build',
        comment: 'known infrastructure problem',
        ...body,
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body as Record<string, unknown> & { id: number };
    },
    fileUpdate: (body) => post('/api/v1/updates', body),
    async update(id) {
      const res = await fetch(`${base}/api/v1/updates/${encodeURIComponent(id)}`);
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    },
    async publishRaw(topic, body, messageId) {
      pub.publish(config.bus.exchange, config.bus.topicPrefix + topic, Buffer.from(JSON.stringify(body)), {
        messageId,
        persistent: true,
        contentType: 'application/json',
      });
      await pub.waitForConfirms();
    },
    on,
    waitFor: (topic, n, what) =>
      waitFor(what ?? `${n} ${topic} messages`, () => (on(topic).length >= n ? on(topic) : undefined)),
    async barrier() {
      // Handled in queue order: once this fresh build's decision message is out, everything before it was handled too.
      const nvr = `sentinel${++sentinels}-1.0-1.fc41`;
      await result(BARRIER_TESTCASE, 'FAILED', nvr);
      await waitFor(`the decision message for ${nvr}`, () =>
        on('greenwave.decision.update').some((m) => m.body.subject_identifier === nvr),
      );
    },
  };
}
