import type { FastifyInstance } from 'fastify';
import { PAGE_PATHS, pageUrl } from '../../dashboard/page-paths.js';
import type { DecisionRequest } from '../../gating/decision-request.js';
import { validateGatingYaml } from '../../gating/gating-yaml.js';
import { policyJson } from '../../gating/policy.js';
import { subjectTypeJson } from '../../gating/subject-types.js';
import { DecisionInputError } from '../../errors/decision-input-error.js';
import type { AppContext } from '../app-context.js';
import { jsonpFor } from '../jsonp.js';
import { READ_ONLY } from '../route-access.js';
import { doc } from '../route-doc.js';
import { jsonDepthMessage, jsonTooDeep } from '../../schemas/json-depth.js';

const V1 = '/api/v1.0';
const SATISFIED = '{"policies_satisfied":true';

/** The metric's decision_context label: the context(s) asked for, or "on-demand" for rules in the request. */
function contextLabel(body: unknown): string {
  const context = (body as { decision_context?: unknown } | null)?.decision_context;
  if (typeof context === 'string') return context;
  if (Array.isArray(context)) return context.filter((c) => typeof c === 'string').join(',');
  return 'on-demand';
}

/** The GET answers Greenwave wraps for JSONP. */
const JSONP_PATHS = [`${V1}/about`, `${V1}/about/`, `${V1}/policies`, `${V1}/subject_types`];

/** Greenwave's JSONP on its GET answers; called before any route of the scope is registered. */
export function greenwaveJsonp(app: FastifyInstance): void {
  jsonpFor(app, JSONP_PATHS);
}

/** What these routes use of the service: nothing else reaches them. */
export type GreenwaveRouteDeps = Pick<AppContext, 'config' | 'gating' | 'metrics' | 'serverUrl'>;

/**
 * Greenwave's v1.0 API: decisions, the loaded policies and subject types, and a check for
 * gating.yaml files. Reads only, and open, as Greenwave's are. Refusals carry Greenwave's
 * messages; a decision nothing applies to is a 404 unless its subject type allows that.
 */
export function greenwaveRoutes(app: FastifyInstance, ctx: GreenwaveRouteDeps): void {
  const { decisions, subjectTypes } = ctx.gating;
  // GET /about is shared with WaiverDB's API (same prefix): waiverdb-routes answers it for both,
  // with Greenwave's `version` and WaiverDB's `auth_method`; its JSONP is set up by greenwaveJsonp.

  // Greenwave's landing answer: where its API and the ResultsDB and WaiverDB it reads are, and
  // how outcomes count. All three are this server; Sluice asks no Koji (koji_api null).
  app.get(
    `${V1}/`,
    doc('Greenwave API root: the APIs, the outcome classes and the gating.yaml URL templates', 'gating'),
    async () => {
      const { gating } = ctx.config;
      const serverUrl = ctx.serverUrl();
      return {
        documentation: `${serverUrl}/api/openapi.json`,
        api_v1: `${serverUrl}${V1}`,
        resultsdb_api: `${serverUrl}/api/v2.0`,
        waiverdb_api: `${serverUrl}${V1}`,
        koji_api: null,
        outcomes_passed: gating.outcomes.passed,
        outcomes_error: gating.outcomes.error,
        outcomes_incomplete: gating.outcomes.incomplete,
        // Greenwave has one template per subject type; Sluice may try several in turn.
        remote_rule_policies: Object.fromEntries(
          Object.entries(gating.remoteRule.urlTemplates).map(([type, urls]) => [
            type,
            urls.length === 1 ? urls[0] : urls,
          ]),
        ),
      };
    },
  );
  // Deprecated in Greenwave in favour of /about, and still redirected there.
  app.get(
    `${V1}/version`,
    doc('Deprecated: redirects to /about (Greenwave)', 'gating'),
    async (_req, reply) => reply.redirect(`${V1}/about`, 302),
  );

  app.get(`${V1}/policies`, doc('The loaded policies (Greenwave)', 'gating'), async () => ({
    policies: decisions.policies.map(policyJson),
  }));
  app.get(
    `${V1}/subject_types`,
    doc('The subject types and how their results are found (Greenwave)', 'gating'),
    async () => ({ subject_types: subjectTypes.all.map(subjectTypeJson) }),
  );

  // Sent as the text the decision maker made (or kept): no second serialization. The answer
  // starts with policies_satisfied (decide builds it so), which the latency metric is labelled by.
  // A body that is not JSON is refused in Greenwave's (werkzeug's) words, which clients match on.
  app.register(async (scope) => {
    const json = scope.getDefaultJsonParser('error', 'error');
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
      const text = typeof body === 'string' ? body : body.toString('utf8');
      if (jsonTooDeep(text))
        return done(Object.assign(new Error(`body: ${jsonDepthMessage()}`), { statusCode: 400 }), undefined);
      json(req, text, (err, value) =>
        err
          ? done(new DecisionInputError(`Failed to decode JSON object: ${jsonProblem(text)}`), undefined)
          : done(null, value),
      );
    });
    // Any other type (a form post from curl -d) is no JSON payload either: the route says so.
    scope.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, String(body)));
    scope.post(
      `${V1}/decision`,
      {
        config: READ_ONLY,
        ...doc('May this subject pass? A decision over the applicable policies (Greenwave)', 'gating'),
      },
      async (req, reply) => {
        const started = performance.now();
        const request = decisions.parseRequest(req.body);
        const answer = withDashboardUrl(await decisions.decideRequestJson(request), request, ctx.serverUrl());
        ctx.metrics.observeDecision(
          contextLabel(req.body),
          (performance.now() - started) / 1000,
          answer.startsWith(SATISFIED),
        );
        return reply.type('application/json; charset=utf-8').send(answer);
      },
    );
  });

  // The gating.yaml is posted as it is, whatever the content type (curl --data-binary sends
  // application/x-www-form-urlencoded), so this route reads every body as text.
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    scope.post(
      `${V1}/validate-gating-yaml`,
      {
        config: READ_ONLY,
        ...doc('Check a gating.yaml file against the policy schema (Greenwave)', 'gating'),
      },
      async (req, reply) => {
        const { status, message } = validateGatingYaml(
          typeof req.body === 'string' ? req.body : '',
          decisions.policies,
        );
        return reply.code(status).send({ message });
      },
    );
  });
}

/**
 * The answer with `dashboard_url` added last: the dashboard page of the request's subject (its
 * first, when it names several), where a person sees each requirement and the decision's history.
 * A field Greenwave does not send: its clients read the fields they know by name (Bodhi:
 * policies_satisfied, summary, satisfied_requirements, unsatisfied_requirements; Greenwave's
 * functional tests compare fields, never the whole answer), so an added one is ignored. Added to
 * the text, which may come from the decision cache, rather than parsed and serialized again.
 */
function withDashboardUrl(answer: string, request: DecisionRequest, base: string): string {
  const subject = request.subjects[0];
  if (!subject || !answer.endsWith('}')) return answer;
  const url = pageUrl(base, PAGE_PATHS.subject(subject.type.id, subject.identifier));
  return `${answer.slice(0, -1)},"dashboard_url":${JSON.stringify(url)}}`;
}

/** Why a body is refused: Python's wording for an empty one (as Greenwave says it), else the parser's. */
function jsonProblem(text: string): string {
  if (text.trim() === '') return 'Expecting value: line 1 column 1 (char 0)';
  try {
    JSON.parse(text);
  } catch (e) {
    return (e as Error).message;
  }
  // Valid JSON that fastify's parser refuses all the same: prototype poisoning.
  return 'a "__proto__" or "constructor" key is not accepted';
}
