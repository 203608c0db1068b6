import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { RawConfig } from '../../config/config-types.js';
import type { NodeJson } from '../../pipeline/pipeline-node.js';
import type { StoredResult } from '../../results/result-json.js';
import { SluiceService } from '../../service/sluice-service.js';
import { silentLogger, testConfig } from './test-config.js';
import { waitFor } from './wait-for.js';

export interface PipelineHarness {
  service: SluiceService;
  base: string;
  request(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** POST /api/v1/runs; returns the run's root node. */
  startRun(body: Record<string, unknown>): Promise<NodeJson>;
  node(id: number): Promise<NodeJson>;
  /** The run's nodes, once `ready` says they are what the test waits for. */
  waitRun(runId: number, ready: (nodes: NodeJson[]) => boolean, timeoutMs?: number): Promise<NodeJson[]>;
  /** The run's job node named `name`, once it has a result. */
  finished(runId: number, name: string, timeoutMs?: number): Promise<NodeJson>;
  log(id: number): Promise<string>;
  results(query: Record<string, string>): Promise<StoredResult[]>;
}

/** A whole Sluice (HTTP on a free port) with the pipeline settings given; stopped after the test. */
export async function startPipeline(
  t: TestContext,
  pipeline: RawConfig['pipeline'],
  {
    amqpUrl,
    gating,
    forges,
  }: { amqpUrl?: string; gating?: RawConfig['gating']; forges?: RawConfig['forges'] } = {},
): Promise<PipelineHarness> {
  const config = testConfig(
    {
      pipeline: { sweepCron: '* * * * * *', ...pipeline },
      ...(gating ? { gating } : {}),
      ...(forges ? { forges } : {}),
    },
    { amqpUrl },
  );
  const service = await SluiceService.create({ config, log: silentLogger() });
  const base = (await service.start())!;
  t.after(() => service.stop());
  const request = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(base + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // a log or an artifact
    }
    return { status: res.status, body: parsed as any };
  };
  const runNodes = async (runId: number) =>
    ((await request('GET', `/api/v1/runs/${runId}`)).body as { nodes: NodeJson[] }).nodes;
  const h: PipelineHarness = {
    service,
    base,
    request,
    async startRun(body) {
      const res = await request('POST', '/api/v1/runs', body);
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body as NodeJson;
    },
    async node(id) {
      const res = await request('GET', `/api/v1/nodes/${id}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body as NodeJson;
    },
    async waitRun(runId, ready, timeoutMs = 30_000) {
      return waitFor(
        `run ${runId}`,
        async () => {
          const nodes = await runNodes(runId);
          return ready(nodes) ? nodes : undefined;
        },
        timeoutMs,
        50,
      );
    },
    async finished(runId, name, timeoutMs = 30_000) {
      const nodes = await h.waitRun(
        runId,
        (ns) => ns.some((n) => n.name === name && n.result !== null),
        timeoutMs,
      );
      return nodes.find((n) => n.name === name && n.result !== null)!;
    },
    async log(id) {
      const res = await fetch(`${base}/api/v1/nodes/${id}/log`);
      return res.text();
    },
    async results(query) {
      const res = await request(
        'GET',
        `/api/v2.0/results?${new URLSearchParams({ limit: '100', ...query })}`,
      );
      assert.equal(res.status, 200);
      return (res.body as { data: StoredResult[] }).data;
    },
  };
  return h;
}
