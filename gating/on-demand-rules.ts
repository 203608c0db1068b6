import { parseIsoTime } from '../results/parse-iso-time.js';

const OBSOLETE = new Set(['PackageSpecificBuild', 'FedoraAtomicCi']);

/**
 * The first fault of a decision request's `rules` (JSON), worded as Greenwave's SafeYAML
 * `from_value` words it (greenwave/safe_yaml.py, policies.py), or null when they are fine. The
 * JSON path has its own messages - "Key 'type' is required for each list item", "Attribute
 * 'test_case_name' is required" - with no "YAML object !Tag" label, and clients compare them.
 * As there, every object item is checked before items that are not objects are refused.
 */
export function onDemandRulesError(rules: unknown): string | null {
  const fault = (reason: string) => `Attribute 'rules': ${reason}`;
  if (!Array.isArray(rules)) return fault('Expected list of Rule objects');
  let notObject = false;
  for (const item of rules) {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      notObject = true;
      continue;
    }
    const rule = item as Record<string, unknown>;
    const type = rule.type;
    // Python's truthiness: a missing, null, empty or false `type` is "required".
    if (type === undefined || type === null || type === '' || type === false || type === 0)
      return fault("Key 'type' is required for each list item");
    if (typeof type !== 'string' || !['PassingTestCaseRule', 'RemoteRule', ...OBSOLETE].includes(type)) {
      return fault(`Key 'type' for an list item is not valid: ${text(type)}`);
    }
    if (OBSOLETE.has(type))
      return fault(`!${type} is obsolete. Please use the "packages" allowlist instead.`);
    const problem = type === 'RemoteRule' ? remoteRuleError(rule) : passingTestCaseRuleError(rule);
    if (problem) return fault(problem);
  }
  return notObject ? fault('Expected list of Rule objects') : null;
}

/** A value as Python's str() prints it in these messages: strings bare. */
const text = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

// JSON null is "not given", as Python's `data.get(name) is None`.
const given = (rule: Record<string, unknown>, name: string) =>
  rule[name] !== undefined && rule[name] !== null;

function passingTestCaseRuleError(rule: Record<string, unknown>): string | null {
  if (!given(rule, 'test_case_name')) return "Attribute 'test_case_name' is required";
  for (const name of ['valid_since', 'valid_until']) {
    if (!given(rule, name)) continue;
    const value = rule[name];
    if (typeof value !== 'string' || parseIsoTime(value) === undefined) {
      return `Attribute '${name}': Could not parse string as date/time, got: ${text(value)}`;
    }
  }
  return null;
}

function remoteRuleError(rule: Record<string, unknown>): string | null {
  if (
    given(rule, 'sources') &&
    !(Array.isArray(rule.sources) && rule.sources.every((s) => typeof s === 'string'))
  ) {
    return "Attribute 'sources': Expected list of str objects";
  }
  if (given(rule, 'required') && typeof rule.required !== 'boolean')
    return `Attribute 'required': Expected a boolean value, got: ${text(rule.required)}`;
  return null;
}
