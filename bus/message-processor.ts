import { createHash } from 'node:crypto';
import type { Transaction } from 'better-sqlite3';
import type { Logger } from 'pino';
import type { RetrySettings } from '../config/config-types.js';
import type { Db } from '../db/open-database.js';
import { ProcessedMessages } from '../db/processed-messages.js';
import { MessageValidationError } from '../errors/message-validation-error.js';
import { jsonDepthMessage, jsonTooDeep } from '../schemas/json-depth.js';
import type { SchemaRegistry } from '../schemas/schema-registry.js';
import type {
  BusMessage,
  BusObserver,
  ConsumerSpec,
  EffectOutcome,
  EffectTransaction,
  HandlerContext,
  HandlerResult,
  HeaderValue,
} from './bus.js';
import { HEADERS } from './bus.js';
import { effectTransaction } from './effect-transaction.js';
import { afterFailure } from './retry-policy.js';
import { errorText } from '../errors/error-text.js';

/** Thrown through a bare batch attempt to roll it back; never leaves inBatch. */
const POISONED = Symbol('an effect failed in a batch without savepoints');

/** A delivery as either bus hands it over, before parsing. */
export interface RawDelivery {
  messageId: string | undefined;
  topic: string;
  /** The prefix it came under; absent = the bus's own topicPrefix. */
  topicPrefix?: string;
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
  // better-sqlite3 builds a transaction wrapper per db.transaction() call; build each once.
  private readonly effectTxn: Transaction<
    (consumer: string, messageId: string, fn: (tx: EffectTransaction) => unknown) => EffectOutcome<unknown>
  >;
  private readonly batchTxn: Transaction<(work: () => unknown) => unknown>;
  /** Inside inBatch's first attempt: effects run without a savepoint of their own. */
  private bare = false;
  private readonly tx: EffectTransaction;
  /** An effect threw during a bare attempt: its partial writes must not commit. */
  private poisoned = false;

  constructor(
    private readonly db: Db,
    private readonly registry: SchemaRegistry,
    private readonly retry: RetrySettings,
    private readonly log: Logger,
    private readonly observer?: BusObserver,
  ) {
    this.ledger = new ProcessedMessages(db);
    this.tx = effectTransaction(db);
    this.effectTxn = db.transaction(
      (
        consumer: string,
        messageId: string,
        fn: (tx: EffectTransaction) => unknown,
      ): EffectOutcome<unknown> => {
        if (!this.ledger.record(consumer, messageId)) return { applied: false };
        return { applied: true, value: fn(this.tx) };
      },
    );
    this.batchTxn = db.transaction((work: () => unknown) => work());
  }

  /**
   * Synchronous as far as the handler is: a handler that returns a plain value is finished, its
   * effect included, before this returns, so a caller can run a whole batch of deliveries inside
   * one store transaction (each effect is then a savepoint of it). A handler that returns a
   * promise gets a promise back; its effect after an `await` commits on its own.
   */
  process(spec: ConsumerSpec, delivery: RawDelivery): Disposition | Promise<Disposition> {
    const observer = this.observer;
    if (!observer) return this.handle(spec, delivery);
    const started = process.hrtime.bigint();
    const report = (d: Disposition) => {
      const outcome = d.action === 'ack' ? (d.duplicate ? 'duplicate' : 'ack') : d.action;
      // Topics no schema covers come from other publishers and are unbounded: one label for them all.
      const topic = this.registry.schemaIdFor(delivery.topic) === undefined ? '(no schema)' : delivery.topic;
      observer.consumed(spec.name, topic, outcome, Number(process.hrtime.bigint() - started) / 1e9);
      return d;
    };
    const d = this.handle(spec, delivery);
    return isPromise(d) ? d.then(report) : report(d);
  }

  private handle(spec: ConsumerSpec, delivery: RawDelivery): Disposition | Promise<Disposition> {
    const messageId = delivery.messageId || contentId(delivery.topic, delivery.content);
    // Before parsing: a message handled once was valid then (our own announcements coming back,
    // redeliveries), and checking it again would cost every duplicate a parse and a validation.
    if (this.ledger.has(spec.name, messageId)) return { action: 'ack', duplicate: true };
    let body: unknown;
    const text = delivery.content.toString('utf8');
    if (jsonTooDeep(text)) return { action: 'dead-letter', reason: `body: ${jsonDepthMessage()}` };
    try {
      body = JSON.parse(text);
    } catch (err) {
      return { action: 'dead-letter', reason: `body is not valid JSON: ${(err as Error).message}` };
    }
    try {
      this.registry.validate(delivery.topic, body);
    } catch (err) {
      if (err instanceof MessageValidationError)
        return { action: 'dead-letter', reason: `schema validation failed: ${err.problems.join('; ')}` };
      throw err;
    }

    const message: BusMessage = {
      messageId,
      topic: delivery.topic,
      body,
      headers: delivery.headers,
      attempt: delivery.attempt,
      ...(delivery.topicPrefix !== undefined ? { topicPrefix: delivery.topicPrefix } : {}),
    };
    const state = { effectRan: false, duplicate: false };
    let log: Logger | undefined;
    // One child logger per message: every line a handler logs carries the ids that tie it to the
    // message (and, for a message published over HTTP, to the request that published it).
    const requestId = delivery.headers[HEADERS.requestId];
    const logger = () =>
      (log ??= this.log.child({
        consumer: spec.name,
        messageId,
        topic: delivery.topic,
        ...(requestId ? { requestId } : {}),
      }));
    const ctx: HandlerContext = {
      get log() {
        return logger();
      },
      effect: <T>(fn: (tx: EffectTransaction) => T): EffectOutcome<T> => {
        state.effectRan = true;
        const outcome = (
          this.bare && this.db.inTransaction
            ? this.bareEffect(spec.name, messageId, fn)
            : this.effectTxn(spec.name, messageId, fn)
        ) as EffectOutcome<T>;
        if (!outcome.applied) state.duplicate = true;
        return outcome;
      },
    };
    let result: HandlerResult | Promise<HandlerResult>;
    try {
      result = spec.handle(message, ctx);
    } catch (err) {
      return this.failed(delivery.attempt, errorText(err), logger);
    }
    if (isPromise(result)) {
      return result.then(
        (r) => this.finish(spec, messageId, delivery.attempt, r, state, logger),
        (err: unknown) => this.failed(delivery.attempt, errorText(err), logger),
      );
    }
    return this.finish(spec, messageId, delivery.attempt, result, state, logger);
  }

  /**
   * Runs `work` in one store transaction; `process` calls inside it share its commit. A savepoint
   * per message would let one failed effect roll back alone, but costs every message (the pages it
   * touches are journaled). So the batch first runs without them; if any effect threw, the whole
   * attempt is rolled back and run again with a savepoint per message. Handlers may therefore
   * run twice; their effects cannot, and what they returned the first time is dropped.
   */
  inBatch<T>(work: () => T): T {
    this.bare = true;
    this.poisoned = false;
    try {
      return this.batchTxn(() => {
        const out = work();
        if (this.poisoned) throw POISONED;
        return out;
      }) as T;
    } catch (err) {
      if (err !== POISONED) throw err;
    } finally {
      this.bare = false;
    }
    return this.batchTxn(work) as T;
  }

  private bareEffect(
    consumer: string,
    messageId: string,
    fn: (tx: EffectTransaction) => unknown,
  ): EffectOutcome<unknown> {
    try {
      if (!this.ledger.record(consumer, messageId)) return { applied: false };
      return { applied: true, value: fn(this.tx) };
    } catch (err) {
      this.poisoned = true;
      throw err;
    }
  }

  private finish(
    spec: ConsumerSpec,
    messageId: string,
    attempt: number,
    result: HandlerResult,
    state: { effectRan: boolean; duplicate: boolean },
    logger: () => Logger,
  ): Disposition {
    if (result && typeof result === 'object' && 'deadLetter' in result)
      return { action: 'dead-letter', reason: result.deadLetter };
    if (result && typeof result === 'object' && 'retry' in result)
      return this.failed(attempt, result.retry, logger);
    // A handler with no store effect is still recorded, so a redelivery does not run it again.
    if (!state.effectRan) this.ledger.record(spec.name, messageId);
    return { action: 'ack', duplicate: state.duplicate };
  }

  private failed(attempt: number, reason: string, log: () => Logger): Disposition {
    const step = afterFailure(attempt, this.retry, reason);
    if (step.action === 'dead-letter') return step;
    log().warn({ attempt, delayMs: step.delayMs, err: reason }, 'handler failed; will retry');
    return { ...step, reason };
  }
}

/** A message published without an id still gets a stable one, so its redelivery is recognised. */
export function contentId(topic: string, content: Buffer): string {
  return `sha256:${createHash('sha256').update(topic).update('\0').update(content).digest('hex')}`;
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as Promise<T> | undefined)?.then === 'function';
}
