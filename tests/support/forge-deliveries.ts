import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { ForgeType } from '../../config/forge-types.js';
import { ROOT } from './paths.js';

const require = createRequire(import.meta.url);

/** GitHub's published example payloads (@octokit/webhooks-examples), by event. */
export function githubExamples(event: 'push' | 'pull_request'): Array<Record<string, any>> {
  const all = require('@octokit/webhooks-examples/api.github.com/index.json') as Array<{
    name: string;
    examples: Array<Record<string, any>>;
  }>;
  return structuredClone(all.find((e) => e.name === event)!.examples);
}

/** A payload from tests/fixtures/forges (see its README for each one's source). */
export function forgeFixture(name: string): Record<string, any> {
  return JSON.parse(readFileSync(path.join(ROOT, 'tests/fixtures/forges', name), 'utf8')) as Record<
    string,
    any
  >;
}

/** The headers each forge sends with a delivery, signed or carrying the secret as it does. */
export function deliveryHeaders(
  type: ForgeType,
  event: string,
  body: string,
  secret: string,
  deliveryId: string = randomUUID(),
): Record<string, string> {
  const hmac = createHmac('sha256', secret).update(body).digest('hex');
  const json = { 'content-type': 'application/json' };
  switch (type) {
    case 'github':
      return {
        ...json,
        'user-agent': 'GitHub-Hookshot/044aadd',
        'x-github-event': event,
        'x-github-delivery': deliveryId,
        'x-github-hook-id': '292430182',
        'x-hub-signature-256': `sha256=${hmac}`,
      };
    case 'gitlab':
      return {
        ...json,
        'user-agent': 'GitLab/17.6.0',
        'x-gitlab-event': event,
        'x-gitlab-event-uuid': deliveryId,
        'x-gitlab-webhook-uuid': randomUUID(),
        'x-gitlab-instance': 'https://gitlab.example.com',
        'x-gitlab-token': secret,
      };
    case 'forgejo':
    case 'gitea':
      // Forgejo sends its own headers and Gitea's, Gogs' and GitHub's beside them (docs/user/webhooks.md).
      return {
        ...json,
        'x-forgejo-delivery': deliveryId,
        'x-forgejo-event': event,
        'x-forgejo-signature': hmac,
        'x-gitea-delivery': deliveryId,
        'x-gitea-event': event,
        'x-gitea-signature': hmac,
        'x-github-delivery': deliveryId,
        'x-github-event': event,
        'x-hub-signature-256': `sha256=${hmac}`,
      };
  }
}
