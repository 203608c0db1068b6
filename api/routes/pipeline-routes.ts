import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { remoteHeads } from '../../dispatch/git-remote.js';
import { NodeNotFoundError } from '../../errors/node-not-found-error.js';
import { NodePrunedError } from '../../errors/node-pruned-error.js';
import { RunInputError } from '../../errors/run-input-error.js';
import { isNodeState } from '../../pipeline/node-state.js';
import { unknownRepoProblem } from '../../pipeline/unknown-repo.js';
import { branchNameProblem } from '../../pipeline/git-ref.js';
import { nodeJson, PIPELINE_API, type PipelineNode } from '../../pipeline/pipeline-node.js';
import type { AppContext } from '../app-context.js';
import { LogTails } from '../log-tails.js';
import type { StreamSlots } from '../stream-slots.js';
import { doc } from '../route-doc.js';

interface RunBody {
  repo?: unknown;
  branch?: unknown;
  revision?: unknown;
  namespace?: unknown;
}

/** What these routes use of the service: nothing else reaches them. */
export type PipelineRouteDeps = Pick<AppContext, 'auth' | 'config' | 'pipeline' | 'serverUrl'>;

/**
 * The pipeline API: start a run, list runs and nodes, read a job's log (following it while the
 * job runs), fetch artifacts, re-run a job. Reads are open; starting and re-running need a
 * token with runs:write.
 */
export function pipelineRoutes(app: FastifyInstance, ctx: PipelineRouteDeps, streams: StreamSlots): void {
  const { nodes, engine, logs, retention } = ctx.pipeline;
  // A node pruned by pipeline.retention is gone (410), not unknown (404).
  const requireNode = (id: number): PipelineNode => {
    const node = nodes.get(id);
    if (node) return node;
    const at = retention.prunedAt(id, 'node');
    if (at !== undefined) throw new NodePrunedError(`node ${id} (with its run)`, at);
    throw new NodeNotFoundError(id);
  };
  const gone = (nodeId: number, what: 'log' | 'artifacts') => {
    const at = retention.prunedAt(nodeId, what);
    if (at !== undefined)
      throw new NodePrunedError(
        what === 'log' ? `the log of node ${nodeId}` : `the artifacts of node ${nodeId}`,
        at,
      );
  };
  const write = { preHandler: ctx.auth.require('runs:write') };
  const json = (n: PipelineNode) => nodeJson(n, ctx.serverUrl());
  const follows = new Set<AbortController>();
  const tails = new LogTails();
  app.addHook('preClose', async () => {
    for (const f of follows) f.abort();
  });

  app.post<{ Body: RunBody }>(
    `${PIPELINE_API}/runs`,
    { ...write, ...doc('Start a run of a repo and branch (the head when no revision is given)', 'pipeline') },
    async (req, reply) => {
      const body = (req.body ?? {}) as RunBody;
      const repo = requiredString(body.repo, 'repo', 512);
      const branch = requiredString(body.branch, 'branch', 255);
      const namespace = optionalString(body.namespace, 'namespace', 128);
      let revision = optionalString(body.revision, 'revision', 64);
      if (revision !== null && !/^[0-9a-fA-F]{7,64}$/.test(revision))
        throw new RunInputError('revision', 'must be a commit hash (7 to 64 hex digits)');
      // The branch's own problems first (startRun checks it too): they say more than "unknown repo".
      const badBranch = branchNameProblem(branch);
      if (badBranch !== undefined) throw new RunInputError('branch', badBranch);
      const unknown = unknownRepoProblem(ctx.config.pipeline, repo);
      if (unknown !== null) throw new RunInputError('repo', unknown);
      if (revision === null) revision = await headOf(ctx, repo, namespace, branch);
      const run = ctx.pipeline.transact(() =>
        engine.startRun({
          repo,
          branch,
          revision,
          namespace,
          source: 'api',
          author: req.caller?.user ?? null,
        }),
      );
      return reply.code(201).send(json(run));
    },
  );

  app.get<{ Querystring: Query }>(
    `${PIPELINE_API}/runs`,
    doc('Runs, newest first; filters: repo, branch, limit, before', 'pipeline'),
    async (req) => {
      const q = singles(req.query);
      const roots = nodes.list({
        rootsOnly: true,
        repo: q.repo,
        branch: q.branch,
        limit: limitOf(q.limit),
        beforeId: idOf(q.before, 'before'),
      });
      return { data: roots.map(json) };
    },
  );

  app.get<{ Params: { id: string } }>(
    `${PIPELINE_API}/runs/:id`,
    doc('One run with its nodes', 'pipeline'),
    async (req) => {
      const root = requireNode(nodeId(req.params.id));
      if (root.parentId !== null)
        throw new NodeNotFoundError(`${root.id} (it is a node of run ${root.runId}, not a run)`);
      return {
        ...json(root),
        nodes: nodes.list({ runId: root.id, limit: 100000 }).map(json),
        deployments: ctx.pipeline.environments.deployments(root.id),
      };
    },
  );

  app.post<{ Params: { id: string }; Body: { reason?: unknown } | undefined }>(
    `${PIPELINE_API}/runs/:id/cancel`,
    { ...write, ...doc("Cancel a run's unfinished jobs", 'pipeline') },
    async (req) => {
      const root = requireNode(nodeId(req.params.id));
      const reason =
        optionalString(req.body?.reason, 'reason', 4096) ?? `cancelled by ${req.caller?.user ?? 'someone'}`;
      const cancelled = ctx.pipeline.transact(() => engine.cancelRun(root.runId, reason));
      return { cancelled };
    },
  );

  app.get<{ Querystring: Query }>(
    `${PIPELINE_API}/nodes`,
    doc('Nodes; filters: run_id, kind, state, limit, before', 'pipeline'),
    async (req) => {
      const q = singles(req.query);
      if (q.state !== undefined && !isNodeState(q.state))
        throw new RunInputError('state', 'must be one of running, available, closing, done');
      const list = nodes.list({
        runId: q.run_id !== undefined ? idOf(q.run_id, 'run_id') : undefined,
        kind: q.kind,
        state: q.state as PipelineNode['state'] | undefined,
        limit: limitOf(q.limit),
        beforeId: idOf(q.before, 'before'),
      });
      return { data: list.map(json) };
    },
  );

  app.get<{ Params: { id: string } }>(
    `${PIPELINE_API}/nodes/:id`,
    doc('One node (KernelCI model: kind, state, result, data, artifacts)', 'pipeline'),
    async (req) => json(requireNode(nodeId(req.params.id))),
  );

  app.post<{ Params: { id: string } }>(
    `${PIPELINE_API}/nodes/:id/retry`,
    { ...write, ...doc("Run a node's job again as a new node with its retry counter raised", 'pipeline') },
    async (req, reply) => {
      const node = ctx.pipeline.transact(() => engine.retry(nodeId(req.params.id)));
      return reply.code(201).send(json(node));
    },
  );

  app.get<{ Params: { id: string }; Querystring: Query }>(
    `${PIPELINE_API}/nodes/:id/log`,
    {
      config: { stream: true },
      ...doc("A job's log; with follow=1 it keeps streaming as the job writes", 'pipeline'),
    },
    async (req, reply) => {
      const node = requireNode(nodeId(req.params.id));
      gone(node.id, 'log');
      const file = logs.file(node.id);
      reply.type('text/plain; charset=utf-8').header('cache-control', 'no-store');
      if (!['1', 'true', 'yes'].includes(singles(req.query).follow ?? '')) {
        return logs.size(node.id) > 0 ? reply.send(createReadStream(file)) : reply.send('');
      }
      const ac = new AbortController();
      // A followed log holds its slot until the job ends or the client leaves.
      const release = streams.take(() => ac.abort());
      if (!release) return streams.refuse(reply);
      follows.add(ac);
      req.raw.once('close', () => ac.abort());
      const stream = Readable.from(tails.follow(node.id, file, () => nodes.get(node.id), ac.signal));
      stream.once('close', () => {
        follows.delete(ac);
        release();
      });
      return reply.send(stream);
    },
  );

  app.get<{ Params: { id: string } }>(
    `${PIPELINE_API}/nodes/:id/artifacts`,
    doc("A node's artifacts", 'pipeline'),
    async (req) => {
      const node = json(requireNode(nodeId(req.params.id)));
      gone(node.id, 'artifacts');
      return { data: Object.entries(node.artifacts).map(([name, a]) => ({ name, ...a })) };
    },
  );

  app.get<{ Params: { id: string; '*': string } }>(
    `${PIPELINE_API}/nodes/:id/artifacts/*`,
    doc('One artifact file', 'pipeline'),
    async (req, reply) => {
      const node = requireNode(nodeId(req.params.id));
      gone(node.id, 'artifacts');
      const name = req.params['*'];
      if (!Object.hasOwn(node.artifacts, name))
        return reply.code(404).send({ message: `node ${node.id} has no artifact "${name}"` });
      const base = path.resolve(ctx.pipeline.artifactsDir, String(node.id));
      const file = path.resolve(base, name);
      if (!file.startsWith(base + path.sep))
        return reply.code(404).send({ message: `node ${node.id} has no artifact "${name}"` });
      const st = await stat(file).catch(() => undefined);
      if (!st)
        return reply
          .code(410)
          .send({ message: `artifact "${name}" of node ${node.id} is listed but no longer stored` });
      return reply.type(contentType(name)).header('content-length', st.size).send(createReadStream(file));
    },
  );
}

async function headOf(
  ctx: Pick<AppContext, 'config'>,
  repo: string,
  namespace: string | null,
  branch: string,
): Promise<string | null> {
  const configured = ctx.config.pipeline.repos.find(
    (r) => r.name === repo && (r.namespace === null || r.namespace === namespace),
  );
  if (!configured?.url) return null;
  let heads: Map<string, string>;
  try {
    heads = await remoteHeads(configured.url, [branch]);
  } catch (err) {
    throw new RunInputError(
      'revision',
      `none given, and the head of ${branch} could not be read from ${configured.url}: ${(err as Error).message.split('\n')[0]}`,
    );
  }
  const head = heads.get(branch);
  if (!head) throw new RunInputError('branch', `${configured.url} has no branch "${branch}"`);
  return head;
}

function contentType(name: string): string {
  if (/\.(log|txt|yml|yaml|spec)$/.test(name)) return 'text/plain; charset=utf-8';
  if (/\.xml$/.test(name)) return 'application/xml';
  if (/\.json$/.test(name)) return 'application/json';
  return 'application/octet-stream';
}

/** A query string as fastify parses it: a parameter given twice is a list. */
type Query = Record<string, string | string[] | undefined>;

/** Every parameter of these routes takes one value; a repeated one is refused, not bound as a list. */
function singles(query: Query): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, v] of Object.entries(query)) {
    if (Array.isArray(v)) throw new RunInputError(name, `given ${v.length} times; it takes one value`);
    out[name] = v;
  }
  return out;
}

function nodeId(raw: string): number {
  if (!/^\d{1,15}$/.test(raw)) throw new NodeNotFoundError(raw);
  return Number(raw);
}

function idOf(raw: string | undefined, field: string): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d{1,15}$/.test(raw)) throw new RunInputError(field, 'must be a node id');
  return Number(raw);
}

function limitOf(raw: string | undefined): number {
  if (raw === undefined) return 50;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 1000)
    throw new RunInputError('limit', 'must be an integer from 1 to 1000');
  return n;
}

function requiredString(v: unknown, field: string, max: number): string {
  if (v === undefined || v === null) throw new RunInputError(field, 'is required');
  if (typeof v !== 'string' || v === '') throw new RunInputError(field, 'must be a non-empty string');
  if (v.length > max) throw new RunInputError(field, `must be at most ${max} characters`);
  return v;
}

function optionalString(v: unknown, field: string, max: number): string | null {
  if (v === undefined || v === null) return null;
  return requiredString(v, field, max);
}
