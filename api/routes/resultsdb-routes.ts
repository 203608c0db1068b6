import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { QueryInputError } from '../../errors/query-input-error.js';
import {
  list,
  parseListPage,
  parseResultsQuery,
  type QueryPairs,
} from '../../results/parse-results-query.js';
import { parseGroupInput, parseTestcaseInput } from '../../results/parse-catalog-input.js';
import { pageLinks } from '../../results/page-links.js';
import { API_PREFIX } from '../../results/result-json.js';
import type { ResultsQuery } from '../../results/results-query.js';
import type { AppContext } from '../app-context.js';
import { doc } from '../route-doc.js';

const V2 = API_PREFIX;

/** What these routes use of the service: nothing else reaches them. */
export type ResultsdbRouteDeps = Pick<
  AppContext,
  'auth' | 'relay' | 'resultIntake' | 'results' | 'serverUrl'
>;

/**
 * ResultsDB's v2.0 API: results, testcases and groups, with its field names, query parameters,
 * statuses and `{"message": ...}` refusals, so that ResultsDB clients (Greenwave, resultsdb_api,
 * CI pipelines) work unchanged. Reads are open; writes need a token with results:write.
 */
export function resultsdbRoutes(app: FastifyInstance, ctx: ResultsdbRouteDeps): void {
  const store = ctx.results;
  const write = { preHandler: ctx.auth.require('results:write') };

  /** `{data, prev, next}` for a page of results, links on the request's own URL. */
  const resultsPage = (req: FastifyRequest, query: ResultsQuery) => {
    const { items, hasNext } = store.listResults(query);
    return { data: items, ...links(req, query.page, hasNext) };
  };
  const links = (req: FastifyRequest, page: number, hasNext: boolean) => {
    const { path, raw } = splitUrl(req.url);
    return pageLinks(ctx.serverUrl(), path, raw, page, hasNext);
  };

  // ResultsDB answers its API root with 300 and where to go, with the keys of its landing_page
  // (resultsdb/controllers/api_v2.py); clients use it to learn the outcomes.
  const landing = (reply: FastifyReply) =>
    reply.code(300).send({
      message: 'Sluice speaks the ResultsDB v2.0 API here.',
      documentation: `${ctx.serverUrl()}/api/openapi.json`,
      groups: `${ctx.serverUrl()}${V2}/groups`,
      results: `${ctx.serverUrl()}${V2}/results`,
      testcases: `${ctx.serverUrl()}${V2}/testcases`,
      outcomes: store.outcomes,
    });

  app.get(
    V2,
    doc('ResultsDB API root: where to go, and the accepted outcomes (300)', 'results'),
    async (_req, reply) => landing(reply),
  );
  app.get(`${V2}/`, doc('ResultsDB API root (as above)', 'results'), async (_req, reply) => landing(reply));

  app.get(
    `${V2}/results`,
    doc(
      'Results, newest first; filters: testcases, testcases:like, outcome, since, groups, any data key (key:like), _sort, page, limit (at most 1000)',
      'results',
    ),
    async (req) => resultsPage(req, parseResultsQuery(queryPairs(req), store.outcomes)),
  );

  app.get(
    `${V2}/results/latest`,
    doc('The latest result per test case (and _distinct_on keys) for the same filters', 'results'),
    async (req) => {
      const query = parseResultsQuery(queryPairs(req), store.outcomes);
      const filtered =
        query.testcases.length ||
        query.testcasesLike.length ||
        query.groups.length ||
        query.data.length ||
        query.since.start !== undefined;
      if (query.distinctOn.length && !filtered) {
        throw new QueryInputError(
          '_distinct_on',
          'needs at least one other filter (testcases, testcases:like, groups, since or a data key)',
        );
      }
      return { data: store.latestResults(query) };
    },
  );

  app.get<{ Params: { id: string } }>(
    `${V2}/results/:id`,
    doc('One result', 'results'),
    async (req, reply) => {
      const result = /^\d{1,15}$/.test(req.params.id) ? store.getResult(Number(req.params.id)) : undefined;
      return result ?? reply.code(404).send({ message: 'Result not found' });
    },
  );

  app.post(
    `${V2}/results`,
    {
      ...write,
      ...doc(
        'Store a result (a ResultsDB POST /results body; the same shape as the result.submit topic)',
        'results',
      ),
    },
    async (req, reply) => {
      const stored = ctx.resultIntake.submit(req.body);
      ctx.relay.kick();
      return reply.code(201).send(stored);
    },
  );

  app.get(
    `${V2}/testcases`,
    doc('Test cases; filters: name, name:like, page, limit', 'results'),
    async (req) => {
      const pairs = queryPairs(req);
      const page = parseListPage(pairs);
      const { items, hasNext } = store.listTestcases({
        ...page,
        names: list(pairs, 'name'),
        likes: list(pairs, 'name:like'),
      });
      return { data: items, ...links(req, page.page, hasNext) };
    },
  );

  app.post(
    `${V2}/testcases`,
    { ...write, ...doc('Create or update a test case {name, ref_url}', 'results') },
    async (req, reply) => {
      const { name, refUrl } = parseTestcaseInput(req.body);
      return reply.code(201).send(store.saveTestcase(name, refUrl));
    },
  );

  app.get<{ Params: { name: string } }>(
    `${V2}/testcases/:name`,
    doc('One test case', 'results'),
    async (req, reply) => {
      return store.getTestcase(req.params.name) ?? reply.code(404).send({ message: 'Testcase not found' });
    },
  );

  app.get<{ Params: { name: string } }>(
    `${V2}/testcases/:name/results`,
    doc('Results of one test case (the /results filters apply)', 'results'),
    async (req, reply) => {
      if (!store.getTestcase(req.params.name)) return reply.code(404).send({ message: 'Testcase not found' });
      const query = parseResultsQuery(queryPairs(req), store.outcomes);
      return resultsPage(req, { ...query, testcases: [req.params.name], testcasesLike: [] });
    },
  );

  app.get(
    `${V2}/groups`,
    doc('Groups; filters: uuid, description, description:like, page, limit', 'results'),
    async (req) => {
      const pairs = queryPairs(req);
      const page = parseListPage(pairs);
      const { items, hasNext } = store.listGroups({
        ...page,
        uuids: list(pairs, 'uuid'),
        descriptions: list(pairs, 'description'),
        descriptionLikes: list(pairs, 'description:like'),
      });
      return { data: items, ...links(req, page.page, hasNext) };
    },
  );

  app.post(
    `${V2}/groups`,
    { ...write, ...doc('Create or update a group {uuid, description, ref_url}', 'results') },
    async (req, reply) => reply.code(201).send(store.saveGroup(parseGroupInput(req.body))),
  );

  app.get<{ Params: { uuid: string } }>(
    `${V2}/groups/:uuid`,
    doc('One group', 'results'),
    async (req, reply) => {
      return store.getGroup(req.params.uuid) ?? reply.code(404).send({ message: 'Group not found' });
    },
  );

  app.get<{ Params: { uuid: string } }>(
    `${V2}/groups/:uuid/results`,
    doc('Results of one group (the /results filters apply)', 'results'),
    async (req, reply) => {
      if (!store.getGroup(req.params.uuid))
        return reply.code(404).send({ message: `Group not found: ${req.params.uuid}` });
      const query = parseResultsQuery(queryPairs(req), store.outcomes);
      return resultsPage(req, { ...query, groups: [req.params.uuid] });
    },
  );
}

function splitUrl(url: string): { path: string; raw: string } {
  const at = url.indexOf('?');
  return at < 0 ? { path: url, raw: '' } : { path: url.slice(0, at), raw: url.slice(at + 1) };
}

/** The query string as ordered pairs, repeats kept, decoded as ResultsDB (Werkzeug) decodes it. */
function queryPairs(req: FastifyRequest): QueryPairs {
  return [...new URLSearchParams(splitUrl(req.url).raw)];
}
