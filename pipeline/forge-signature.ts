import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { ForgeType } from '../config/forge-types.js';

/** Header names arrive lower-cased (Node's http). */
export type Headers = Record<string, string | string[] | undefined>;

/**
 * Whether a delivery comes from the forge that knows the secret: undefined when it does, else
 * why not. GitHub signs the raw body with HMAC-SHA256 (`X-Hub-Signature-256: sha256=<hex>`),
 * Forgejo and Gitea too (`X-Forgejo-Signature` / `X-Gitea-Signature`: bare hex); GitLab sends
 * the secret itself (`X-Gitlab-Token`). Compared in constant time, over the bytes received.
 */
export function signatureProblem(
  type: ForgeType,
  headers: Headers,
  rawBody: Buffer,
  secret: string,
): string | undefined {
  if (type === 'gitlab') {
    const token = one(headers['x-gitlab-token']);
    if (token === undefined) return 'the X-Gitlab-Token header is missing';
    // Hashing both sides first makes the comparison's time independent of the lengths too.
    const a = createHash('sha256').update(token).digest();
    const b = createHash('sha256').update(secret).digest();
    return timingSafeEqual(a, b) ? undefined : 'the X-Gitlab-Token header does not match the secret';
  }
  let name: string;
  let given: string | undefined;
  if (type === 'github') {
    name = 'X-Hub-Signature-256';
    const h = one(headers['x-hub-signature-256']);
    given = h?.startsWith('sha256=') ? h.slice(7) : h === undefined ? undefined : '';
  } else {
    // When Forgejo's own header is there it is the one checked; a good Gitea one does not rescue a bad one.
    const forgejo = one(headers['x-forgejo-signature']);
    name = forgejo !== undefined ? 'X-Forgejo-Signature' : 'X-Gitea-Signature';
    given = forgejo ?? one(headers['x-gitea-signature']);
  }
  if (given === undefined) return `the ${name} header is missing`;
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  const sent = /^[0-9a-fA-F]{64}$/.test(given) ? Buffer.from(given, 'hex') : Buffer.alloc(0);
  if (sent.length !== expected.length || !timingSafeEqual(sent, expected))
    return `the ${name} header is not the HMAC-SHA256 of the body with the secret`;
  return undefined;
}

/** The event and delivery id headers of each forge (Forgejo also sends Gitea's and GitHub's). */
export function deliveryHeaders(type: ForgeType, headers: Headers): { event?: string; deliveryId?: string } {
  switch (type) {
    case 'github':
      return { event: one(headers['x-github-event']), deliveryId: one(headers['x-github-delivery']) };
    case 'gitlab':
      return {
        event: one(headers['x-gitlab-event']),
        deliveryId: one(headers['x-gitlab-event-uuid']) ?? one(headers['idempotency-key']),
      };
    case 'forgejo':
    case 'gitea':
      return {
        event: one(headers['x-forgejo-event']) ?? one(headers['x-gitea-event']),
        deliveryId: one(headers['x-forgejo-delivery']) ?? one(headers['x-gitea-delivery']),
      };
  }
}

/** The header names, as a refusal names them. */
export const DELIVERY_HEADER_NAMES: Record<ForgeType, { event: string; deliveryId: string }> = {
  github: { event: 'X-GitHub-Event', deliveryId: 'X-GitHub-Delivery' },
  gitlab: { event: 'X-Gitlab-Event', deliveryId: 'X-Gitlab-Event-UUID (or Idempotency-Key)' },
  forgejo: { event: 'X-Forgejo-Event', deliveryId: 'X-Forgejo-Delivery' },
  gitea: { event: 'X-Gitea-Event', deliveryId: 'X-Gitea-Delivery' },
};

function one(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
