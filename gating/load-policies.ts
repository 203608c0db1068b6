import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PolicyError, type PolicyProblem } from '../errors/policy-error.js';
import type { Policy } from './policy.js';
import { PolicyParseError, readPolicy } from './policy-reader.js';
import { YAML_LIMITS, type YamlLimits } from './bounded-yaml.js';
import { parsePolicyYaml } from './policy-tree.js';

/**
 * Every `*.yaml` file in `dir` (not recursive, as Greenwave's POLICIES_DIR), in name order.
 * Throws PolicyError listing every document that Greenwave would refuse and every id used
 * twice; a service must not gate with half of its policies.
 */
export function loadPolicies(dir: string): Policy[] {
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((n) => n.endsWith('.yaml'))
      .sort();
  } catch (err) {
    throw new PolicyError([
      { file: dir, id: null, reason: `the policies folder cannot be read: ${(err as Error).message}` },
    ]);
  }
  const policies: Policy[] = [];
  const problems: PolicyProblem[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      problems.push({ file, id: null, reason: `cannot be read: ${(err as Error).message}` });
      continue;
    }
    const parsed = parsePolicyText(text, file);
    policies.push(...parsed.policies);
    problems.push(...parsed.problems);
  }
  const seen = new Map<string, string>();
  for (const p of policies) {
    const first = seen.get(p.id);
    if (first !== undefined)
      problems.push({
        file: p.file ?? '',
        id: p.id,
        reason: `Policy '${p.id}': the id is already used by a policy in ${first}`,
      });
    else seen.set(p.id, p.file ?? '');
  }
  if (problems.length > 0) throw new PolicyError(problems);
  return policies;
}

/**
 * The operator's own files are read at start, not per request: larger than a gating.yaml may be,
 * but bounded the same way, so that a mistaken anchor cannot hang the start either.
 */
export const POLICY_FILE_LIMITS: YamlLimits = {
  ...YAML_LIMITS,
  maxBytes: 4 * 1024 * 1024,
  maxAliases: 10_000,
  maxNodes: 1_000_000,
  maxDocuments: 100_000,
};

/** The policies of one file's text, and a problem for each document that is refused. */
export function parsePolicyText(
  text: string,
  file: string,
): { policies: Policy[]; problems: PolicyProblem[] } {
  const policies: Policy[] = [];
  const problems: PolicyProblem[] = [];
  for (const doc of parsePolicyYaml(text, POLICY_FILE_LIMITS)) {
    if (doc.error) {
      problems.push({ file, id: null, reason: doc.error });
      continue;
    }
    try {
      policies.push(readPolicy(doc.root, 'server', { source: null, file }));
    } catch (err) {
      if (!(err instanceof PolicyParseError)) throw err;
      problems.push({ file, id: err.policyId, reason: `${err.message} (document at line ${doc.line})` });
    }
  }
  return { policies, problems };
}
