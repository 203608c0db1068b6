import { readFileSync } from 'node:fs';
import amqp, {
  type Channel,
  type ChannelModel,
  type ConfirmChannel,
  type ConsumeMessage,
  type GetMessage,
  type Options,
} from 'amqplib';
import type { RecoveringChannelModel } from 'amqplib';
import type { Logger } from 'pino';
import type { CompiledConfig } from '../config/config-types.js';
import type { Db } from '../db/open-database.js';
import { BusUnavailableError } from '../errors/bus-unavailable-error.js';
import { SluiceError } from '../errors/sluice-error.js';
import { jsonTooDeep } from '../schemas/json-depth.js';
import type { SchemaRegistry } from '../schemas/schema-registry.js';
import {
  HEADERS,
  handledByHeaders,
  type Bus,
  type BusHealth,
  type BusObserver,
  type ConsumerSpec,
  type DeadLetter,
  type HeaderValue,
  type PublishOptions,
  type PublishReceipt,
  type ReplayFilter,
  type ReplayOutcome,
  type Subscription,
  type SubscriptionHandler,
} from './bus.js';
import { AckBatcher } from './ack-batcher.js';
import { errorText } from '../errors/error-text.js';
import { MessageProcessor, type Disposition, type RawDelivery } from './message-processor.js';
import { publishProperties } from './publish-properties.js';
import { redactUrl } from './redact-url.js';
import { newMessageId } from '../schemas/message-id.js';
import { isWanted, refusalBeforeSending, replayHeaders, wantedIds } from './dead-letter-replay.js';

interface Consumer {
  spec: ConsumerSpec;
  queue: string;
  channel: Channel | undefined;
  tag: string | undefined;
  inFlight: number;
  pending: Array<{ acks: AckBatcher; msg: ConsumeMessage }>;
  flushScheduled: boolean;
  acks: AckBatcher | undefined;
}

interface Tap {
  patterns: string[];
  handler: SubscriptionHandler;
  channel: Channel | undefined;
}

/**
 * RabbitMQ through amqplib's opt-in connection recovery. Everything that lives on a channel —
 * topology, consumers, taps, the confirm channel for publishing — is (re)declared in `setup`,
 * which amqplib runs after every (re)connect; a channel that dies on its own closes the
 * connection, so that one recovery path handles every failure.
 */
export class AmqpBus implements Bus {
  readonly kind = 'amqp' as const;
  private readonly consumers: Consumer[] = [];
  private readonly taps = new Set<Tap>();
  /** Only a process that consumes needs the store (for the idempotency ledger). */
  private readonly processor: MessageProcessor | undefined;
  private connection: RecoveringChannelModel | undefined;
  private model: ChannelModel | undefined;
  private publisher: ConfirmChannel | undefined;
  private readonly publisherWaiters = new Set<() => void>();
  private readonly idle = new Set<() => void>();
  /** Channels closed on purpose (a subscription ended): their close is not a failure. */
  private readonly retired = new WeakSet<Channel>();
  private stopping = false;
  private lastError = 'not connected yet';
  private readonly safeUrl: string;
  /** Every prefix consumed under, longest first, so that a routing key loses the prefix it has. */
  private readonly prefixes: string[];

  constructor(
    private readonly registry: SchemaRegistry,
    private readonly config: CompiledConfig['bus'],
    private readonly log: Logger,
    db?: Db,
    private readonly observer?: BusObserver,
  ) {
    if (!config.url) throw new SluiceError('CONFIG_INVALID', 'the AMQP bus needs bus.url');
    this.safeUrl = redactUrl(config.url);
    this.prefixes = consumedPrefixes(config);
    this.processor = db ? new MessageProcessor(db, registry, config.retry, log, observer) : undefined;
  }

  consume(spec: ConsumerSpec): void {
    if (!this.processor)
      throw new SluiceError('BUS_NO_STORE', 'this bus was opened without a store and cannot consume');
    if (this.consumers.some((c) => c.spec.name === spec.name))
      throw new SluiceError('CONSUMER_DUPLICATE', `consumer "${spec.name}" is registered twice`);
    const consumer: Consumer = {
      spec,
      queue: this.config.queuePrefix + spec.name,
      channel: undefined,
      tag: undefined,
      inFlight: 0,
      pending: [],
      flushScheduled: false,
      acks: undefined,
    };
    this.consumers.push(consumer);
    if (this.model) void this.startConsumer(this.model, consumer).catch((err) => this.fail(this.model, err));
  }

  /** Resolves once connected, or after `connectTimeoutMs` with recovery still trying in the background. */
  async start(): Promise<void> {
    if (this.connection) return;
    const url = new URL(this.config.url!);
    if (!url.searchParams.has('heartbeat'))
      url.searchParams.set('heartbeat', String(this.config.heartbeatSeconds));
    const { password, socketOptions } = connectionSecrets(this.config);
    // Given as credentials, the password never becomes part of a URL that could be logged.
    if (password !== undefined)
      socketOptions.credentials = amqp.credentials.plain(
        decodeURIComponent(url.username) || 'guest',
        password,
      );
    const connection = await amqp.connect(url.toString(), {
      ...socketOptions,
      timeout: this.config.connectTimeoutMs,
      // A publish is one small frame set; with Nagle it can wait a delayed ACK (40 ms) behind an ack.
      noDelay: true,
      clientProperties: { connection_name: `sluice pid ${process.pid}` },
      recovery: {
        waitForConnect: false,
        initialDelay: this.config.reconnect.initialDelayMs,
        maxDelay: this.config.reconnect.maxDelayMs,
        maxRetries: Infinity,
        setup: (model: ChannelModel) => this.setup(model),
      },
    });
    this.connection = connection;
    connection.on('disconnect', (err: Error) => {
      this.lastError = `disconnected: ${err.message}`;
      this.model = undefined;
      this.publisher = undefined;
      for (const c of this.consumers) c.channel = undefined;
      if (!this.stopping)
        this.log.warn({ err: err.message, url: this.safeUrl }, 'broker connection lost; reconnecting');
    });
    connection.on('connect-failed', (err: Error) => {
      this.lastError = `cannot connect: ${err.message}`;
      this.log.warn({ err: err.message, url: this.safeUrl }, 'broker connection attempt failed');
    });
    connection.on('connect', () => this.log.info({ url: this.safeUrl }, 'connected to broker'));
    connection.on('error', (err: Error) => this.log.warn({ err: err.message }, 'broker connection error'));
    connection.on('handler-error', (err: Error, event: string) =>
      this.log.error({ err, event }, 'bus event handler threw'),
    );
    const timer = new Promise<'timeout'>((r) =>
      setTimeout(r, this.config.connectTimeoutMs, 'timeout').unref(),
    );
    if ((await Promise.race([connection.waitForConnect(), timer])) === 'timeout') {
      this.log.warn(
        { url: this.safeUrl, err: this.lastError },
        'broker not reachable yet; carrying on and retrying',
      );
    }
  }

  private async setup(model: ChannelModel): Promise<void> {
    const publisher = await model.createConfirmChannel();
    this.watch(model, publisher, 'publisher');
    if (this.config.exchange.startsWith('amq.')) await publisher.checkExchange(this.config.exchange);
    else await publisher.assertExchange(this.config.exchange, 'topic', { durable: true });
    await publisher.assertQueue(this.config.deadLetterQueue, { durable: true });
    for (const c of this.consumers) await this.startConsumer(model, c);
    for (const t of this.taps) await this.startTap(model, t);
    this.model = model;
    this.publisher = publisher;
    this.lastError = '';
    for (const wake of this.publisherWaiters) wake();
    this.publisherWaiters.clear();
  }

  private async startConsumer(model: ChannelModel, c: Consumer): Promise<void> {
    const ch = await model.createChannel();
    this.watch(model, ch, `consumer ${c.spec.name}`);
    await ch.prefetch(c.spec.prefetch ?? this.config.prefetch);
    await ch.assertQueue(c.queue, { durable: true });
    // Retries wait here for their per-message expiration, then dead-letter back to the queue.
    await ch.assertQueue(`${c.queue}.retry`, {
      durable: true,
      arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': c.queue },
    });
    if (c.spec.skipHandled) await this.bindSkippingHandled(ch, c);
    else
      for (const key of this.bindingKeys(c.spec.topics))
        await ch.bindQueue(c.queue, this.config.exchange, key);
    c.channel = ch;
    const acks = new AckBatcher(ch);
    c.acks = acks;
    if (this.stopping) return;
    const { consumerTag } = await ch.consume(c.queue, (msg) => this.onDelivery(model, c, acks, msg), {
      noAck: false,
    });
    c.tag = consumerTag;
  }

  /**
   * Binds the consumer's topics through a filter that drops what was published as already
   * handled by it: the exchange routes them to a headers exchange, whose one binding catches
   * messages naming this queue in the handled-by header and leads to a fanout exchange bound to
   * nothing; everything else matches no binding and goes on to the queue through the headers
   * exchange's alternate exchange. The broker stores and delivers only what the consumer needs.
   */
  private async bindSkippingHandled(ch: Channel, c: Consumer): Promise<void> {
    const filter = `${c.queue}.filter`;
    const handled = `${c.queue}.handled`;
    const unhandled = `${c.queue}.unhandled`;
    await ch.assertExchange(handled, 'fanout', { durable: true });
    await ch.assertExchange(unhandled, 'fanout', { durable: true });
    await ch.assertExchange(filter, 'headers', { durable: true, alternateExchange: unhandled });
    await ch.bindQueue(c.queue, unhandled, '');
    await ch.bindExchange(handled, filter, '', { 'x-match': 'all', [HEADERS.handledBy]: c.queue });
    for (const key of this.bindingKeys(c.spec.topics)) {
      await ch.bindExchange(filter, this.config.exchange, key);
      // A queue a version without the filter bound directly would still get every message.
      await ch.unbindQueue(c.queue, this.config.exchange, key);
    }
  }

  private async startTap(model: ChannelModel, t: Tap): Promise<void> {
    const ch = await model.createChannel();
    this.watch(model, ch, 'subscription');
    const { queue } = await ch.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
    for (const key of this.bindingKeys(t.patterns)) await ch.bindQueue(queue, this.config.exchange, key);
    await ch.consume(
      queue,
      (msg) => {
        if (!msg) return;
        const headers = (msg.properties.headers ?? {}) as Record<string, HeaderValue>;
        try {
          t.handler({
            messageId: String(msg.properties.messageId ?? ''),
            ...this.routeOf(msg),
            body: parseBody(msg.content),
            headers,
            attempt: 1,
          });
        } catch (err) {
          this.log.error({ err }, 'subscriber threw');
        }
      },
      { noAck: true },
    );
    t.channel = ch;
  }

  /** A channel that closes while its connection lives would silently stop work: recover the whole connection. */
  private watch(model: ChannelModel, ch: Channel, what: string): void {
    ch.on('error', (err: Error) => this.log.warn({ err: err.message, channel: what }, 'channel error'));
    ch.on('close', () => {
      if (!this.stopping && !this.retired.has(ch) && this.model === model)
        this.fail(model, new Error(`${what} channel closed`));
    });
  }

  private fail(model: ChannelModel | undefined, err: unknown): void {
    this.log.warn({ err: errorText(err) }, 'forcing broker reconnect');
    if (model) void model.close().catch(() => undefined);
  }

  /** Each pattern under each prefix consumed. */
  private bindingKeys(patterns: string[]): string[] {
    return this.prefixes.flatMap((prefix) => patterns.map((p) => prefix + p));
  }

  private topicOf(msg: ConsumeMessage | GetMessage): string {
    return this.routeOf(msg).topic;
  }

  /** The topic without its prefix, and the prefix; a retried message carries both in headers. */
  private routeOf(msg: ConsumeMessage | GetMessage): { topic: string; topicPrefix: string } {
    const headers = msg.properties.headers ?? {};
    const fromHeader = headers[HEADERS.topic];
    if (typeof fromHeader === 'string' && fromHeader) {
      const prefix = headers[HEADERS.topicPrefix];
      return {
        topic: fromHeader,
        topicPrefix: typeof prefix === 'string' ? prefix : this.config.topicPrefix,
      };
    }
    const rk = msg.fields.routingKey;
    const prefix = this.prefixes.find((p) => rk.startsWith(p)) ?? '';
    return { topic: rk.slice(prefix.length), topicPrefix: prefix };
  }

  private onDelivery(model: ChannelModel, c: Consumer, acks: AckBatcher, msg: ConsumeMessage | null): void {
    if (!msg) {
      // The broker cancelled us (queue deleted, node failover): redeclare everything.
      if (!this.stopping) this.fail(model, new Error(`consumer ${c.spec.name} cancelled by the broker`));
      return;
    }
    c.inFlight++;
    acks.delivered(msg);
    c.pending.push({ acks, msg });
    this.scheduleFlush(c);
  }

  private scheduleFlush(c: Consumer): void {
    if (c.flushScheduled) return;
    c.flushScheduled = true;
    setImmediate(() => {
      c.flushScheduled = false;
      this.flush(c);
    });
  }

  /**
   * Handles what arrived since the last flush as one batch: every synchronous handler's effect
   * is a savepoint in one store transaction (group commit), and acks go out only after it
   * committed. The transaction never spans an `await`, so nothing else joins it.
   */
  private flush(c: Consumer): void {
    const batch = c.pending.splice(0, consumerBatchSize(c.spec.prefetch ?? this.config.prefetch));
    if (c.pending.length > 0) this.scheduleFlush(c);
    const deliveries = batch.map(({ msg }) => this.rawDelivery(msg));
    let outcomes: Array<Disposition | Promise<Disposition>>;
    try {
      outcomes = this.processor!.inBatch(() => deliveries.map((d) => this.processor!.process(c.spec, d)));
    } catch (err) {
      // Nothing of the batch was stored: hand every message back for redelivery.
      this.log.error({ err: errorText(err), consumer: c.spec.name }, 'batch not stored; requeueing');
      for (const { acks, msg } of batch) this.release(c, () => acks.nack(msg, true));
      return;
    }
    batch.forEach(({ acks, msg }, i) => {
      const outcome = outcomes[i]!;
      // The common case, settled at once: no promise chain per message.
      if (!('then' in outcome) && outcome.action === 'ack') {
        this.release(c, () => acks.ack(msg));
        return;
      }
      void Promise.resolve(outcome)
        .then((d) => this.settle(c, acks, msg, deliveries[i]!, d))
        .catch((err) => {
          // Most likely the channel went away mid-way: the broker redelivers, the ledger drops the repeat.
          this.log.warn(
            { err: errorText(err), consumer: c.spec.name },
            'delivery not settled; it will be redelivered',
          );
        })
        .finally(() => this.release(c));
    });
  }

  private rawDelivery(msg: ConsumeMessage): RawDelivery {
    const headers = { ...(msg.properties.headers ?? {}) } as Record<string, HeaderValue>;
    return {
      messageId: msg.properties.messageId ? String(msg.properties.messageId) : undefined,
      ...this.routeOf(msg),
      content: msg.content,
      headers,
      attempt: Number(headers[HEADERS.attempt] ?? 1) || 1,
    };
  }

  private release(c: Consumer, action?: () => void): void {
    try {
      action?.();
    } catch {
      // the channel is gone; the broker redelivers
    }
    c.inFlight--;
    for (const wake of this.idle) wake();
    this.idle.clear();
  }

  private async settle(
    c: Consumer,
    acks: AckBatcher,
    msg: ConsumeMessage,
    delivery: RawDelivery,
    d: Disposition,
  ): Promise<void> {
    const { topic, headers } = delivery;
    const route = {
      [HEADERS.topic]: topic,
      [HEADERS.topicPrefix]: delivery.topicPrefix ?? this.config.topicPrefix,
    };
    if (d.action === 'ack') {
      acks.ack(msg);
      return;
    }
    const base: Options.Publish = {
      persistent: true,
      contentType: msg.properties.contentType ?? 'application/json',
      messageId: msg.properties.messageId,
      timestamp: msg.properties.timestamp,
    };
    if (d.action === 'retry') {
      await this.confirmSend('', `${c.queue}.retry`, msg.content, {
        ...base,
        expiration: String(d.delayMs),
        headers: { ...headers, ...route, [HEADERS.attempt]: d.nextAttempt, [HEADERS.reason]: d.reason },
      });
    } else {
      this.log.warn(
        { queue: c.queue, messageId: msg.properties.messageId, topic, reason: d.reason },
        'message dead-lettered',
      );
      await this.confirmSend('', this.config.deadLetterQueue, msg.content, {
        ...base,
        headers: {
          ...headers,
          ...route,
          [HEADERS.queue]: c.queue,
          [HEADERS.reason]: d.reason,
          [HEADERS.attempt]: Number(headers[HEADERS.attempt] ?? 1) || 1,
          [HEADERS.deadAt]: new Date().toISOString(),
        },
      });
    }
    // Only once the copy is confirmed: a crash in between redelivers, never loses.
    acks.ack(msg);
  }

  async publish(topic: string, body: unknown, options: PublishOptions = {}): Promise<PublishReceipt> {
    if (this.stopping) throw new SluiceError('BUS_STOPPED', 'the bus is stopping; publish refused');
    const schemaId = this.registry.validate(topic, body);
    return this.send(topic, JSON.stringify(body), schemaId, options.messageId ?? newMessageId(), options);
  }

  publishSerialized(
    topic: string,
    json: string,
    options: PublishOptions & { messageId: string },
  ): Promise<PublishReceipt> {
    if (this.stopping)
      return Promise.reject(new SluiceError('BUS_STOPPED', 'the bus is stopping; publish refused'));
    return this.send(topic, json, this.registry.schemaIdOf(topic), options.messageId, options);
  }

  private async send(
    topic: string,
    json: string,
    schemaId: string,
    messageId: string,
    options: PublishOptions,
  ): Promise<PublishReceipt> {
    const routingKey = this.config.topicPrefix + topic;
    // publishProperties copies the headers it is given: merged here only when there is something to add.
    const headers = options.handledBy
      ? { ...options.headers, ...handledByHeaders(this.config.queuePrefix, options.handledBy) }
      : options.headers;
    await this.confirmSend(
      this.config.exchange,
      routingKey,
      Buffer.from(json),
      publishProperties(topic, messageId, schemaId, headers),
    );
    this.observer?.published(topic);
    return { messageId, topic, routingKey, schemaId };
  }

  /**
   * Resolves on the broker's ack; rejects with BusUnavailableError on a nack, a closed channel, no
   * connection within confirmTimeoutMs, or no confirm within confirmTimeoutMs of sending.
   */
  private async confirmSend(
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: Options.Publish,
  ): Promise<void> {
    const unavailable = (why: string, cause?: unknown) =>
      new BusUnavailableError(
        `publish to ${exchange || '(default exchange)'} "${routingKey}" not confirmed by ${this.safeUrl}: ${why}`,
        { cause },
      );
    const ch = await this.publisherBefore(Date.now() + this.config.confirmTimeoutMs);
    if (!ch)
      throw unavailable(
        `no broker connection within ${this.config.confirmTimeoutMs} ms (${this.lastError || 'connecting'})`,
      );
    await new Promise<void>((resolve, reject) => {
      // A sent message gets the whole timeout for its confirm, however long it waited for the
      // connection: one given up on early is usually routed all the same, and the caller (the
      // outbox relay) would send it again, so that every subscriber got it twice.
      const timer = setTimeout(
        () => reject(unavailable(`no confirm within ${this.config.confirmTimeoutMs} ms`)),
        this.config.confirmTimeoutMs,
      );
      try {
        ch.publish(exchange, routingKey, content, options, (err) => {
          clearTimeout(timer);
          if (err) reject(unavailable(errorText(err) || 'negatively acknowledged', err));
          else resolve();
        });
      } catch (err) {
        clearTimeout(timer);
        reject(unavailable(errorText(err), err));
      }
    });
  }

  private async publisherBefore(deadline: number): Promise<ConfirmChannel | undefined> {
    while (!this.publisher) {
      const left = deadline - Date.now();
      if (left <= 0 || this.stopping) return undefined;
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          this.publisherWaiters.delete(wake);
          resolve();
        }, left);
        this.publisherWaiters.add(wake);
      });
    }
    return this.publisher;
  }

  async subscribe(patterns: string[], handler: SubscriptionHandler): Promise<Subscription> {
    const tap: Tap = { patterns, handler, channel: undefined };
    this.taps.add(tap);
    if (this.model) await this.startTap(this.model, tap);
    return {
      close: async () => {
        this.taps.delete(tap);
        const ch = tap.channel;
        tap.channel = undefined;
        if (ch) {
          this.retired.add(ch);
          await this.bounded(ch.close(), 'closing a subscription channel');
        }
      },
    };
  }

  async listDeadLetters(limit = 1000): Promise<DeadLetter[]> {
    const ch = await this.browseChannel();
    try {
      const out: DeadLetter[] = [];
      while (out.length < limit) {
        const msg = await ch.get(this.config.deadLetterQueue, { noAck: false });
        if (!msg) break;
        out.push(this.toDeadLetter(msg));
      }
      return out;
    } finally {
      // Closing without acking puts every browsed message back, in its place.
      await ch.close().catch(() => undefined);
    }
  }

  /**
   * Takes as many letters as the dead-letter queue held when it started: copies that die again
   * while this runs (a body that can never be handled comes straight back) join the queue's tail,
   * past them, so the replay ends and puts each letter back at most once. Each goes back as a
   * mandatory publish on a confirm channel of its own: a queue that does not exist (any more)
   * returns the message before the confirm, and the letter stays, with the reason.
   */
  async replayDeadLetters(filter: ReplayFilter = {}): Promise<ReplayOutcome> {
    const wanted = wantedIds(filter.ids);
    const dlq = this.config.deadLetterQueue;
    const ch = await this.deadLetterChannel((c) => c.createConfirmChannel(), 'dead-letter replay');
    const outcome: ReplayOutcome = { replayed: 0, notReplayed: [] };
    try {
      const { messageCount } = await ch.assertQueue(dlq, { durable: true });
      for (let taken = 0; taken < messageCount; taken++) {
        const msg = await ch.get(dlq, { noAck: false });
        if (!msg) break;
        const letter = this.toDeadLetter(msg);
        // Not wanted: held unacked until the channel closes, which puts it back in its place.
        if (!isWanted(wanted, letter.id, letter.messageId)) continue;
        const headers = replayHeaders((msg.properties.headers ?? {}) as Record<string, HeaderValue>);
        headers[HEADERS.topic] = letter.topic;
        const refusal =
          refusalBeforeSending(letter.queue, dlq) ??
          (await this.sendMandatory(ch, letter.queue, msg.content, { ...keptProperties(msg), headers }));
        if (refusal) {
          // A fresh copy carrying the reason, confirmed before the original goes: a crash in
          // between leaves two copies, never none.
          const lost = await this.sendMandatory(ch, dlq, msg.content, {
            ...keptProperties(msg),
            headers: { ...msg.properties.headers, [HEADERS.notReplayed]: refusal },
          });
          if (lost)
            throw new BusUnavailableError(
              `dead letter ${letter.id} could not be kept (${lost}); it stays as it was`,
            );
          outcome.notReplayed.push({
            id: letter.id,
            messageId: letter.messageId,
            queue: letter.queue,
            topic: letter.topic,
            reason: refusal,
          });
        } else {
          outcome.replayed++;
        }
        ch.ack(msg);
      }
      if (outcome.notReplayed.length)
        this.log.warn({ notReplayed: outcome.notReplayed }, 'dead letters not replayed');
      return outcome;
    } finally {
      await this.bounded(ch.close(), 'closing the dead-letter replay channel');
    }
  }

  /**
   * Publishes to `queue` through the default exchange as mandatory and waits for the confirm:
   * undefined once the broker stored it in the queue, the reason when the broker returned it
   * (no such queue). RabbitMQ sends basic.return for an unroutable mandatory message before its
   * basic.ack (https://www.rabbitmq.com/docs/confirms, "when will messages be confirmed"), and
   * callers publish one message at a time on `ch`, so a return seen before the confirm is this
   * message's.
   */
  private async sendMandatory(
    ch: ConfirmChannel,
    queue: string,
    content: Buffer,
    options: Options.Publish,
  ): Promise<string | undefined> {
    let returned: string | undefined;
    const onReturn = (msg: { fields: { replyCode?: number; replyText?: string } }) => {
      returned = `queue "${queue}" does not exist on the broker (${msg.fields.replyCode ?? '?'} ${msg.fields.replyText ?? 'returned'})`;
    };
    ch.on('return', onReturn);
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new BusUnavailableError(
                `replay to "${queue}" not confirmed by ${this.safeUrl} within ${this.config.confirmTimeoutMs} ms`,
              ),
            ),
          this.config.confirmTimeoutMs,
        );
        try {
          ch.publish('', queue, content, { ...options, mandatory: true }, (err) => {
            clearTimeout(timer);
            if (err)
              reject(
                new BusUnavailableError(
                  `replay to "${queue}" not confirmed by ${this.safeUrl}: ${errorText(err) || 'negatively acknowledged'}`,
                  { cause: err },
                ),
              );
            else resolve();
          });
        } catch (err) {
          clearTimeout(timer);
          reject(new BusUnavailableError(`replay to "${queue}" not sent: ${errorText(err)}`, { cause: err }));
        }
      });
      return returned;
    } finally {
      ch.off('return', onReturn);
    }
  }

  private async browseChannel(): Promise<Channel> {
    const ch = await this.deadLetterChannel((c) => c.createChannel(), 'dead-letter');
    try {
      await ch.assertQueue(this.config.deadLetterQueue, { durable: true });
    } catch (err) {
      await ch.close().catch(() => undefined);
      throw err;
    }
    return ch;
  }

  /**
   * A channel for the dead-letter queue, or BusUnavailableError after confirmTimeoutMs without a
   * connection. amqplib would wait for one without limit, and the replay would then run after
   * whoever asked had been told it failed; a channel that opens that late is closed unused.
   */
  private async deadLetterChannel<C extends Channel>(
    open: (connection: RecoveringChannelModel) => Promise<C>,
    what: string,
  ): Promise<C> {
    if (!this.connection) throw new BusUnavailableError('the bus is not started');
    const opening = open(this.connection);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>(
      (r) => (timer = setTimeout(r, this.config.confirmTimeoutMs, 'timeout')),
    );
    const first = await Promise.race([opening, timedOut]).finally(() => clearTimeout(timer));
    if (first === 'timeout') {
      void opening
        .then((ch) => {
          ch.on('error', () => undefined);
          return ch.close();
        })
        .catch(() => undefined);
      throw new BusUnavailableError(
        `no connection to ${this.safeUrl} within ${this.config.confirmTimeoutMs} ms (${this.lastError || 'connecting'})`,
      );
    }
    first.on('error', (err: Error) => this.log.warn({ err: err.message }, `${what} channel error`));
    return first;
  }

  private toDeadLetter(msg: GetMessage): DeadLetter {
    const h = (msg.properties.headers ?? {}) as Record<string, HeaderValue>;
    const messageId = String(msg.properties.messageId ?? '');
    const queue = String(h[HEADERS.queue] ?? '');
    return {
      id: `${messageId}@${queue}`,
      queue,
      topic: this.topicOf(msg),
      messageId,
      reason: String(h[HEADERS.reason] ?? 'unknown'),
      attempts: Number(h[HEADERS.attempt] ?? 1),
      deadAt: String(h[HEADERS.deadAt] ?? ''),
      headers: h,
      body: parseBody(msg.content),
      ...(typeof h[HEADERS.notReplayed] === 'string'
        ? { notReplayedReason: h[HEADERS.notReplayed] as string }
        : {}),
    };
  }

  /**
   * amqplib waits for the broker's close-ok with no time limit; a broker that never answers
   * (going down, or a close that crossed another) must not keep Sluice from stopping.
   */
  private async bounded(closing: Promise<unknown>, what: string): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((r) => (timer = setTimeout(r, CLOSE_TIMEOUT_MS, 'timeout')));
    const outcome = await Promise.race([
      closing.then(
        () => 'done' as const,
        () => 'done' as const,
      ),
      timedOut,
    ]);
    clearTimeout(timer);
    if (outcome === 'timeout')
      this.log.warn({ what, ms: CLOSE_TIMEOUT_MS }, 'no answer from the broker; going on without it');
  }

  health(): BusHealth {
    if (this.stopping) return { ok: false, detail: 'stopping' };
    return this.publisher
      ? { ok: true, detail: `connected to ${this.safeUrl}` }
      : { ok: false, detail: `${this.safeUrl}: ${this.lastError || 'connecting'}` };
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const c of this.consumers) {
      if (c.channel && c.tag) await c.channel.cancel(c.tag).catch(() => undefined);
    }
    const deadline = Date.now() + 30_000;
    while (this.consumers.some((c) => c.inFlight > 0) && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        this.idle.add(resolve);
        setTimeout(resolve, 100).unref();
      });
    }
    for (const c of this.consumers) {
      c.acks?.flush();
      // amqplib multiplexes channel frames lazily; closing each channel (and awaiting close-ok)
      // makes sure its last acks reach the broker before the connection goes.
      if (c.channel) await this.bounded(c.channel.close(), `closing consumer ${c.spec.name}'s channel`);
    }
    for (const wake of this.publisherWaiters) wake();
    if (this.connection) await this.bounded(this.connection.close(), 'closing the broker connection');
  }
}

/**
 * The prefixes a consumer binds under: the one Sluice publishes under, and any more configured
 * (Fedora CI's results come under both org.fedoraproject.prod. and org.centos.prod.), longest first.
 */
export function consumedPrefixes(
  config: Pick<CompiledConfig['bus'], 'topicPrefix' | 'consumePrefixes'>,
): string[] {
  return [...new Set([config.topicPrefix, ...config.consumePrefixes])].sort((a, b) => b.length - a.length);
}

/**
 * Deliveries handled in one store transaction. Bounded: a batch's acks go out while the rest of
 * the prefetch window is still being handled, so the broker keeps delivering instead of waiting
 * for one big commit.
 */
export function consumerBatchSize(prefetch: number): number {
  return Math.max(1, Math.ceil(prefetch / 4));
}

const CLOSE_TIMEOUT_MS = 2000;

/**
 * The broker password (from bus.passwordFile) and TLS socket options (from bus.tls), read when
 * connecting so that a rotated file takes effect at the next start. amqplib hands the options to
 * tls.connect for an amqps:// URL. A file that cannot be read is a configuration error naming the
 * setting and the file, never its contents.
 */
export function connectionSecrets(config: CompiledConfig['bus']): {
  password: string | undefined;
  socketOptions: Record<string, unknown>;
} {
  const read = (setting: string, file: string | null, trim = false): string | Buffer | undefined => {
    if (file === null) return undefined;
    try {
      const content = readFileSync(file);
      return trim ? content.toString('utf8').replace(/[\r\n]+$/, '') : content;
    } catch (err) {
      throw new SluiceError(
        'CONFIG_INVALID',
        `${setting}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? errorText(err)}`,
      );
    }
  };
  const tls = config.tls;
  const socketOptions: Record<string, unknown> = {};
  const ca = read('bus.tls.caFile', tls.caFile);
  const cert = read('bus.tls.certFile', tls.certFile);
  const key = read('bus.tls.keyFile', tls.keyFile);
  const passphrase = read('bus.tls.passphraseFile', tls.passphraseFile, true);
  if (ca) socketOptions.ca = [ca];
  if (cert) socketOptions.cert = cert;
  if (key) socketOptions.key = key;
  if (passphrase !== undefined) socketOptions.passphrase = passphrase;
  if (tls.servername) socketOptions.servername = tls.servername;
  if (!tls.rejectUnauthorized) socketOptions.rejectUnauthorized = false;
  const password = read('bus.passwordFile', config.passwordFile, true);
  return { password: password === undefined ? undefined : String(password), socketOptions };
}

/**
 * The properties a dead letter keeps when it is sent again. Not user-id (the broker refuses one
 * that is not this connection's user, closing the channel) and not expiration (the letter must
 * not expire on its way).
 */
function keptProperties(msg: GetMessage): Options.Publish {
  const p = msg.properties;
  return {
    persistent: true,
    contentType: p.contentType ?? 'application/json',
    ...(p.contentEncoding ? { contentEncoding: p.contentEncoding } : {}),
    ...(p.messageId !== undefined ? { messageId: p.messageId } : {}),
    ...(p.timestamp !== undefined ? { timestamp: p.timestamp } : {}),
    ...(p.correlationId !== undefined ? { correlationId: p.correlationId } : {}),
    ...(p.type !== undefined ? { type: p.type } : {}),
    ...(p.appId !== undefined ? { appId: p.appId } : {}),
    ...(p.priority !== undefined ? { priority: p.priority } : {}),
  };
}

function parseBody(content: Buffer): unknown {
  const text = content.toString('utf8');
  // Too deep to answer as JSON (JSON.stringify recurses): kept as text, like one that is not JSON.
  if (jsonTooDeep(text)) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
