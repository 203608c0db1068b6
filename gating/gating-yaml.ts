import type { Policy } from './policy.js';
import { PolicyParseError, readPolicy } from './policy-reader.js';
import { parsePolicyYaml } from './policy-tree.js';

/**
 * A gating.yaml (a package's own policies) read as Greenwave's RemotePolicy reads it: the first
 * refused document makes the whole file invalid, with Greenwave's message.
 */
export function parseGatingYaml(
  text: string,
  source: string | null,
): { policies: Policy[] } | { error: string } {
  const policies: Policy[] = [];
  for (const doc of parsePolicyYaml(text)) {
    if (doc.error) return { error: doc.error };
    try {
      policies.push(readPolicy(doc.root, 'remote', { source, file: null }));
    } catch (err) {
      if (!(err instanceof PolicyParseError)) throw err;
      return { error: err.message };
    }
  }
  return { policies };
}

/**
 * POST /validate-gating-yaml: 400 with the reason when the file is refused, otherwise "All OK"
 * or, as Greenwave does, a warning naming decision contexts no server policy has (their rules
 * would never be asked for).
 */
export function validateGatingYaml(
  text: string,
  serverPolicies: readonly Policy[],
): { status: 200 | 400; message: string } {
  const parsed = parseGatingYaml(text, null);
  if ('error' in parsed) return { status: 400, message: parsed.error };
  if (parsed.policies.length === 0) return { status: 400, message: 'No policies defined' };
  const known = new Set(serverPolicies.flatMap((p) => p.decisionContexts));
  const missing = [
    ...new Set(parsed.policies.flatMap((p) => p.decisionContexts).filter((c) => !known.has(c))),
  ].sort();
  if (missing.length === 0) return { status: 200, message: 'All OK' };
  return {
    status: 200,
    message:
      'Greenwave could not find a parent policy(ies) for following decision context(s): ' +
      `${missing.join(', ')}. Please change your policy so that it will match a decision context in the parent policies.`,
  };
}
