import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { RetrySettings } from '../config/config-types.js';
import type { Db } from '../db/open-database.js';
import { ProcessedMessages } from '../db/processed-messages.js';
import { MessageValidationError } from '../errors/message-validation-error.js';
import type { SchemaRegistry } from '../schemas/schema-registry.js';
import type { BusMessage, ConsumerSpec, EffectOutcome, HandlerContext, HeaderValue } from './bus.js';
import { afterFailure } from './retry-policy.js';

/** A delivery as either bus hands it over, before parsing. */
export interface RawDelivery {
  messageId: string | undefined;
  topic: string;
  content: Buffer;
  headers: Record<string, HeaderValue>;
  attempt: number;
}

export type Disposition =
  | { action: 'ack'; duplicate: boolean }
  | { action: 'retry'; delayMs: number; nextAttempt: number; reason: string }
  | { action: 'dead-letter'; reason: string };

/**
 * The consuming half both buses share: parse, validate against the topic's schema, skip what
 * this consumer already handled, run the handler, and say what to do with the delivery.
 * Never throws: every way a message can go wrong ends in a disposition with a reason.
 */
export class MessageProcessor {
  private readonly ledger: ProcessedMessages;

  constructor(
    private readonly db: Db,
    private readonly registry: SchemaRegistry,
    private readonly retry: RetrySettings,
    private readonly log: Logger,
  ) {
    this.ledger = new ProcessedMessages(db);
  }

  async process(spec: ConsumerSpec, delivery: RawDelivery): Promise<Disposition> {
    const messageId = delivery.messageId || contentId(delivery.topic, delivery.content);
    let body: unknown;
    try {
      body = JSON.parse(delivery.content.toString('utf8'));
    } catch (err) {
      return { action: 'dead-letter', reason: `body is not valid JSON: ${(err as Error).message}` };
    }
    try {
      this.registry.validate(delivery.topic, body);
    } catch (err) {
      if (err instanceof MessageValidationError) return { action: 'dead-letter', reason: `schema validation failed: ${err.problems.join('; ')}` };
      throw err;
    }
    if (this.ledger.has(spec.name, messageId)) return { action: 'ack', duplicate: true };

    const message: BusMessage = { messageId, topic: delivery.topic, body, headers: delivery.headers, attempt: delivery.attempt };
    let effectRan = false;
    let duplicate = false;
    const log = this.log.child({ consumer: spec.name, messageId, topic: delivery.topic });
    const ctx: HandlerContext = {
      log,
      effect: <T>(fn: (db: Db) => T): EffectOutcome<T> => {
        effectRan = true;
        return this.db.transaction((): EffectOutcome<T> => {
          if (!this.ledger.record(spec.name, messageId)) {
            duplicate = true;
            return { applied: false };
          }
          return { applied: true, value: fn(this.db) };
        }).immediate();
      },
    };
    try {
      const result = await spec.handle(message, ctx);
      if (result && typeof result === 'object' && 'deadLetter' in result) return { action: 'dead-letter', reason: result.deadLetter };
      if (result && typeof result === 'object' && 'retry' in result) return this.failed(delivery.attempt, result.retry, log);
      // A handler with no store effect is still recorded, so a redelivery does not run it again.
      if (!effectRan) this.ledger.record(spec.name, messageId);
      return { action: 'ack', duplicate };
    } catch (err) {
      return this.failed(delivery.attempt, errorText(err), log);
    }
  }

  private failed(attempt: number, reason: string, log: Logger): Disposition {
    const step = afterFailure(attempt, this.retry, reason);
    if (step.action === 'dead-letter') return step;
    log.warn({ attempt, delayMs: step.delayMs, err: reason }, 'handler failed; will retry');
    return { ...step, reason };
  }
}

/** A message published without an id still gets a stable one, so its redelivery is recognised. */
export function contentId(topic: string, content: Buffer): string {
  return 'sha256:' + createHash('sha256').update(topic).update('\0').update(content).digest('hex');
}

export function errorText(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}
