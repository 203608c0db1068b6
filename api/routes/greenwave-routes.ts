import type { FastifyInstance } from 'fastify';
import { validateGatingYaml } from '../../gating/gating-yaml.js';
import { policyJson } from '../../gating/policy.js';
import { subjectTypeJson } from '../../gating/subject-types.js';
import type { AppContext } from '../app-context.js';
import { READ_ONLY } from '../route-access.js';
import { doc } from '../route-doc.js';

const V1 = '/api/v1.0';
const SATISFIED = '{"policies_satisfied":true';

/** The metric's decision_context label: the context(s) asked for, or "on-demand" for rules in the request. */
function contextLabel(body: unknown): string {
  const context = (body as { decision_context?: unknown } | null)?.decision_context;
  if (typeof context === 'string') return context;
  if (Array.isArray(context)) return context.filter((c) => typeof c === 'string').join(',');
  return 'on-demand';
}

/**
 * Greenwave's v1.0 API: decisions, the loaded policies and subject types, and a check for
 * gating.yaml files. Reads only, and open, as Greenwave's are. Refusals carry Greenwave's
 * messages; a decision nothing applies to is a 404 unless its subject type allows that.
 */
export function greenwaveRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { decisions, subjectTypes } = ctx.gating;
  // GET /about is shared with WaiverDB's API (same prefix): waiverdb-routes answers it for both.
  app.get(`${V1}/policies`, doc('The loaded policies (Greenwave)', 'gating'), async () => ({ policies: decisions.policies.map(policyJson) }));
  app.get(`${V1}/subject_types`, doc('The subject types and how their results are found (Greenwave)', 'gating'), async () => ({ subject_types: subjectTypes.all.map(subjectTypeJson) }));

  // Sent as the text the decision maker made (or kept): no second serialization. The answer
  // starts with policies_satisfied (decide builds it so), which the latency metric is labelled by.
  app.post(`${V1}/decision`, { config: READ_ONLY, ...doc('May this subject pass? A decision over the applicable policies (Greenwave)', 'gating') }, async (req, reply) => {
    const started = performance.now();
    const json = await decisions.decideJson(req.body);
    ctx.metrics.observeDecision(contextLabel(req.body), (performance.now() - started) / 1000, json.startsWith(SATISFIED));
    return reply.type('application/json; charset=utf-8').send(json);
  });

  // The gating.yaml is posted as it is, whatever the content type (curl --data-binary sends
  // application/x-www-form-urlencoded), so this route reads every body as text.
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    scope.post(`${V1}/validate-gating-yaml`, { config: READ_ONLY, ...doc('Check a gating.yaml file against the policy schema (Greenwave)', 'gating') }, async (req, reply) => {
      const { status, message } = validateGatingYaml(typeof req.body === 'string' ? req.body : '', decisions.policies);
      return reply.code(status).send({ message });
    });
  });
}
