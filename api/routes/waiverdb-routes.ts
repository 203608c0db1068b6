import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parseWaiverBody } from '../../waivers/parse-waiver-input.js';
import { parseWaiversQuery } from '../../waivers/parse-waivers-query.js';
import { WAIVERDB_PREFIX } from '../../waivers/waiver-json.js';
import { waiverPageLinks } from '../../waivers/waiver-page-links.js';
import { WaiverPermissions, permissionJson } from '../../waivers/waiver-permissions.js';
import type { AppContext } from '../app-context.js';
import { READ_ONLY } from '../route-access.js';
import { doc } from '../route-doc.js';
import { SLUICE_VERSION } from '../sluice-version.js';

const V1 = WAIVERDB_PREFIX;

/** What these routes use of the service: nothing else reaches them. */
export type WaiverdbRouteDeps = Pick<
  AppContext,
  'auth' | 'config' | 'relay' | 'results' | 'serverUrl' | 'waiverIntake' | 'waivers'
>;

/**
 * WaiverDB's v1.0 API: waivers, permissions and about, with its field names, query parameters,
 * statuses and `{"message": ...}` refusals, so that WaiverDB clients (Greenwave, Bodhi,
 * waiverdb-cli) work unchanged. Reads are open; a waiver needs a token with waivers:write, and
 * the token's user (and groups) must be allowed to waive the test case.
 */
export function waiverdbRoutes(app: FastifyInstance, ctx: WaiverdbRouteDeps): void {
  const store = ctx.waivers;
  const permissions = new WaiverPermissions(ctx.config.waivers);
  const write = { preHandler: ctx.auth.require('waivers:write') };
  // Only the caller's own groups come with the token; a user a superuser names is in the groups
  // the configuration's tokens give that user.
  const groupsOf = (user: string) => [
    ...new Set(ctx.config.auth.tokens.filter((t) => t.user === user).flatMap((t) => t.groups)),
  ];

  // Flask answers both spellings of a collection (it redirects the one without the slash).
  for (const path of [`${V1}/waivers/`, `${V1}/waivers`]) {
    app.get(
      path,
      doc(
        'Waivers, newest first; filters: subject_type, subject_identifier, testcase, scenario, product_version, username, proxied_by, since, include_obsolete, page, limit (at most 1000)',
        'waivers',
      ),
      async (req) => {
        const query = parseWaiversQuery([...new URLSearchParams(rawQuery(req))]);
        const { items, total } = store.list(query);
        const links = waiverPageLinks(
          `${ctx.serverUrl()}${V1}/waivers/`,
          rawQuery(req),
          query.page,
          query.limit,
          total,
        );
        return links
          ? { data: items, ...links }
          : { data: [], prev: null, next: null, first: null, last: null };
      },
    );

    app.post(
      path,
      {
        ...write,
        ...doc(
          'Waive a result (one waiver or a list); the caller must be allowed to waive the test case',
          'waivers',
        ),
      },
      async (req, reply) => {
        const { waivers, list } = parseWaiverBody(req.body, (id) => ctx.results.getResult(id));
        const caller = req.caller!;
        // Every waiver is authorised before any is stored: a list is taken whole or refused whole.
        const authorised = waivers.map(({ onBehalfOf, ...w }) => ({
          ...w,
          ...permissions.authorize(caller, onBehalfOf, w.testcase, groupsOf),
        }));
        const stored = ctx.waiverIntake.submit(authorised);
        ctx.relay.kick();
        return reply.code(201).send(list ? stored : stored[0]);
      },
    );
  }

  app.get<{ Params: { id: string } }>(
    `${V1}/waivers/:id`,
    doc('One waiver', 'waivers'),
    async (req, reply) => {
      const waiver = /^\d{1,15}$/.test(req.params.id) ? store.get(Number(req.params.id)) : undefined;
      return waiver ?? reply.code(404).send({ message: 'Waiver not found' });
    },
  );

  app.post(
    `${V1}/waivers/+filtered`,
    {
      config: READ_ONLY,
      ...doc('Waivers matching any of a list of filters (a read: the filters travel in the body)', 'waivers'),
    },
    async (req) => ({ data: store.filtered(req.body) }),
  );

  app.post(
    `${V1}/waivers/+by-subjects-and-testcases`,
    {
      config: READ_ONLY,
      ...doc(
        'Deprecated form of +filtered, as WaiverDB keeps it: waivers matching any of results [{subject, testcase}], narrowed by product_version, username, proxied_by, since',
        'waivers',
      ),
    },
    async (req) => ({ data: store.bySubjectsAndTestcases(req.body) }),
  );

  for (const path of [`${V1}/permissions`, `${V1}/permissions/`]) {
    app.get(
      path,
      doc('Who may waive which test cases (optionally for one testcase)', 'waivers'),
      async (req) => {
        const testcase = new URLSearchParams(rawQuery(req)).get('testcase') || undefined;
        return permissions.rulesFor(testcase).map(permissionJson);
      },
    );
  }

  for (const path of [`${V1}/about`, `${V1}/about/`]) {
    app.get(path, doc('Server version and auth method (WaiverDB about)', 'waivers'), async () => ({
      version: SLUICE_VERSION,
      auth_method: 'token',
    }));
  }
}

function rawQuery(req: FastifyRequest): string {
  const at = req.url.indexOf('?');
  return at < 0 ? '' : req.url.slice(at + 1);
}
