import type { Logger } from 'pino';
import { HEADERS, type HeaderValue } from '../schemas/message-headers.js';
import type { BodyOf, Topic } from '../schemas/topic-contract.js';

// The message envelope's vocabulary lives with the schemas, below the bus and the stores that both use it.
export { HEADERS, type HeaderValue };

/** A message as a consumer or subscriber sees it; `topic` never carries the configured prefix. */
export interface BusMessage {
  messageId: string;
  topic: string;
  /** The parsed JSON body, validated against the topic's schema before a handler sees it. */
  body: unknown;
  headers: Record<string, HeaderValue>;
  /** 1 on first delivery; raised each time a failed handling is retried. */
  attempt: number;
  /**
   * The prefix the message was published under (one of `bus.topicPrefix` and
   * `bus.consumePrefixes`): other publishers' messages can arrive under several.
   */
  topicPrefix?: string;
}

export interface PublishOptions {
  /** Keep a message's id stable across retries (the outbox does) so consumers can drop duplicates. */
  messageId?: string;
  headers?: Record<string, HeaderValue>;
  /**
   * The name of a consumer of this deployment that already did this message's work (and
   * recorded the message id as handled). A consumer registered with `skipHandled` does not get
   * the message; everybody else does.
   */
  handledBy?: string;
}

export interface PublishReceipt {
  messageId: string;
  topic: string;
  routingKey: string;
  schemaId: string;
}

/**
 * What a handler says about a message, in the manner of rabbitmq-client: nothing (or 'ack')
 * means done; `retry` is handled like a throw (bounded retries with delay); `deadLetter`
 * sends the message to the dead-letter queue at once with the reason.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: a handler that returns nothing (sync or async) acks.
export type HandlerResult = void | 'ack' | { retry: string } | { deadLetter: string };

export type EffectOutcome<T> = { applied: true; value: T } | { applied: false };

declare const effectTransactionBrand: unique symbol;

/**
 * The store transaction an effect runs in, opaque to handlers: which store backs it is the
 * bus's business. Handlers write through the stores they were given, which share the bus's
 * connection and so join the transaction; only store code opens the handle
 * (bus/effect-transaction.ts).
 */
export interface EffectTransaction {
  readonly [effectTransactionBrand]: 'EffectTransaction';
}

export interface HandlerContext {
  /**
   * Runs `fn` in one store transaction together with recording this message's id for this
   * consumer. When the id was already recorded (a redelivery), `fn` does not run.
   */
  effect<T>(fn: (tx: EffectTransaction) => T): EffectOutcome<T>;
  log: Logger;
}

export interface ConsumerSpec {
  /** Names the durable queue (`<queuePrefix><name>`) and the idempotency ledger. */
  name: string;
  /** Binding patterns, without the topic prefix; `*` = one word, `#` = any number. */
  topics: string[];
  handle(message: BusMessage, ctx: HandlerContext): HandlerResult | Promise<HandlerResult>;
  prefetch?: number;
  /**
   * Messages published with `handledBy` naming this consumer never reach its queue. Its ledger
   * would drop them anyway; on RabbitMQ this spares the broker storing and delivering them.
   */
  skipHandled?: boolean;
}

/** A message on one of a consumer's topics: its body has the topic's type, narrowed by `topic`. */
export type MessageOn<T extends Topic> =
  T extends Topic<infer Name, infer Body>
    ? Omit<BusMessage, 'topic' | 'body'> & { topic: Name; body: Body }
    : never;

/** A consumer written against topic contracts rather than topic names. */
export interface TopicConsumerSpec<T extends Topic> extends Omit<ConsumerSpec, 'topics' | 'handle'> {
  topics: readonly T[];
  handle(message: MessageOn<T>, ctx: HandlerContext): HandlerResult | Promise<HandlerResult>;
}

/**
 * The one place a delivered body becomes its topic's type: both buses check every body against
 * the topic's schema before a handler sees it, and a body that fails is dead-lettered instead.
 */
export function topicConsumer<T extends Topic>(spec: TopicConsumerSpec<T>): ConsumerSpec {
  return {
    ...spec,
    topics: spec.topics.map((t) => t.name),
    handle: spec.handle as (
      message: BusMessage,
      ctx: HandlerContext,
    ) => HandlerResult | Promise<HandlerResult>,
  };
}

/**
 * The body of `message` as `topic`'s type, for subscribers (taps check no schema: use it for
 * messages Sluice itself published, which the outbox checked); refuses another topic's message.
 */
export function bodyOn<T extends Topic>(topic: T, message: BusMessage): BodyOf<T> {
  if (message.topic !== topic.name) throw new Error(`expected a ${topic.name} message, got ${message.topic}`);
  return message.body as BodyOf<T>;
}

export interface DeadLetter {
  /** What `replay` takes to name this entry. */
  id: string;
  queue: string;
  topic: string;
  messageId: string;
  reason: string;
  attempts: number;
  deadAt: string;
  headers: Record<string, HeaderValue>;
  /** The parsed body, or the raw text when it was not JSON. */
  body: unknown;
  /** Why the last replay left this letter here (its queue is unknown or gone); absent otherwise. */
  notReplayedReason?: string;
}

export interface ReplayFilter {
  /** Dead-letter ids (as listed) or message ids; empty or absent = every entry. */
  ids?: string[];
}

/** A dead letter a replay left in the dead-letter queue, and why. */
export interface NotReplayed {
  id: string;
  messageId: string;
  queue: string;
  topic: string;
  reason: string;
}

export interface ReplayOutcome {
  /** Letters put back on their queues (each at most once per replay). */
  replayed: number;
  /** Letters that matched but stay in the dead-letter queue, each with the reason. */
  notReplayed: NotReplayed[];
}

export interface BusHealth {
  ok: boolean;
  detail: string;
}

/** Told what the bus did, for metrics; both calls must be cheap and must not throw. */
export interface BusObserver {
  /** A delivery reached its disposition after `seconds` (parse, validation, handler, effect). */
  consumed(
    consumer: string,
    topic: string,
    outcome: 'ack' | 'duplicate' | 'retry' | 'dead-letter',
    seconds: number,
  ): void;
  /** The bus confirmed a message this process published. */
  published(topic: string): void;
}

export type SubscriptionHandler = (message: BusMessage) => void;

export interface Subscription {
  close(): Promise<void>;
}

/**
 * One interface, two implementations: RabbitMQ (AmqpBus) and the embedded in-process bus
 * (EmbeddedBus), with the same delivery semantics: durable queues, validated JSON bodies,
 * bounded retries with delay, a dead-letter queue with reasons, idempotent consumption.
 */
export interface Bus {
  readonly kind: 'embedded' | 'amqp';
  /** Registers a durable consumer; before `start` or after it. */
  consume(spec: ConsumerSpec): void;
  start(): Promise<void>;
  /** Validates, sends, and resolves only when the message is safely stored by the bus. */
  publish(topic: string, body: unknown, options?: PublishOptions): Promise<PublishReceipt>;
  /**
   * As publish, for a body that was validated against the topic's schema and serialized when it
   * was written (the outbox does both in the storing transaction): sent as it is, not checked again.
   */
  publishSerialized(
    topic: string,
    json: string,
    options: PublishOptions & { messageId: string },
  ): Promise<PublishReceipt>;
  /** A transient tap on matching topics (no queue survives it, no acks): `tail`, live views. */
  subscribe(patterns: string[], handler: SubscriptionHandler): Promise<Subscription>;
  listDeadLetters(limit?: number): Promise<DeadLetter[]>;
  /**
   * Puts the dead letters present when it starts (those matching `filter`) back on the queue they
   * came from with a fresh retry budget, each at most once: a letter that dies again while the
   * replay runs is not taken a second time. A letter whose queue is unknown or gone stays in the
   * dead-letter queue with `notReplayedReason` set, and is listed in the outcome.
   */
  replayDeadLetters(filter?: ReplayFilter): Promise<ReplayOutcome>;
  health(): BusHealth;
  /** Stops taking messages, lets in-flight handlers finish and ack, then closes. */
  stop(): Promise<void>;
}

/**
 * The headers that say which consumer of this deployment already handled a message
 * (PublishOptions.handledBy), naming its queue as both buses name queues: none when nobody did.
 */
export function handledByHeaders(
  queuePrefix: string,
  handledBy: string | undefined,
): Record<string, HeaderValue> {
  return handledBy ? { [HEADERS.handledBy]: queuePrefix + handledBy } : {};
}
