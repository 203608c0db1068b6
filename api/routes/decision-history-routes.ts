import type { FastifyInstance } from 'fastify';
import type { StoredDecisionChange } from '../../db/decision-history-store.js';
import { parseDecisionHistoryQuery } from '../../gating/decision-history-query.js';
import { API_PREFIX as RESULTSDB_PREFIX } from '../../results/result-json.js';
import { WAIVERDB_PREFIX } from '../../waivers/waiver-json.js';
import type { AppContext } from '../app-context.js';
import { doc } from '../route-doc.js';

export const DECISION_HISTORY_PATH = '/api/v1/decisions/history';

/** What these routes use of the service: nothing else reaches them. */
export type DecisionHistoryRouteDeps = Pick<AppContext, 'gating' | 'serverUrl'>;

/**
 * Why a subject's decision is what it is: every change of it per decision context and product
 * version, newest first, each with the decision before and after and the result or waiver that
 * caused it. Paged as Sluice's other listings are: `limit`, and `next` (the same query with
 * `before` set) until the last page.
 */
export function decisionHistoryRoutes(app: FastifyInstance, ctx: DecisionHistoryRouteDeps): void {
  app.get(
    DECISION_HISTORY_PATH,
    doc(
      "A subject's decision changes, newest first; subject_type and subject_identifier required; filters: decision_context, product_version; paging: limit (1-1000, default 50), before",
      'gating',
    ),
    async (req) => {
      const at = req.url.indexOf('?');
      const params = new URLSearchParams(at < 0 ? '' : req.url.slice(at + 1));
      const q = parseDecisionHistoryQuery([...params]);
      // Stored under the type's id: `brew-build` finds koji_build's history, as it finds its decisions.
      const subjectType = ctx.gating.subjectTypes.resolve(q.subjectType).id;
      const rows = ctx.gating.history.list({ ...q, subjectType, limit: q.limit + 1 });
      const page = rows.slice(0, q.limit);
      const base = ctx.serverUrl();
      let next: string | null = null;
      if (rows.length > q.limit) {
        params.set('before', String(page[page.length - 1]!.id));
        next = `${base}${DECISION_HISTORY_PATH}?${params}`;
      }
      return { data: page.map((c) => changeJson(c, base)), next };
    },
  );
}

export function changeJson(c: StoredDecisionChange, base: string) {
  const href =
    c.cause.kind === 'result'
      ? `${base}${RESULTSDB_PREFIX}/results/${c.cause.id}`
      : `${base}${WAIVERDB_PREFIX}/waivers/${c.cause.id}`;
  return {
    id: c.id,
    subject_type: c.subjectType,
    subject_identifier: c.subjectIdentifier,
    decision_context: c.context,
    product_version: c.productVersion,
    changed_at: new Date(c.at).toISOString(),
    before: c.before,
    after: c.after,
    cause: {
      type: c.cause.kind,
      id: c.cause.id,
      testcase: c.cause.testcase,
      by: c.cause.by,
      at: new Date(c.cause.at).toISOString(),
      href,
    },
  };
}
