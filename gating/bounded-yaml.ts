import {
  Composer,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  Lexer,
  Parser,
  type Alias,
  type Document,
  type LineCounter,
  type Node as YamlNode,
  type ParseOptions,
  type DocumentOptions,
  type SchemaOptions,
} from 'yaml';

/**
 * How much of a YAML document from outside (a request body, a gating.yaml from dist-git, a
 * test's results.yml, a policy file) Sluice reads. The `yaml` package nests and expands aliases
 * without limit: ~1,200 levels of `[` made V8 abort the process (its composer recurses), and a
 * 350-byte alias bomb (6 levels × 10) expanded to a million nodes, 20 s of blocked event loop.
 */
export interface YamlLimits {
  /** Bytes of text, checked before anything is parsed (the parser costs ~1 ms per KiB). */
  maxBytes: number;
  /** Levels of nesting (indentation levels plus open brackets; aliases count what they point at). */
  maxDepth: number;
  /** Alias nodes (`*name`) in the whole text. */
  maxAliases: number;
  /** Nodes, counting what each alias points at in full, as a reader that expands them sees them. */
  maxNodes: number;
  /** Documents in the stream (`---`); each costs the composer as much as dozens of nodes. */
  maxDocuments: number;
}

/**
 * For documents that arrive over the network; a real gating.yaml is a few KiB, a few documents,
 * depth under 10. At these limits the worst stream parses in tens of milliseconds.
 */
export const YAML_LIMITS: YamlLimits = {
  maxBytes: 32 * 1024,
  maxDepth: 64,
  maxAliases: 100,
  maxNodes: 5_000,
  maxDocuments: 100,
};

/** A document refused by one of the limits; the message names the limit and its value. */
export class YamlLimitError extends Error {
  constructor(
    readonly limit: keyof YamlLimits,
    message: string,
  ) {
    super(message);
  }
}

export interface BoundedYaml {
  documents: Document.Parsed[];
  /** What an alias points at (undefined for an anchor never defined), found once at parse time. */
  resolveAlias(alias: Alias): YamlNode | undefined;
}

type Options = ParseOptions & DocumentOptions & SchemaOptions & { lineCounter?: LineCounter };

/**
 * Every YAML stream from outside goes through here: the size is checked first, then one pass of
 * the lexer (iterative, cheap) bounds nesting, aliases and nodes before the parser and composer
 * (the composer recurses, once per level) run, then each composed document is measured with its
 * aliases expanded. Throws YamlLimitError; syntax errors stay on the documents, as `yaml` gives them.
 */
export function parseYamlBounded(
  text: string,
  options: Options = {},
  limits: YamlLimits = YAML_LIMITS,
): BoundedYaml {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > limits.maxBytes)
    throw new YamlLimitError(
      'maxBytes',
      `YAML refused: ${bytes} bytes is more than the limit of ${limits.maxBytes} bytes`,
    );
  prescan(text, limits);
  const parser = new Parser(options.lineCounter?.addNewLine);
  const documents = [...new Composer(options).compose(parser.parse(text))] as Document.Parsed[];
  const targets = new Map<Alias, YamlNode | undefined>();
  for (const doc of documents) measure(doc, limits, targets);
  return { documents, resolveAlias: (alias) => targets.get(alias) };
}

// The lexer's control tokens (document start, scalar start, flow error end) take no columns.
const CONTROL = new Set(['\u0002', '\u001f', '\u0018']);

/**
 * Nesting from the lexer's tokens, without parsing: open flow brackets, plus a stack of the
 * columns block nodes start at (a deeper block node starts further right, or after `- `/`? ` on
 * the same line). It counts a level per column, so it can read a level more than the parser
 * would, never far fewer (the exact check after composing catches the rest).
 */
function prescan(text: string, limits: YamlLimits): void {
  const columns: number[] = [];
  let col = 0;
  let flow = 0;
  let lineStart = true;
  let afterIndicator = false;
  let aliases = 0;
  let nodes = 0;
  let documents = 1;
  const tooDeep = () =>
    new YamlLimitError(
      'maxDepth',
      `YAML refused: nesting deeper than the limit of ${limits.maxDepth} levels`,
    );
  const blockNode = (at: number) => {
    while (columns.length > 0 && columns[columns.length - 1]! > at) columns.pop();
    if (columns.length === 0 || columns[columns.length - 1]! < at) columns.push(at);
    if (columns.length + flow > limits.maxDepth) throw tooDeep();
  };
  for (const tok of new Lexer().lex(text)) {
    if (CONTROL.has(tok)) continue;
    const start = col;
    const nl = tok.lastIndexOf('\n');
    col = nl < 0 ? col + tok.length : tok.length - nl - 1;
    const first = tok[0];
    if (tok === '\n' || tok === '\r\n' || /^[ \t]*$/.test(tok) || first === '#') {
      if (nl >= 0) lineStart = true;
      continue;
    }
    if (first === '*') {
      if (++aliases > limits.maxAliases)
        throw new YamlLimitError(
          'maxAliases',
          `YAML refused: more aliases than the limit of ${limits.maxAliases}`,
        );
    }
    if (tok === '---' || tok === '...') {
      columns.length = 0;
      flow = 0;
      if (tok === '---' && ++documents > limits.maxDocuments)
        throw new YamlLimitError(
          'maxDocuments',
          `YAML refused: more documents than the limit of ${limits.maxDocuments}`,
        );
    } else if (tok === '[' || tok === '{') {
      if (flow === 0 && (lineStart || afterIndicator)) blockNode(start);
      if (++flow + columns.length > limits.maxDepth) throw tooDeep();
      nodes++;
    } else if (tok === ']' || tok === '}') {
      flow = Math.max(0, flow - 1);
    } else if (flow === 0 && (lineStart || afterIndicator) && tok !== ',') {
      blockNode(start);
    }
    if (
      tok !== ',' &&
      tok !== ':' &&
      tok !== '-' &&
      tok !== '?' &&
      !(flow > 0 && (tok === '[' || tok === '{'))
    )
      nodes++;
    if (nodes > limits.maxNodes)
      throw new YamlLimitError('maxNodes', `YAML refused: more nodes than the limit of ${limits.maxNodes}`);
    afterIndicator = flow === 0 && (tok === '-' || tok === '?' || tok === ':');
    lineStart = nl >= 0 && tok.endsWith('\n');
  }
}

/**
 * The composed document measured as a reader that follows aliases sees it: nodes and depth
 * with every alias replaced by its target (memoized, so an alias bomb costs its size, not its
 * expansion), and an alias inside what it points at refused. Iterative: the depth is what is
 * being checked. Records each alias's target in `targets`.
 */
function measure(doc: Document.Parsed, limits: YamlLimits, targets: Map<Alias, YamlNode | undefined>): void {
  if (doc.contents === null) return;
  // Anchors in document order: an alias means the last anchor of its name before it.
  const anchors = new Map<string, YamlNode>();
  const order: unknown[] = [doc.contents];
  while (order.length > 0) {
    const n = order.pop();
    if (isAlias(n)) {
      targets.set(n, anchors.get(n.source));
      continue;
    }
    if (!n || typeof n !== 'object') continue;
    const anchor = (n as { anchor?: string }).anchor;
    if (anchor) anchors.set(anchor, n as YamlNode);
    const kids = childrenOf(n);
    for (let i = kids.length - 1; i >= 0; i--) order.push(kids[i]);
  }

  const done = new Map<object, { nodes: number; depth: number }>();
  interface Frame {
    node: object;
    kids: unknown[];
    next: number;
    nodes: number;
    depth: number;
  }
  const onPath = new Set<object>();
  const stack: Frame[] = [
    { node: doc.contents, kids: childrenOf(doc.contents), next: 0, nodes: 1, depth: 1 },
  ];
  onPath.add(doc.contents);
  while (stack.length > 0) {
    const f = stack[stack.length - 1]!;
    if (f.next < f.kids.length) {
      let k = f.kids[f.next++];
      if (isAlias(k)) k = targets.get(k);
      if (!k || typeof k !== 'object') continue;
      const seen = done.get(k);
      if (seen) {
        f.nodes += seen.nodes;
        f.depth = Math.max(f.depth, seen.depth + 1);
      } else {
        if (onPath.has(k))
          throw new YamlLimitError(
            'maxAliases',
            'YAML refused: an alias points at a collection that contains it',
          );
        if (stack.length >= limits.maxDepth)
          throw new YamlLimitError(
            'maxDepth',
            `YAML refused: nesting deeper than the limit of ${limits.maxDepth} levels`,
          );
        onPath.add(k);
        stack.push({ node: k, kids: childrenOf(k), next: 0, nodes: 1, depth: 1 });
      }
    } else {
      stack.pop();
      onPath.delete(f.node);
      done.set(f.node, { nodes: f.nodes, depth: f.depth });
      const parent = stack[stack.length - 1];
      if (parent) {
        parent.nodes += f.nodes;
        parent.depth = Math.max(parent.depth, f.depth + 1);
      }
    }
    if (f.nodes > limits.maxNodes)
      throw new YamlLimitError(
        'maxNodes',
        `YAML refused: more than the limit of ${limits.maxNodes} nodes once aliases are expanded`,
      );
    if (f.depth > limits.maxDepth)
      throw new YamlLimitError(
        'maxDepth',
        `YAML refused: nesting deeper than the limit of ${limits.maxDepth} levels once aliases are expanded`,
      );
  }
}

function childrenOf(n: unknown): unknown[] {
  if (isMap(n) || isSeq(n))
    return (n.items as unknown[]).flatMap((i) => (isPair(i) ? [i.key, i.value] : [i]));
  if (isPair(n)) return [n.key, n.value];
  if (isScalar(n)) return [];
  return [];
}
