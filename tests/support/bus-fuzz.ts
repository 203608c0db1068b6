import fc from 'fast-check';
import { topicMatches } from '../../schemas/topic-pattern.js';
import { MessageValidationError } from '../../errors/message-validation-error.js';
import type { SchemaRegistry } from '../../schemas/schema-registry.js';
import type { RegisteredConsumer } from '../../service/sluice-service.js';

export interface FuzzMessage {
  topic: string;
  /** The bytes sent as the body. */
  content: string;
  /** Malformed for certain (not JSON, or refused by the topic's schema): it must be dead-lettered. */
  malformed: boolean;
}

const word = fc.stringMatching(/^[a-z][a-z0-9_-]{0,8}$/);

/** A topic matching `pattern`: each `*` one random word, each `#` zero to two. */
export function topicFor(pattern: string): fc.Arbitrary<string> {
  const parts = pattern
    .split('.')
    .map((p) =>
      p === '*' ? word.map((w) => [w]) : p === '#' ? fc.array(word, { maxLength: 2 }) : fc.constant([p]),
    );
  return fc
    .tuple(...parts)
    .map((ws) => ws.flat().join('.'))
    .filter((t) => t.length > 0 && topicMatches(pattern, t));
}

/**
 * The topics worth fuzzing, from what the service consumes: each schema pattern a consumer's
 * binding overlaps, made concrete, and each binding made concrete (often a topic with no schema).
 */
export function consumedTopics(
  consumers: RegisteredConsumer[],
  registry: SchemaRegistry,
  { withSchemaOnly = false } = {},
): fc.Arbitrary<string> {
  const bindings = consumers.flatMap((c) => c.spec.topics);
  const schemaPatterns = registry.describeTopics().map((t) => t.pattern);
  const overlapping = schemaPatterns.filter((p) =>
    bindings.some((b) => topicMatches(b, p.replace(/[*#]/g, 'x'))),
  );
  const arbitraries = [...overlapping.map(topicFor), ...(withSchemaOnly ? [] : bindings.map(topicFor))];
  const topic = fc.oneof(...arbitraries).filter((t) => bindings.some((b) => topicMatches(b, t)));
  return withSchemaOnly ? topic.filter((t) => registry.schemaIdFor(t) !== undefined) : topic;
}

const FIELDS = [
  'testcase',
  'outcome',
  'data',
  'groups',
  'note',
  'ref_url',
  'submit_time',
  'artifact',
  'contact',
  'run',
  'test',
  'pipeline',
  'system',
  'generated_at',
  'version',
  'error',
  'name',
  'type',
  'id',
  'nvr',
  'result',
  'namespace',
];
const leaf = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom('PASSED', 'FAILED', 'koji-build', '1.1.14', '2025-01-02T03:04:05Z', ''),
);
const json: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    leaf,
    fc.array(tie('v'), { maxLength: 3 }),
    fc.dictionary(fc.oneof(fc.constantFrom(...FIELDS), fc.string()), tie('v'), { maxKeys: 6 }),
  ),
})).v;

/** Bodies that are not JSON, JSON that is not an object, objects of random fields, or huge. */
const content = fc.oneof(
  { weight: 2, arbitrary: fc.string().map((s) => `{${s}`) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('', 'null', '[]', '42', '"text"', '{"testcase":', '\u0000', 'NaN'),
  },
  {
    weight: 4,
    arbitrary: fc.dictionary(fc.constantFrom(...FIELDS), json, { maxKeys: 8 }).map((o) => JSON.stringify(o)),
  },
  { weight: 2, arbitrary: json.map((v) => JSON.stringify(v) ?? 'undefined') },
  { weight: 1, arbitrary: fc.constant(JSON.stringify({ testcase: 'x'.repeat(100_000), outcome: 'PASSED' })) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 1, max: 20_000 }), fc.constantFrom('array', 'object', 'mixed'))
      .map(([n, shape]) => nestedJson(n, shape as 'array')),
  },
);

/** How deeply a parsed value nests arrays and objects, counted here apart from the code under test. */
function depthOf(value: unknown): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    max = Math.max(max, d + 1);
    for (const child of Object.values(v as object)) stack.push([child, d + 1]);
  }
  return max;
}

/** Whether the registry refuses the body for the topic (or the body is not JSON): the oracle. */
export function isMalformed(registry: SchemaRegistry, topic: string, text: string): boolean {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return true;
  }
  if (depthOf(body) > MESSAGE_DEPTH_LIMIT) return true;
  try {
    registry.validate(topic, body);
    return false;
  } catch (err) {
    if (err instanceof MessageValidationError) return true;
    throw err;
  }
}

export function fuzzMessages(
  consumers: RegisteredConsumer[],
  registry: SchemaRegistry,
  options: { withSchemaOnly?: boolean } = {},
): fc.Arbitrary<FuzzMessage[]> {
  const message = fc
    .tuple(consumedTopics(consumers, registry, options), content)
    .map(([topic, text]) => ({ topic, content: text, malformed: isMalformed(registry, topic, text) }));
  return fc.array(message, { minLength: 1, maxLength: 20 });
}

/** Collections inside one another, as arrays, objects or both alternating, around one string. */
export function nestedJson(levels: number, shape: 'array' | 'object' | 'mixed'): string {
  let open = '';
  let close = '';
  for (let i = 0; i < levels; i++) {
    const asArray = shape === 'array' || (shape === 'mixed' && i % 2 === 0);
    open += asArray ? '[' : '{"data":';
    close = (asArray ? ']' : '}') + close;
  }
  return `${open}"leaf"${close}`;
}

/** The depth the message processor refuses beyond (schemas/json-depth MAX_JSON_DEPTH, restated). */
export const MESSAGE_DEPTH_LIMIT = 64;

/**
 * Messages nested to a generated depth (around the limit, and up to 20,000 levels), as a whole
 * body or under a field the schemas know; beyond the limit each is malformed by definition.
 */
export function deepMessages(
  consumers: RegisteredConsumer[],
  registry: SchemaRegistry,
): fc.Arbitrary<Array<FuzzMessage & { depth: number }>> {
  const levels = fc.oneof(
    fc.integer({ min: MESSAGE_DEPTH_LIMIT - 4, max: MESSAGE_DEPTH_LIMIT + 4 }),
    fc.integer({ min: 1, max: 20_000 }),
  );
  const message = fc
    .tuple(
      consumedTopics(consumers, registry, { withSchemaOnly: true }),
      levels,
      fc.constantFrom('array', 'object', 'mixed'),
      fc.option(fc.constantFrom(...FIELDS), { nil: undefined }),
    )
    .map(([topic, n, shape, field]) => {
      const nested = nestedJson(n, shape as 'array');
      const content =
        field === undefined ? nested : `{${JSON.stringify(field)}: ${nested}, "outcome": "PASSED"}`;
      const depth = n + (field === undefined ? 0 : 1);
      return {
        topic,
        content,
        depth,
        malformed: depth > MESSAGE_DEPTH_LIMIT || isMalformed(registry, topic, content),
      };
    });
  return fc.array(message, { minLength: 1, maxLength: 5 });
}
