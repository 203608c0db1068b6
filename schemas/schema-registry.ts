import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { isValidTopic, isValidTopicPattern, topicMatches } from './topic-pattern.js';
import { formatAjvErrors } from '../config/format-ajv-errors.js';
import { MessageValidationError } from '../errors/message-validation-error.js';
import { SluiceError } from '../errors/sluice-error.js';

/** The folder that ships with Sluice: one JSON Schema per topic (or topic family). */
export const BUILTIN_SCHEMA_DIR = fileURLToPath(new URL('../../schemas/messages/', import.meta.url));

const TOPICS_KEYWORD = 'x-sluice-topics';

interface Entry {
  id: string;
  patterns: string[];
  validate: ValidateFunction;
  /** Exact topics win over patterns; among patterns, the one with fewer wildcards, `#` counting more than any `*`s. */
  specificity: number;
}

/**
 * Message schemas by topic. Every schema is compiled once, here, at start; validation of a
 * message is then a lookup and a call. A schema names the topics it covers in `x-sluice-topics`.
 */
export class SchemaRegistry {
  private readonly entries: Entry[] = [];
  private readonly byTopic = new Map<string, Entry | null>();

  constructor(dirs: string[] = [BUILTIN_SCHEMA_DIR]) {
    const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
    addFormats.default(ajv);
    ajv.addKeyword({ keyword: TOPICS_KEYWORD, schemaType: 'array' });
    const schemas: Array<{ file: string; schema: Record<string, unknown> }> = [];
    for (const dir of dirs) {
      for (const name of readdirSync(dir)
        .filter((n) => n.endsWith('.json'))
        .sort()) {
        const file = path.join(dir, name);
        schemas.push({ file, schema: JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown> });
      }
    }
    // Register all first, so that schemas may $ref one another whatever their order.
    for (const { file, schema } of schemas) {
      if (typeof schema.$id !== 'string') throw new SluiceError('SCHEMA_INVALID', `${file}: has no $id`);
      ajv.addSchema(schema);
    }
    for (const { file, schema } of schemas) {
      const patterns = schema[TOPICS_KEYWORD];
      if (patterns === undefined) continue; // a shared definition, not a topic schema
      if (
        !Array.isArray(patterns) ||
        !patterns.every((p) => typeof p === 'string' && isValidTopicPattern(p))
      ) {
        throw new SluiceError(
          'SCHEMA_INVALID',
          `${file}: ${TOPICS_KEYWORD} must be a list of topic patterns`,
        );
      }
      const validate = ajv.getSchema(schema.$id as string)!;
      for (const p of patterns as string[]) {
        const words = p.split('.');
        // `#` matches any number of words: a catch-all such as `ci.#` yields to every `ci.*.…` pattern.
        const wild = words.filter((w) => w === '*').length + 100 * words.filter((w) => w === '#').length;
        this.entries.push({ id: schema.$id as string, patterns: [p], validate, specificity: wild });
      }
    }
    this.entries.sort((a, b) => a.specificity - b.specificity);
  }

  /** Every topic (or pattern) a schema covers, for hints about a mistyped one. */
  topicPatterns(): string[] {
    return this.entries.flatMap((e) => e.patterns);
  }

  /** The schema id for a topic, or undefined when no schema covers it. */
  schemaIdFor(topic: string): string | undefined {
    return this.entryFor(topic)?.id;
  }

  /** The schema id for a topic; throws MessageValidationError when no schema covers it. */
  schemaIdOf(topic: string): string {
    const id = this.schemaIdFor(topic);
    if (id === undefined)
      throw new MessageValidationError(
        topic,
        [`topic: no schema is registered for "${topic}"`],
        'TOPIC_UNKNOWN',
      );
    return id;
  }

  /** Throws MessageValidationError with `path: reason` problems; returns the schema id. */
  validate(topic: string, body: unknown): string {
    if (!isValidTopic(topic)) {
      throw new MessageValidationError(
        topic,
        ['topic: must be dot-separated words of letters, digits, "-" or "_"'],
        'TOPIC_INVALID',
      );
    }
    const entry = this.entryFor(topic);
    if (!entry)
      throw new MessageValidationError(
        topic,
        [`topic: no schema is registered for "${topic}"`],
        'TOPIC_UNKNOWN',
      );
    if (!entry.validate(body))
      throw new MessageValidationError(
        topic,
        formatAjvErrors(entry.validate.errors, 'body').map(withBodyPrefix),
      );
    return entry.id;
  }

  /** Topic patterns with their schema ids, for documentation and `GET /api/v1/topics`. */
  topics(): Array<{ pattern: string; schema: string }> {
    return this.entries.map((e) => ({ pattern: e.patterns[0]!, schema: e.id }));
  }

  /** As `topics`, with each schema's title and description, for the API documentation. */
  describeTopics(): Array<{
    pattern: string;
    schema: string;
    title: string | undefined;
    description: string | undefined;
  }> {
    return this.entries.map((e) => {
      const schema = e.validate.schema as { title?: unknown; description?: unknown };
      const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
      return {
        pattern: e.patterns[0]!,
        schema: e.id,
        title: text(schema.title),
        description: text(schema.description),
      };
    });
  }

  private entryFor(topic: string): Entry | undefined {
    if (!this.byTopic.has(topic)) {
      const found = this.entries.find((e) => topicMatches(e.patterns[0]!, topic)) ?? null;
      if (this.byTopic.size < 10000) this.byTopic.set(topic, found);
      return found ?? undefined;
    }
    return this.byTopic.get(topic) ?? undefined;
  }
}

function withBodyPrefix(line: string): string {
  return line.startsWith('body') ? line : `body.${line}`;
}
