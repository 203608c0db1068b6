import { parseIsoTime } from '../results/parse-iso-time.js';
import type { Policy, Rule } from './policy.js';
import type { PolicyNode } from './policy-tree.js';

/** A policy document Greenwave would refuse; the message is Greenwave's SafeYAML wording. */
export class PolicyParseError extends Error {
  constructor(
    readonly policyId: string | null,
    message: string,
  ) {
    super(message);
  }
}

/**
 * server: the service's own policies (every field Greenwave requires). remote: a gating.yaml
 * (`id` optional, `product_versions` default `*`, `subject_type` default koji_build, no
 * RemoteRule). onDemand: a decision request's `rules` (no tag, any subject type).
 */
export type PolicyFlavor = 'server' | 'remote' | 'onDemand';

const OBSOLETE: Record<string, string> = {
  '!PackageSpecificBuild': 'Please use the "packages" allowlist instead.',
  '!FedoraAtomicCi': 'Please use the "packages" allowlist instead.',
};

/**
 * Reads one policy document (or an on-demand policy) the way Greenwave's Policy class does.
 * The `!Policy` tag is optional: since "Make !Policy tag optional" (Nov 2021) Greenwave's loader
 * gives every top-level document that tag, whatever it carries, so gating.yaml files written
 * without it are read like the rest. A top-level document that is not a mapping (an empty
 * `---` included) is refused with Greenwave's message.
 */
export function readPolicy(
  root: PolicyNode | null,
  flavor: PolicyFlavor,
  where: { source: string | null; file: string | null },
): Policy {
  if (flavor !== 'onDemand' && (root === null || root.kind !== 'map'))
    throw new PolicyParseError(null, 'Expected mapping for !Policy tagged object');
  if (root === null || root.kind !== 'map') throw new PolicyParseError(null, 'Expected a mapping');
  const remote = flavor === 'remote';
  let label = "Policy 'untitled'";
  let id: string | null = null;
  // Greenwave reads on-demand policies from JSON (from_value), whose messages carry no label.
  const fail = (reason: string): never => {
    throw new PolicyParseError(id, flavor === 'onDemand' ? reason : `${label}: ${reason}`);
  };
  const attr = <T>(
    name: string,
    read: (n: PolicyNode) => T,
    fallback: { optional: boolean; value: T },
  ): T => {
    const node = root.entries.get(name);
    if (node === undefined) {
      if (!fallback.optional) fail(`Attribute '${name}' is required`);
      return fallback.value;
    }
    try {
      return read(node);
    } catch (err) {
      if (err instanceof PolicyParseError) return fail(`Attribute '${name}': ${err.message}`);
      throw err;
    }
  };

  id = attr('id', readString, { optional: remote, value: null as string | null });
  if (id) label = `Policy '${id}'`;
  const productVersions = attr('product_versions', readStringList, { optional: remote, value: ['*'] });
  const decisionContext = attr('decision_context', readString, {
    optional: true,
    value: null as string | null,
  });
  const decisionContextList = attr('decision_contexts', readStringList, {
    optional: true,
    value: [] as string[],
  });
  // Sluice also takes `subject_types` (a list); one of the two is required where Greenwave requires subject_type.
  const hasTypes = root.entries.has('subject_types');
  const subjectType = attr('subject_type', readString, {
    optional: remote || hasTypes || flavor === 'onDemand',
    value: remote ? 'koji_build' : null,
  });
  const subjectTypeList = attr('subject_types', readStringList, { optional: true, value: [] as string[] });
  const rules = attr('rules', readRules, { optional: false, value: [] as Rule[] });
  const excludedPackages = attr('excluded_packages', readStringList, {
    optional: true,
    value: [] as string[],
  });
  const packages = attr('packages', readStringList, { optional: true, value: [] as string[] });
  const relevanceKey = attr('relevance_key', readString, { optional: true, value: null as string | null });
  const relevanceValue = attr('relevance_value', readString, {
    optional: true,
    value: null as string | null,
  });

  if (remote && rules.some((r) => r.kind === 'RemoteRule'))
    fail('RemoteRule is not allowed in remote policies');
  if (!decisionContext && decisionContextList.length === 0) fail('No decision contexts provided');
  if (decisionContext && decisionContextList.length > 0)
    fail('Both properties "decision_contexts" and "decision_context" were set');
  if (root.entries.has('subject_type') && hasTypes)
    fail('Both properties "subject_types" and "subject_type" were set');
  if (hasTypes && subjectTypeList.length === 0) fail("Attribute 'subject_types': Expected a non-empty list");

  return {
    id: id ?? '',
    productVersions,
    decisionContext: decisionContext || null,
    decisionContexts: decisionContext ? [decisionContext] : decisionContextList,
    subjectType: hasTypes ? null : subjectType,
    subjectTypes: hasTypes ? subjectTypeList : subjectType === null ? [] : [subjectType],
    rules,
    excludedPackages,
    packages,
    relevanceKey,
    relevanceValue,
    source: where.source,
    file: where.file,
    ...(flavor === 'onDemand' ? { onDemand: true } : {}),
  };
}

function readString(n: PolicyNode): string {
  refuseUnknownTag(n);
  if (n.kind !== 'scalar')
    throw new PolicyParseError(
      null,
      `expected a scalar node, but found ${n.kind === 'map' ? 'mapping' : 'sequence'}`,
    );
  return n.text;
}

function readStringList(n: PolicyNode): string[] {
  refuseUnknownTag(n);
  if (n.kind !== 'seq')
    throw new PolicyParseError(
      null,
      `expected a sequence node, but found ${n.kind === 'map' ? 'mapping' : 'scalar'}`,
    );
  return n.items.map((item) => {
    if (item.kind !== 'scalar' || typeof item.value !== 'string')
      throw new PolicyParseError(null, 'Expected list of str objects');
    return item.value;
  });
}

function readBool(n: PolicyNode): boolean {
  if (n.kind === 'scalar') {
    if (typeof n.value === 'boolean') return n.value;
    // PyYAML reads YAML 1.1 booleans; the yaml package reads 1.2, which knows only true/false.
    const word = n.text.toLowerCase();
    if (['yes', 'on', 'true'].includes(word)) return true;
    if (['no', 'off', 'false'].includes(word)) return false;
  }
  throw new PolicyParseError(null, 'Expected a boolean value');
}

function readTime(n: PolicyNode): number {
  const t = n.kind === 'scalar' ? parseIsoTime(n.text) : undefined;
  if (t === undefined) throw new PolicyParseError(null, 'Could not parse string as date/time');
  return t;
}

function readRules(n: PolicyNode): Rule[] {
  refuseUnknownTag(n);
  if (n.kind !== 'seq')
    throw new PolicyParseError(
      null,
      `expected a sequence node, but found ${n.kind === 'map' ? 'mapping' : 'scalar'}`,
    );
  return n.items.map(readRule);
}

function readRule(n: PolicyNode): Rule {
  refuseUnknownTag(n);
  if (n.tag !== null && OBSOLETE[n.tag])
    throw new PolicyParseError(null, `${n.tag} is obsolete. ${OBSOLETE[n.tag]}`);
  if (n.kind !== 'map' || (n.tag !== '!PassingTestCaseRule' && n.tag !== '!RemoteRule'))
    throw new PolicyParseError(null, 'Expected list of Rule objects');
  const label = `YAML object ${n.tag}`;
  const field = <T>(name: string, read: (x: PolicyNode) => T, optional: boolean, fallback: T): T => {
    const node = n.entries.get(name);
    if (node === undefined) {
      if (!optional) throw new PolicyParseError(null, `${label}: Attribute '${name}' is required`);
      return fallback;
    }
    try {
      return read(node);
    } catch (err) {
      if (err instanceof PolicyParseError)
        throw new PolicyParseError(null, `${label}: Attribute '${name}': ${err.message}`);
      throw err;
    }
  };
  if (n.tag === '!RemoteRule') {
    // Inside a gating.yaml, readPolicy refuses RemoteRule afterwards with Greenwave's own message.
    return {
      kind: 'RemoteRule',
      sources: field('sources', readStringList, true, null as string[] | null),
      required: field('required', readBool, true, false),
    };
  }
  return {
    kind: 'PassingTestCaseRule',
    testCaseName: field('test_case_name', readString, false, ''),
    scenario: field('scenario', readString, true, null as string | null),
    validSince: field('valid_since', readTime, true, null as number | null),
    validUntil: field('valid_until', readTime, true, null as number | null),
  };
}

function refuseUnknownTag(n: PolicyNode): void {
  if (
    n.tag !== null &&
    !['!Policy', '!PassingTestCaseRule', '!RemoteRule', ...Object.keys(OBSOLETE)].includes(n.tag)
  ) {
    throw new PolicyParseError(null, `could not determine a constructor for the tag '${n.tag}'`);
  }
}
