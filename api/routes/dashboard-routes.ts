import { open } from 'node:fs/promises';
import type { Statement } from 'better-sqlite3';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ansiToHtml } from '../../dashboard/ansi-html.js';
import { DASHBOARD_CSS, DASHBOARD_JS } from '../../dashboard/assets.js';
import {
  type ContextDecision,
  historyPage,
  problemPage,
  type RequirementRow,
  subjectPage,
  type TestStatus,
  updatePage,
} from '../../dashboard/gating-pages.js';
import { type Html, html } from '../../dashboard/html.js';
import { ASSET_PATHS } from '../../dashboard/layout.js';
import { operationsPage, type OperationsData } from '../../dashboard/operations-page.js';
import { PAGE_PATHS } from '../../dashboard/page-paths.js';
import { nodePage, runPage, type RunRow, runsPage } from '../../dashboard/pipeline-pages.js';
import { resultPage, resultsSearchPage, waiversSearchPage } from '../../dashboard/search-pages.js';
import { ERROR_CODES } from '../../errors/error-codes.js';
import { SluiceError } from '../../errors/sluice-error.js';
import type { Requirement } from '../../gating/requirement.js';
import { subjectProductVersions } from '../../gating/product-versions.js';
import { SubjectTypes } from '../../gating/subject-types.js';
import { fnmatch } from '../../results/fnmatch.js';
import { parseResultsQuery, type QueryPairs } from '../../results/parse-results-query.js';
import { parseWaiversQuery } from '../../waivers/parse-waivers-query.js';
import type { PipelineNode } from '../../pipeline/pipeline-node.js';
import { nodeJson } from '../../pipeline/pipeline-node.js';
import type { StoredResult } from '../../results/result-json.js';
import type { AppContext } from '../app-context.js';
import { doc } from '../route-doc.js';
import { signedIn } from '../web-session.js';
import { WAIVERDB_PREFIX } from '../../waivers/waiver-json.js';
import { PUBLIC } from '../route-access.js';

export type DashboardRouteDeps = Pick<
  AppContext,
  | 'auth'
  | 'bus'
  | 'gating'
  | 'mailOutbox'
  | 'outbox'
  | 'pipeline'
  | 'relay'
  | 'results'
  | 'serverUrl'
  | 'sessions'
  | 'waivers'
>;

/** The consumers this process runs, for the operations page (the service knows them, not the context). */
export interface DashboardOptions {
  consumers: () => Array<{ name: string; role: string; topics: string[] }>;
}

/** The most of a log one page shows; older parts are behind "Earlier part". */
export const LOG_PAGE_BYTES = 64 * 1024;
/** The most one poll of a followed log returns. */
const LOG_PART_BYTES = 256 * 1024;
const MAX_ID_CHARS = 1024;
const RUNS_PER_PAGE = 50;
const HISTORY_PER_PAGE = 50;

/**
 * The web dashboard: server-rendered pages over the stores (no HTTP to itself), with a small
 * script for live updates. Every page is a GET, so `auth.readsRequireToken` covers it as it
 * covers the API's reads.
 */
export function dashboardRoutes(
  app: FastifyInstance,
  ctx: DashboardRouteDeps,
  options: DashboardOptions,
): void {
  const { nodes, logs } = ctx.pipeline;
  // One pass over the listed runs' nodes (by the (run_id, id) index) gives each its verdict and
  // its most recent change; prepared once.
  const runsSummary = ctx.pipeline.db.prepare(`SELECT run_id, id, name, state, result FROM pipeline_nodes
    WHERE run_id IN (SELECT value FROM json_each(?)) ORDER BY run_id, updated_at DESC, id DESC`);
  const runRows = (roots: PipelineNode[]): RunRow[] => {
    const byRun = new Map<number, RunNodeSummary[]>();
    for (const r of runsSummary.all(JSON.stringify(roots.map((n) => n.id))) as RunNodeSummary[]) {
      const list = byRun.get(r.run_id) ?? [];
      list.push(r);
      byRun.set(r.run_id, list);
    }
    return roots.map((root) => {
      const runNodes = byRun.get(root.id) ?? [];
      return { root, latest: runNodes[0], verdict: verdictOf(runNodes) };
    });
  };
  const send = (reply: FastifyReply, page: Html, status = 200) =>
    reply
      .code(status)
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff')
      .header(
        'content-security-policy',
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
      )
      .send(page.text);
  const problem = (reply: FastifyReply, err: unknown, title = 'Not shown') => {
    if (err instanceof SluiceError && ERROR_CODES[err.code].answer !== 'hidden')
      return send(reply, problemPage(title, err.message), ERROR_CODES[err.code].status);
    throw err;
  };

  // Open like /healthz: they hold no data, and a sign-in page needs them before anyone is signed in.
  app.get(
    ASSET_PATHS.css,
    { config: PUBLIC, ...doc("The dashboard's stylesheet", 'dashboard') },
    async (_req, reply) =>
      reply
        .type('text/css; charset=utf-8')
        .header('cache-control', 'public, max-age=300')
        .send(DASHBOARD_CSS),
  );
  app.get(
    ASSET_PATHS.js,
    { config: PUBLIC, ...doc("The dashboard's script (live updates)", 'dashboard') },
    async (_req, reply) =>
      reply
        .type('text/javascript; charset=utf-8')
        .header('cache-control', 'public, max-age=300')
        .send(DASHBOARD_JS),
  );

  // Browsers ask for it on every page without an icon link (the sign-in page): no icon, not an error.
  app.get(
    '/favicon.ico',
    { config: PUBLIC, ...doc('No icon (204), so browsers stop asking', 'dashboard') },
    async (_req, reply) => reply.code(204).header('cache-control', 'public, max-age=86400').send(),
  );

  app.get(PAGE_PATHS.runs(), doc('Dashboard: active and recent runs', 'dashboard'), async (req, reply) => {
    const q = pairsOf(req);
    const filter = { repo: one(q, 'repo'), branch: one(q, 'branch'), result: one(q, 'result') };
    const before = one(q, 'before');
    if (before && !/^\d{1,15}$/.test(before))
      return send(reply, problemPage('Runs', 'before: must be a run id'), 400);
    if (filter.result && !VERDICTS.includes(filter.result as Verdict))
      return send(reply, problemPage('Runs', `result: must be one of ${VERDICTS.join(', ')}`), 400);
    const roots = listRuns(ctx, filter, before ? Number(before) : undefined);
    const rows = runRows(roots);
    let next: string | null = null;
    if (roots.length === RUNS_PER_PAGE) {
      const params = new URLSearchParams(Object.entries(filter).filter(([, v]) => v !== ''));
      params.set('before', String(roots[roots.length - 1]!.id));
      next = `${PAGE_PATHS.runs()}?${params}`;
    }
    return send(reply, runsPage(rows, filter, next));
  });

  app.get<{ Params: { id: string } }>(
    '/runs/:id',
    doc('Dashboard: one run, its node tree and verdict', 'dashboard'),
    async (req, reply) => {
      const root = idParam(req.params.id) === null ? undefined : nodes.get(Number(req.params.id));
      if (!root || root.parentId !== null)
        return send(reply, problemPage('No such run', `There is no run ${req.params.id}.`), 404);
      return send(reply, runPage(root, nodes.list({ runId: root.id, limit: 10_000 })));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/nodes/:id',
    doc('Dashboard: one node, its log (paged, followed live), artifacts and test results', 'dashboard'),
    async (req, reply) => {
      const node = idParam(req.params.id) === null ? undefined : nodes.get(Number(req.params.id));
      if (!node) return send(reply, problemPage('No such node', `There is no node ${req.params.id}.`), 404);
      const size = logs.size(node.id);
      const asked = one(pairsOf(req), 'log_from');
      if (asked && !/^\d{1,15}$/.test(asked))
        return send(reply, problemPage('Log', 'log_from: must be a byte offset'), 400);
      const from = asked ? Math.min(Number(asked), size) : Math.max(0, size - LOG_PAGE_BYTES);
      const part = await readLog(
        logs.file(node.id),
        from,
        Math.min(LOG_PAGE_BYTES, size - from),
        from > 0,
        from + LOG_PAGE_BYTES < size,
      );
      const href = nodeJson(node, '').href;
      const subject = node.data.subject as { type?: unknown; item?: unknown } | undefined;
      let results: StoredResult[] = [];
      if (subject && typeof subject.item === 'string' && typeof subject.type === 'string') {
        const query = parseResultsQuery(
          [
            ['item', subject.item],
            ['type', subject.type],
            ['node_id', String(node.id)],
            ['limit', '200'],
          ],
          ctx.results.outcomes,
        );
        results = ctx.results.listResults(query).items;
      }
      const who = signedIn(ctx.sessions, req);
      const mayRetry =
        ctx.auth.open ||
        (who !== null && (who.scopes.includes('runs:write') || who.scopes.includes('admin')));
      const following = node.state === 'running' || (node.result === null && node.job !== null);
      return send(
        reply,
        nodePage({
          node,
          log: { html: ansiToHtml(part.text), from: part.from, to: part.to, size, pageBytes: LOG_PAGE_BYTES },
          // Followed only when the page shows the log's end.
          followUrl: following && part.to >= size ? `/dashboard/nodes/${node.id}/log-part` : null,
          artifactUrl: (name) => `${href}/artifacts/${name.split('/').map(encodeURIComponent).join('/')}`,
          results,
          user: who?.user ?? null,
          ...(mayRetry
            ? {
                retry: {
                  action: `/api/v1/nodes/${node.id}/retry`,
                  kind: 'retry' as const,
                  hidden: {},
                  csrf: who?.csrfToken ?? '',
                },
              }
            : {}),
        }),
      );
    },
  );

  app.get<{ Params: { id: string } }>(
    '/dashboard/nodes/:id/log-part',
    doc(
      "Dashboard: what a job's log gained after a byte offset, as HTML (the node page polls it)",
      'dashboard',
    ),
    async (req, reply) => {
      const node = idParam(req.params.id) === null ? undefined : nodes.get(Number(req.params.id));
      if (!node) return reply.code(404).send({ message: `no node ${req.params.id}` });
      const from = one(pairsOf(req), 'from');
      if (!/^\d{1,15}$/.test(from)) return reply.code(400).send({ message: 'from: must be a byte offset' });
      const size = logs.size(node.id);
      const running = node.state === 'running';
      const start = Math.min(Number(from), size);
      // A line still being written waits for its end.
      const part = await readLog(
        logs.file(node.id),
        start,
        Math.min(LOG_PART_BYTES, size - start),
        false,
        running,
      );
      const expected = typeof node.data.log_bytes === 'number' ? node.data.log_bytes : 0;
      // A finished job's log is complete once it reached its recorded length (or after a grace).
      const done = !running && part.to >= size && (part.to >= expected || Date.now() - node.updatedAt > 5000);
      return reply.header('cache-control', 'no-store').send({
        html: ansiToHtml(part.text),
        next: part.to,
        done,
        node: nodeJson(node, ctx.serverUrl()),
      });
    },
  );

  app.get<{ Params: { type: string; id: string } }>(
    '/subjects/:type/:id',
    doc('Dashboard: a subject, its decision per decision context, required tests and waivers', 'dashboard'),
    async (req, reply) => {
      const { type, id } = req.params;
      if (type.length > 255 || id.length > MAX_ID_CHARS)
        return send(reply, problemPage('Subject', 'The subject type or identifier is too long.'), 400);
      try {
        const decisions = await subjectDecisions(ctx, type, id);
        const waivers = ctx.waivers.forSubjects([{ type, identifier: id }], {});
        const who = signedIn(ctx.sessions, req);
        const self = PAGE_PATHS.subject(type, id);
        const mayWaive =
          ctx.auth.open ||
          (who !== null && (who.scopes.includes('waivers:write') || who.scopes.includes('admin')));
        return send(
          reply,
          subjectPage({
            subjectType: type,
            identifier: id,
            decisions,
            waivers,
            user: who?.user ?? null,
            ...(mayWaive
              ? {
                  waive: {
                    action: `${WAIVERDB_PREFIX}/waivers/`,
                    kind: 'waive' as const,
                    hidden: { subject_type: type, subject_identifier: id },
                    csrf: who?.csrfToken ?? '',
                  },
                }
              : {
                  waiveHint:
                    who === null
                      ? html`<a href="/login?${new URLSearchParams({ return_to: self }).toString()}">Sign in</a> to waive a test.`
                      : html`Waiving needs the waivers:write scope, which ${who.user} does not have.`,
                }),
          }),
        );
      } catch (err) {
        return problem(reply, err, `${type} ${id}`);
      }
    },
  );

  app.get<{ Params: { type: string; id: string } }>(
    '/subjects/:type/:id/history',
    doc("Dashboard: a subject's decision changes and what caused each", 'dashboard'),
    async (req, reply) => {
      const { type, id } = req.params;
      if (type.length > 255 || id.length > MAX_ID_CHARS)
        return send(
          reply,
          problemPage('Decision history', 'The subject type or identifier is too long.'),
          400,
        );
      const before = one(pairsOf(req), 'before');
      if (before && !/^\d{1,15}$/.test(before))
        return send(reply, problemPage('Decision history', 'before: must be a change id'), 400);
      const changes = ctx.gating.history.list({
        subjectType: type,
        subjectIdentifier: id,
        limit: HISTORY_PER_PAGE,
        ...(before ? { beforeId: Number(before) } : {}),
      });
      const older =
        changes.length === HISTORY_PER_PAGE
          ? `${PAGE_PATHS.decisionHistory(type, id)}?before=${changes[changes.length - 1]!.id}`
          : null;
      return send(reply, historyPage({ subjectType: type, identifier: id, changes, older }));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/updates/:id',
    doc('Dashboard: an update, its gating status and required tests', 'dashboard'),
    async (req, reply) => {
      if (req.params.id.length > MAX_ID_CHARS)
        return send(reply, problemPage('Update', 'The update id is too long.'), 400);
      const update = await ctx.gating.updates.read(req.params.id);
      if (!update)
        return send(reply, problemPage('No such update', `There is no update ${req.params.id}.`), 404);
      ctx.relay.kick();
      const rows = requirementRows(ctx, [
        ...update.decision.unsatisfied_requirements,
        ...update.decision.satisfied_requirements,
      ] as Requirement[]);
      return send(reply, updatePage(update, rows));
    },
  );

  app.get(
    PAGE_PATHS.results(),
    doc('Dashboard: search results (ResultsDB filters)', 'dashboard'),
    async (req, reply) => {
      const given = pairsOf(req).filter(([, v]) => v !== '');
      const values = Object.fromEntries(given);
      // A test case with * is a pattern: ResultsDB's `testcases:like`.
      const pairs: QueryPairs = given.map(([k, v]) =>
        k === 'testcases' && v.includes('*') ? ['testcases:like', v] : [k, v],
      );
      try {
        const query = parseResultsQuery(
          pairs.some(([k]) => k === 'limit') ? pairs : [...pairs, ['limit', '50']],
          ctx.results.outcomes,
        );
        const page = ctx.results.listResults(query);
        const link = (p: number) =>
          `${PAGE_PATHS.results()}?${new URLSearchParams({ ...values, page: String(p) })}`;
        return send(
          reply,
          resultsSearchPage({
            values,
            items: page.items,
            next: page.hasNext ? link(query.page + 1) : null,
            prev: query.page > 0 ? link(query.page - 1) : null,
          }),
        );
      } catch (err) {
        if (!(err instanceof SluiceError)) throw err;
        return send(
          reply,
          resultsSearchPage({ values, items: [], error: err.message, next: null, prev: null }),
          400,
        );
      }
    },
  );

  app.get<{ Params: { id: string } }>(
    '/results/:id',
    doc('Dashboard: one result with its data and groups', 'dashboard'),
    async (req, reply) => {
      const result =
        idParam(req.params.id) === null ? undefined : ctx.results.getResult(Number(req.params.id));
      if (!result)
        return send(reply, problemPage('No such result', `There is no result ${req.params.id}.`), 404);
      return send(reply, resultPage(result));
    },
  );

  app.get(
    PAGE_PATHS.waivers(),
    doc('Dashboard: search waivers (WaiverDB filters)', 'dashboard'),
    async (req, reply) => {
      const given = pairsOf(req).filter(([, v]) => v !== '');
      const values = Object.fromEntries(given);
      try {
        const query = parseWaiversQuery(
          given.some(([k]) => k === 'limit') ? given : [...given, ['limit', '50']],
        );
        const page = ctx.waivers.list(query);
        const link = (p: number) =>
          `${PAGE_PATHS.waivers()}?${new URLSearchParams({ ...values, page: String(p) })}`;
        return send(
          reply,
          waiversSearchPage({
            values,
            items: page.items,
            total: page.total,
            next: query.page * query.limit < page.total ? link(query.page + 1) : null,
            prev: query.page > 1 ? link(query.page - 1) : null,
          }),
        );
      } catch (err) {
        if (!(err instanceof SluiceError)) throw err;
        return send(
          reply,
          waiversSearchPage({ values, items: [], error: err.message, next: null, prev: null }),
          400,
        );
      }
    },
  );

  app.get(
    PAGE_PATHS.operations(),
    doc('Dashboard: dead letters, outbox, builders, consumers (admin)', 'dashboard'),
    async (req, reply) => {
      const caller = await ctx.auth.identify(req.headers.authorization);
      const admin = caller !== undefined && 'scopes' in caller && caller.scopes.includes('admin');
      if (!admin)
        return send(
          reply,
          problemPage(
            'Operations',
            'The operations page is for admins: sign in with a token that has the admin scope.',
          ),
          403,
        );
      const who = signedIn(ctx.sessions, req);
      return send(
        reply,
        operationsPage({
          ...(await operationsData(ctx, options)),
          user: who?.user ?? null,
          replay: { action: '/api/v1/dlq/replay', kind: 'replay', hidden: {}, csrf: who?.csrfToken ?? '' },
        }),
      );
    },
  );
}

async function operationsData(ctx: DashboardRouteDeps, options: DashboardOptions): Promise<OperationsData> {
  let deadLetters: OperationsData['deadLetters'] = [];
  let deadLettersError: string | undefined;
  try {
    deadLetters = await ctx.bus.listDeadLetters(100);
  } catch (err) {
    deadLettersError = `The dead letters could not be read: ${(err as Error).message}`;
  }
  const health = ctx.bus.health();
  return {
    deadLetters,
    ...(deadLettersError ? { deadLettersError } : {}),
    outbox: ctx.outbox.depth(),
    notifications: {
      counts: ctx.mailOutbox.counts(),
      recent: ctx.mailOutbox.list({ states: [], limit: 20 }),
    },
    builders: ctx.pipeline.runner ? ctx.pipeline.runner.pool.status() : null,
    consumers: options.consumers(),
    bus: { kind: ctx.bus.kind, ok: health.ok, detail: health.detail },
  };
}

function listRuns(
  ctx: DashboardRouteDeps,
  filter: { repo: string; branch: string; result: string },
  beforeId: number | undefined,
): PipelineNode[] {
  const where = ['parent_id IS NULL'];
  const params: Record<string, unknown> = { limit: RUNS_PER_PAGE };
  if (filter.repo) {
    where.push('repo = @repo');
    params.repo = filter.repo;
  }
  if (filter.branch) {
    where.push('branch = @branch');
    params.branch = filter.branch;
  }
  if (filter.result) where.push(VERDICT_SQL[filter.result as Verdict]);
  if (beforeId !== undefined) {
    where.push('id < @before');
    params.before = beforeId;
  }
  const sql = `SELECT id FROM pipeline_nodes WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT @limit`;
  const { db } = ctx.pipeline;
  let shapes = RUN_LISTINGS.get(db);
  if (!shapes) RUN_LISTINGS.set(db, (shapes = new Map()));
  let statement = shapes.get(sql);
  if (!statement) {
    statement = db.prepare(sql).pluck();
    shapes.set(sql, statement);
  }
  const ids = statement.all(params) as number[];
  return ids.map((id) => ctx.pipeline.nodes.get(id)!).filter(Boolean);
}

/** Listing statements by shape (2 × 2 × 5 × 2 at most), prepared once per database. */
const RUN_LISTINGS = new WeakMap<object, Map<string, Statement>>();

type Verdict = 'pass' | 'fail' | 'incomplete' | 'running';
const VERDICTS: readonly Verdict[] = ['pass', 'fail', 'incomplete', 'running'];

/**
 * A run's verdict over all its nodes (as runVerdict decides it), as conditions on a root `r`:
 * each is a lookup in the run's nodes by the (run_id, id) index, so a filtered listing reads only
 * the runs it walks past.
 */
const has = (cond: string) =>
  `EXISTS (SELECT 1 FROM pipeline_nodes AS c WHERE c.run_id = pipeline_nodes.id AND ${cond})`;
const VERDICT_SQL: Record<Verdict, string> = {
  fail: has("c.result = 'fail'"),
  running: `NOT ${has("c.result = 'fail'")} AND ${has('c.result IS NULL')}`,
  incomplete: `NOT ${has("c.result = 'fail'")} AND NOT ${has('c.result IS NULL')} AND ${has("c.result = 'incomplete'")}`,
  pass: `NOT ${has("(c.result IS NULL OR c.result <> 'pass')")}`,
};

interface RunNodeSummary {
  run_id: number;
  id: number;
  name: string;
  state: string;
  result: string | null;
}

/** As runVerdict decides it, over a run's nodes' results. */
function verdictOf(nodes: ReadonlyArray<{ result: string | null }>): Verdict {
  if (nodes.some((n) => n.result === 'fail')) return 'fail';
  if (nodes.some((n) => n.result === null)) return 'running';
  if (nodes.some((n) => n.result === 'incomplete')) return 'incomplete';
  return 'pass';
}

/**
 * The (decision context, product version) pairs that gate a subject, as Greenwave's consumers
 * find them: the versions its identifier names and those of updates holding it, or the
 * policies' own versions when none is known (globs left out).
 */
async function subjectDecisions(
  ctx: DashboardRouteDeps,
  typeName: string,
  identifier: string,
): Promise<ContextDecision[]> {
  const { decisions, subjectTypes, updates } = ctx.gating;
  const type = subjectTypes.resolve(typeName);
  const subject = { type, identifier };
  const known = [...new Set([...subjectProductVersions(subject), ...updates.productVersionsFor(subject)])];
  const pairs = new Set<string>();
  for (const p of decisions.policies) {
    if (p.onDemand) continue;
    if (!p.subjectTypes.some((name) => SubjectTypes.matches(type, name))) continue;
    const versions = known.length
      ? known.filter((v) => p.productVersions.some((g) => fnmatch(v, g)))
      : p.productVersions.filter((v) => !/[*?[]/.test(v));
    for (const c of p.decisionContexts) for (const v of versions) pairs.add(JSON.stringify([c, v]));
  }
  const out: ContextDecision[] = [];
  for (const pair of [...pairs].sort()) {
    const [context, productVersion] = JSON.parse(pair) as [string, string];
    try {
      const d = await decisions.decide({
        decision_context: context,
        product_version: productVersion,
        subject_type: typeName,
        subject_identifier: identifier,
      });
      out.push({
        context,
        productVersion,
        satisfied: d.policies_satisfied,
        summary: d.summary,
        rows: requirementRows(ctx, [...d.unsatisfied_requirements, ...d.satisfied_requirements]),
      });
    } catch (err) {
      if (!(err instanceof SluiceError)) throw err;
      out.push({ context, productVersion, summary: '', rows: [], error: err.message });
    }
  }
  return out;
}

function requirementRows(ctx: DashboardRouteDeps, reqs: readonly Requirement[]): RequirementRow[] {
  return reqs.map((r) => {
    const waived = r.type.endsWith('-waived');
    const base = waived ? r.type.slice(0, -'-waived'.length) : r.type;
    const resultId = typeof r.result_id === 'number' ? r.result_id : null;
    const result = resultId !== null ? ctx.results.getResult(resultId) : undefined;
    let status: TestStatus;
    if (base === 'test-result-passed') status = 'passed';
    else if (base === 'test-result-failed') status = 'failed';
    else if (base === 'test-result-errored') status = 'errored';
    // An incomplete result keeps the missing type (as Greenwave's); its outcome says which.
    else if (base === 'test-result-missing')
      status =
        result?.outcome === 'RUNNING' ? 'running' : result?.outcome === 'QUEUED' ? 'queued' : 'missing';
    else status = base as TestStatus;
    return {
      testcase: typeof r.testcase === 'string' ? r.testcase : base,
      scenario: typeof r.scenario === 'string' ? r.scenario : null,
      status: waived ? 'waived' : status,
      waivedWas: waived ? status : null,
      resultId,
      nodeId: result?.data.node_id?.[0] ?? null,
      detail:
        typeof r.error_reason === 'string'
          ? r.error_reason
          : typeof r.details === 'string'
            ? r.details
            : null,
    };
  });
}

/**
 * Bytes [from, from + length) of a log, as text. Lines are kept whole: with `alignStart` a start
 * inside the file moves past the next newline, with `cutAtLine` the end moves back to the last
 * one (more follows, or the line is still being written); so no UTF-8 character is split either.
 */
async function readLog(
  file: string,
  from: number,
  length: number,
  alignStart: boolean,
  cutAtLine: boolean,
): Promise<{ text: string; from: number; to: number }> {
  if (length <= 0) return { text: '', from, to: from };
  const buf = Buffer.alloc(length);
  const fh = await open(file, 'r');
  let read: number;
  try {
    ({ bytesRead: read } = await fh.read(buf, 0, length, from));
  } finally {
    await fh.close();
  }
  let start = 0;
  let end = read;
  if (alignStart) {
    const nl = buf.indexOf(10);
    if (nl >= 0 && nl + 1 < end) start = nl + 1;
  }
  if (cutAtLine) {
    const nl = buf.lastIndexOf(10, end - 1);
    // A line longer than the whole part is shown cut rather than never.
    if (nl >= start) end = nl + 1;
    else if (read < length) end = start;
  }
  return { text: buf.subarray(start, end).toString('utf8'), from: from + start, to: from + end };
}

function pairsOf(req: FastifyRequest): QueryPairs {
  const at = req.url.indexOf('?');
  return at < 0 ? [] : [...new URLSearchParams(req.url.slice(at + 1))];
}

function one(pairs: QueryPairs, name: string): string {
  return pairs.find(([k]) => k === name)?.[1] ?? '';
}

function idParam(raw: string): number | null {
  return /^\d{1,15}$/.test(raw) ? Number(raw) : null;
}
