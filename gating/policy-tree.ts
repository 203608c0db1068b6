import { isAlias, isMap, isScalar, isSeq, LineCounter, type Alias, type Node as YamlNode } from 'yaml';
import { parseYamlBounded, YAML_LIMITS, YamlLimitError, type YamlLimits } from './bounded-yaml.js';

/**
 * A policy document as a small tree that both YAML files and JSON requests (on-demand `rules`)
 * become, so that one reader checks both the way Greenwave's SafeYAML does. Scalars keep their
 * source text: Greenwave reads `decision_context: 1.0` as the string "1.0", not the number 1.
 */
export type PolicyNode =
  | { kind: 'map'; tag: string | null; entries: Map<string, PolicyNode> }
  | { kind: 'seq'; tag: string | null; items: PolicyNode[] }
  | { kind: 'scalar'; tag: string | null; value: unknown; text: string };

export interface PolicyDocument {
  /** Null for an empty document (`---` and nothing else). */
  root: PolicyNode | null;
  /** 1-based line of the document's start, for messages. */
  line: number;
  /** A YAML error in this document, already worded as Greenwave words it. */
  error: string | null;
}

/** The tags Greenwave's loader knows; anything else is refused where it appears. */
export const KNOWN_TAGS = [
  '!Policy',
  '!PassingTestCaseRule',
  '!RemoteRule',
  '!PackageSpecificBuild',
  '!FedoraAtomicCi',
];

const customTags = KNOWN_TAGS.map((tag) => ({
  tag,
  collection: 'map' as const,
  resolve: (map: unknown) => map,
}));

/**
 * Splits a YAML stream into documents; a syntax error is kept on the document it belongs to. A
 * stream over one of `limits` is one document with the error naming the limit.
 */
export function parsePolicyYaml(text: string, limits: YamlLimits = YAML_LIMITS): PolicyDocument[] {
  const lineCounter = new LineCounter();
  let parsed: ReturnType<typeof parseYamlBounded>;
  try {
    parsed = parseYamlBounded(
      text,
      { customTags, prettyErrors: false, lineCounter, uniqueKeys: false },
      limits,
    );
  } catch (e) {
    if (!(e instanceof YamlLimitError)) throw e;
    return [{ root: null, line: 1, error: e.message }];
  }
  return parsed.documents.map((doc) => {
    const line = lineCounter.linePos(doc.range[0]).line;
    const err = doc.errors[0];
    if (err)
      return {
        root: null,
        line,
        error: `YAML Parser Error: line ${lineCounter.linePos(err.pos[0]).line}: ${firstLine(err.message)}`,
      };
    // Unknown tags only warn here; the reader refuses them where it meets them, as PyYAML does.
    try {
      return {
        root: doc.contents === null ? null : fromYaml(doc.contents as YamlNode, parsed.resolveAlias),
        line,
        error: null,
      };
    } catch (e) {
      if (!(e instanceof UnresolvedAliasError)) throw e;
      return { root: null, line, error: `YAML Parser Error: line ${line}: ${e.message}` };
    }
  });
}

/** A JSON value (an on-demand request's policy) as a tree; a rule's `type` becomes its tag. */
export function fromJson(value: unknown, inRules = false): PolicyNode {
  if (Array.isArray(value)) return { kind: 'seq', tag: null, items: value.map((v) => fromJson(v, inRules)) };
  if (value !== null && typeof value === 'object') {
    const entries = new Map<string, PolicyNode>();
    let tag: string | null = null;
    for (const [k, v] of Object.entries(value)) {
      // JSON null means "not given": {"scenario": null} is a rule without a scenario.
      if (v === null) continue;
      if (inRules && k === 'type' && typeof v === 'string') tag = `!${v}`;
      else entries.set(k, fromJson(v, k === 'rules'));
    }
    return { kind: 'map', tag, entries };
  }
  return { kind: 'scalar', tag: null, value, text: value === null ? 'null' : String(value) };
}

function fromYaml(node: YamlNode, resolve: (alias: Alias) => YamlNode | undefined): PolicyNode {
  let n: unknown = node;
  // Aliases are resolved to what they point at; policies rarely use them, but YAML allows it.
  for (let hops = 0; isAlias(n) && hops < 100; hops++) n = resolve(n);
  // An alias to an anchor the document never defines (or a loop of them): PyYAML refuses it too.
  if (n === undefined || isAlias(n)) throw new UnresolvedAliasError(isAlias(node) ? node.source : '?');
  const tag = (n as { tag?: string }).tag ?? null;
  if (isMap(n)) {
    const entries = new Map<string, PolicyNode>();
    for (const pair of n.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      entries.set(
        key,
        pair.value === null
          ? { kind: 'scalar', tag: null, value: null, text: '' }
          : fromYaml(pair.value as YamlNode, resolve),
      );
    }
    return { kind: 'map', tag: tag?.startsWith('!') ? tag : null, entries };
  }
  if (isSeq(n))
    return {
      kind: 'seq',
      tag: tag?.startsWith('!') ? tag : null,
      items: n.items.map((i) => fromYaml(i as YamlNode, resolve)),
    };
  if (isScalar(n)) {
    const text = typeof n.source === 'string' ? n.source : n.value === null ? '' : String(n.value);
    return { kind: 'scalar', tag: tag?.startsWith('!') ? tag : null, value: n.value, text };
  }
  return { kind: 'scalar', tag: null, value: null, text: '' };
}

class UnresolvedAliasError extends Error {
  constructor(anchor: string) {
    super(`found undefined alias "${anchor}"`);
  }
}

function firstLine(message: string): string {
  return message.split('\n')[0]!;
}
