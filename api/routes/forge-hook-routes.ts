import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { ForgeSettings } from '../../config/forge-types.js';
import { ForgeDeliveries } from '../../db/forge-deliveries.js';
import { errorText } from '../../errors/error-text.js';
import { RunInputError } from '../../errors/run-input-error.js';
import { ForgeApi } from '../../notify/forge-api.js';
import { parseForgeHook } from '../../pipeline/forge-event.js';
import { DELIVERY_HEADER_NAMES, deliveryHeaders, signatureProblem } from '../../pipeline/forge-signature.js';
import { nodeJson, PIPELINE_API } from '../../pipeline/pipeline-node.js';
import { jsonDepthMessage, jsonTooDeep } from '../../schemas/json-depth.js';
import type { AppContext } from '../app-context.js';
import { doc } from '../route-doc.js';
import { PUBLIC } from '../route-access.js';

interface Forge {
  settings: ForgeSettings;
  secret: string;
  api: ForgeApi;
}

/**
 * `POST /api/v1/hooks/{forge}`: pushes and pull requests from GitHub, GitLab and Forgejo/Gitea
 * become runs. No API token: the forge proves itself with the webhook secret (a signature over
 * the body's exact bytes, or GitLab's token), so the body is kept raw until it is checked.
 * A delivery id seen before answers what it answered then; events that start nothing get 202
 * with the reason. Registered only when `forges` are configured.
 */
export function forgeHookRoutes(app: FastifyInstance, ctx: AppContext): void {
  const forges = new Map<string, Forge>(
    ctx.config.forges.map((f) => [f.name, { settings: f, secret: readSecret(f), api: new ForgeApi(f) }]),
  );
  const deliveries = new ForgeDeliveries(ctx.db);
  const { engine } = ctx.pipeline;

  void app.register(async (scope) => {
    // The signature covers the bytes as sent: no parser may touch them before it is checked.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

    scope.post<{ Params: { forge: string } }>(
      `${PIPELINE_API}/hooks/:forge`,
      {
        config: PUBLIC,
        ...doc(
          'A forge webhook (GitHub, GitLab, Forgejo, Gitea): a push or a pull request starts a run',
          'pipeline',
        ),
      },
      async (req, reply) => {
        const forge = forges.get(req.params.forge);
        if (!forge)
          return reply.code(404).send({
            message: `forge: no forge named "${req.params.forge}" is configured (forges[].name)`,
          });
        const { type, name } = forge.settings;
        const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const refused = signatureProblem(type, req.headers, raw, forge.secret);
        if (refused) return reply.code(401).send({ message: refused });
        const { event, deliveryId } = deliveryHeaders(type, req.headers);
        const names = DELIVERY_HEADER_NAMES[type];
        if (!event) throw new RunInputError(`headers.${names.event}`, 'is missing');
        if (!deliveryId || deliveryId.length > 200)
          throw new RunInputError(`headers.${names.deliveryId}`, 'is missing or longer than 200 characters');
        const seen = deliveries.get(name, deliveryId);
        if (seen) return reply.code(200).send({ duplicate: true, delivery: deliveryId, ...seen });
        const hook = parseForgeHook({
          forge: name,
          type,
          event,
          deliveryId,
          body: parseBody(raw, String(req.headers['content-type'] ?? '')),
        });
        if (hook.kind === 'ignored') {
          ctx.pipeline.transact(() => deliveries.record(name, deliveryId, event, null, hook.reason));
          return reply.code(202).send({ ignored: hook.reason, delivery: deliveryId });
        }
        const request = hook.request;
        let filesProblem: string | undefined;
        if (hook.pullRequestFiles) {
          // Asked before the run starts, so that `paths` selects jobs as for a push. A forge
          // that cannot say makes a full run (every job), as unknown changed files always do.
          try {
            request.changedFiles = await forge.api.pullRequestFiles(
              hook.pullRequestFiles.repo,
              hook.pullRequestFiles.number,
              forge.api.token(),
            );
          } catch (err) {
            filesProblem = errorText(err);
            req.log.warn({ forge: name, err: filesProblem }, 'pull request files unknown; every job runs');
          }
        }
        const outcome = ctx.pipeline.transact(() => {
          // Checked again inside the transaction: two copies of a delivery may arrive at once.
          const again = deliveries.get(name, deliveryId);
          if (again) return { duplicate: again };
          const run = engine.startRun(request);
          if (filesProblem)
            ctx.pipeline.nodes.update(run.id, { data: { changed_files_error: filesProblem } });
          deliveries.record(name, deliveryId, event, run.id, 'run started');
          return { run };
        });
        if ('duplicate' in outcome)
          return reply.code(200).send({ duplicate: true, delivery: deliveryId, ...outcome.duplicate });
        return reply.code(201).send({ delivery: deliveryId, run: nodeJson(outcome.run, ctx.serverUrl()) });
      },
    );
  });
}

function readSecret(f: ForgeSettings): string {
  let secret: string;
  try {
    secret = readFileSync(f.secretFile, 'utf8').trim();
  } catch (err) {
    throw new Error(`forges: cannot read the secretFile of forge "${f.name}": ${errorText(err)}`);
  }
  if (secret === '') throw new Error(`forges: the secretFile of forge "${f.name}" is empty`);
  return secret;
}

/** JSON, or a form whose `payload` field holds the JSON (GitHub's and Gitea's other content type). */
function parseBody(raw: Buffer, contentType: string): unknown {
  let text = raw.toString('utf8');
  if (contentType.startsWith('application/x-www-form-urlencoded')) {
    const payload = new URLSearchParams(text).get('payload');
    if (payload === null)
      throw new RunInputError('body.payload', 'a form-encoded delivery must have a payload field');
    text = payload;
  } else if (!contentType.startsWith('application/json')) {
    throw new RunInputError(
      'headers.content-type',
      'must be application/json or application/x-www-form-urlencoded',
    );
  }
  if (jsonTooDeep(text)) throw new RunInputError('body', jsonDepthMessage());
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new RunInputError('body', `is not JSON: ${(err as Error).message}`);
  }
}
