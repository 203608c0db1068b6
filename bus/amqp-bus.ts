import { readFileSync } from 'node:fs';
import amqp, { type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage, type GetMessage, type Options } from 'amqplib';
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
  type Subscription,
  type SubscriptionHandler,
} from './bus.js';
import { AckBatcher } from './ack-batcher.js';
import { MessageProcessor, errorText, type Disposition, type RawDelivery } from './message-processor.js';
import { publishProperties } from './publish-properties.js';
import { redactUrl } from './redact-url.js';
import { newMessageId } from './message-id.js';

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

  constructor(
    private readonly registry: SchemaRegistry,
    private readonly config: CompiledConfig['bus'],
    private readonly log: Logger,
    db?: Db,
    private readonly observer?: BusObserver,
  ) {
    if (!config.url) throw new SluiceError('CONFIG_INVALID', 'the AMQP bus needs bus.url');
    this.safeUrl = redactUrl(config.url);
    this.processor = db ? new MessageProcessor(db, registry, config.retry, log, observer) : undefined;
  }

  consume(spec: ConsumerSpec): void {
    if (!this.processor) throw new SluiceError('BUS_NO_STORE', 'this bus was opened without a store and cannot consume');
    if (this.consumers.some((c) => c.spec.name === spec.name)) throw new SluiceError('CONSUMER_DUPLICATE', `consumer "${spec.name}" is registered twice`);
    const consumer: Consumer = { spec, queue: this.config.queuePrefix + spec.name, channel: undefined, tag: undefined, inFlight: 0, pending: [], flushScheduled: false, acks: undefined };
    this.consumers.push(consumer);
    if (this.model) void this.startConsumer(this.model, consumer).catch((err) => this.fail(this.model, err));
  }

  /** Resolves once connected, or after `connectTimeoutMs` with recovery still trying in the background. */
  async start(): Promise<void> {
    if (this.connection) return;
    const url = new URL(this.config.url!);
    if (!url.searchParams.has('heartbeat')) url.searchParams.set('heartbeat', String(this.config.heartbeatSeconds));
    const { password, socketOptions } = connectionSecrets(this.config);
    // Given as credentials, the password never becomes part of a URL that could be logged.
    if (password !== undefined) socketOptions.credentials = amqp.credentials.plain(decodeURIComponent(url.username) || 'guest', password);
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
      if (!this.stopping) this.log.warn({ err: err.message, url: this.safeUrl }, 'broker connection lost; reconnecting');
    });
    connection.on('connect-failed', (err: Error) => {
      this.lastError = `cannot connect: ${err.message}`;
      this.log.warn({ err: err.message, url: this.safeUrl }, 'broker connection attempt failed');
    });
    connection.on('connect', () => this.log.info({ url: this.safeUrl }, 'connected to broker'));
    connection.on('error', (err: Error) => this.log.warn({ err: err.message }, 'broker connection error'));
    connection.on('handler-error', (err: Error, event: string) => this.log.error({ err, event }, 'bus event handler threw'));
    const timer = new Promise<'timeout'>((r) => setTimeout(r, this.config.connectTimeoutMs, 'timeout').unref());
    if ((await Promise.race([connection.waitForConnect(), timer])) === 'timeout') {
      this.log.warn({ url: this.safeUrl, err: this.lastError }, 'broker not reachable yet; carrying on and retrying');
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
    await ch.assertQueue(`${c.queue}.retry`, { durable: true, arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': c.queue } });
    if (c.spec.skipHandled) await this.bindSkippingHandled(ch, c);
    else for (const topic of c.spec.topics) await ch.bindQueue(c.queue, this.config.exchange, this.config.topicPrefix + topic);
    c.channel = ch;
    const acks = new AckBatcher(ch);
    c.acks = acks;
    if (this.stopping) return;
    const { consumerTag } = await ch.consume(c.queue, (msg) => this.onDelivery(model, c, acks, msg), { noAck: false });
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
    for (const topic of c.spec.topics) {
      await ch.bindExchange(filter, this.config.exchange, this.config.topicPrefix + topic);
      // A queue a version without the filter bound directly would still get every message.
      await ch.unbindQueue(c.queue, this.config.exchange, this.config.topicPrefix + topic);
    }
  }

  private async startTap(model: ChannelModel, t: Tap): Promise<void> {
    const ch = await model.createChannel();
    this.watch(model, ch, 'subscription');
    const { queue } = await ch.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
    for (const p of t.patterns) await ch.bindQueue(queue, this.config.exchange, this.config.topicPrefix + p);
    await ch.consume(
      queue,
      (msg) => {
        if (!msg) return;
        const headers = (msg.properties.headers ?? {}) as Record<string, HeaderValue>;
        try {
          t.handler({ messageId: String(msg.properties.messageId ?? ''), topic: this.topicOf(msg), body: parseBody(msg.content), headers, attempt: 1 });
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
      if (!this.stopping && !this.retired.has(ch) && this.model === model) this.fail(model, new Error(`${what} channel closed`));
    });
  }

  private fail(model: ChannelModel | undefined, err: unknown): void {
    this.log.warn({ err: errorText(err) }, 'forcing broker reconnect');
    if (model) void model.close().catch(() => undefined);
  }

  private topicOf(msg: ConsumeMessage | GetMessage): string {
    const fromHeader = msg.properties.headers?.[HEADERS.topic];
    if (typeof fromHeader === 'string' && fromHeader) return fromHeader;
    const rk = msg.fields.routingKey;
    return this.config.topicPrefix && rk.startsWith(this.config.topicPrefix) ? rk.slice(this.config.topicPrefix.length) : rk;
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
      const topic = deliveries[i]!.topic;
      const outcome = outcomes[i]!;
      // The common case, settled at once: no promise chain per message.
      if (!('then' in outcome) && outcome.action === 'ack') return this.release(c, () => acks.ack(msg));
      void Promise.resolve(outcome)
        .then((d) => this.settle(c, acks, msg, topic, deliveries[i]!.headers, d))
        .catch((err) => {
          // Most likely the channel went away mid-way: the broker redelivers, the ledger drops the repeat.
          this.log.warn({ err: errorText(err), consumer: c.spec.name }, 'delivery not settled; it will be redelivered');
        })
        .finally(() => this.release(c));
    });
  }

  private rawDelivery(msg: ConsumeMessage): RawDelivery {
    const headers = { ...(msg.properties.headers ?? {}) } as Record<string, HeaderValue>;
    return {
      messageId: msg.properties.messageId ? String(msg.properties.messageId) : undefined,
      topic: this.topicOf(msg),
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

  private async settle(c: Consumer, acks: AckBatcher, msg: ConsumeMessage, topic: string, headers: Record<string, HeaderValue>, d: Disposition): Promise<void> {
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
        headers: { ...headers, [HEADERS.topic]: topic, [HEADERS.attempt]: d.nextAttempt, [HEADERS.reason]: d.reason },
      });
    } else {
      this.log.warn({ queue: c.queue, messageId: msg.properties.messageId, topic, reason: d.reason }, 'message dead-lettered');
      await this.confirmSend('', this.config.deadLetterQueue, msg.content, {
        ...base,
        headers: {
          ...headers,
          [HEADERS.topic]: topic,
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

  publishSerialized(topic: string, json: string, options: PublishOptions & { messageId: string }): Promise<PublishReceipt> {
    if (this.stopping) return Promise.reject(new SluiceError('BUS_STOPPED', 'the bus is stopping; publish refused'));
    return this.send(topic, json, this.registry.schemaIdOf(topic), options.messageId, options);
  }

  private async send(topic: string, json: string, schemaId: string, messageId: string, options: PublishOptions): Promise<PublishReceipt> {
    const routingKey = this.config.topicPrefix + topic;
    const headers = { ...options.headers, ...handledByHeaders(this.config.queuePrefix, options.handledBy) };
    await this.confirmSend(this.config.exchange, routingKey, Buffer.from(json), publishProperties(messageId, schemaId, headers));
    this.observer?.published(topic);
    return { messageId, topic, routingKey, schemaId };
  }

  /**
   * Resolves on the broker's ack; rejects with BusUnavailableError on a nack, a closed channel, no
   * connection within confirmTimeoutMs, or no confirm within confirmTimeoutMs of sending.
   */
  private async confirmSend(exchange: string, routingKey: string, content: Buffer, options: Options.Publish): Promise<void> {
    const unavailable = (why: string, cause?: unknown) =>
      new BusUnavailableError(`publish to ${exchange || '(default exchange)'} "${routingKey}" not confirmed by ${this.safeUrl}: ${why}`, { cause });
    const ch = await this.publisherBefore(Date.now() + this.config.confirmTimeoutMs);
    if (!ch) throw unavailable(`no broker connection within ${this.config.confirmTimeoutMs} ms (${this.lastError || 'connecting'})`);
    await new Promise<void>((resolve, reject) => {
      // A sent message gets the whole timeout for its confirm, however long it waited for the
      // connection: one given up on early is usually routed all the same, and the caller (the
      // outbox relay) would send it again, so that every subscriber got it twice.
      const timer = setTimeout(() => reject(unavailable(`no confirm within ${this.config.confirmTimeoutMs} ms`)), this.config.confirmTimeoutMs);
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

  async replayDeadLetters(filter: ReplayFilter = {}): Promise<number> {
    const wanted = filter.ids?.length ? new Set(filter.ids) : undefined;
    const ch = await this.browseChannel();
    let replayed = 0;
    try {
      for (;;) {
        const msg = await ch.get(this.config.deadLetterQueue, { noAck: false });
        if (!msg) break;
        const letter = this.toDeadLetter(msg);
        if (wanted && !wanted.has(letter.id) && !wanted.has(letter.messageId)) continue;
        const headers = { ...(msg.properties.headers ?? {}) } as Record<string, HeaderValue>;
        for (const h of [HEADERS.reason, HEADERS.deadAt, HEADERS.attempt, HEADERS.queue]) delete headers[h];
        headers[HEADERS.topic] = letter.topic;
        await this.confirmSend('', letter.queue, msg.content, {
          persistent: true,
          contentType: msg.properties.contentType ?? 'application/json',
          messageId: msg.properties.messageId,
          timestamp: msg.properties.timestamp,
          headers,
        });
        ch.ack(msg);
        replayed++;
      }
      return replayed;
    } finally {
      await ch.close().catch(() => undefined);
    }
  }

  private async browseChannel(): Promise<Channel> {
    if (!this.connection) throw new BusUnavailableError('the bus is not started');
    const ch = await this.connection.createChannel();
    ch.on('error', (err: Error) => this.log.warn({ err: err.message }, 'dead-letter channel error'));
    await ch.assertQueue(this.config.deadLetterQueue, { durable: true });
    return ch;
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
    };
  }

  /**
   * amqplib waits for the broker's close-ok with no time limit; a broker that never answers
   * (going down, or a close that crossed another) must not keep Sluice from stopping.
   */
  private async bounded(closing: Promise<unknown>, what: string): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((r) => (timer = setTimeout(r, CLOSE_TIMEOUT_MS, 'timeout')));
    const outcome = await Promise.race([closing.then(() => 'done' as const, () => 'done' as const), timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') this.log.warn({ what, ms: CLOSE_TIMEOUT_MS }, 'no answer from the broker; going on without it');
  }

  health(): BusHealth {
    if (this.stopping) return { ok: false, detail: 'stopping' };
    return this.publisher ? { ok: true, detail: `connected to ${this.safeUrl}` } : { ok: false, detail: `${this.safeUrl}: ${this.lastError || 'connecting'}` };
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
export function connectionSecrets(config: CompiledConfig['bus']): { password: string | undefined; socketOptions: Record<string, unknown> } {
  const read = (setting: string, file: string | null, trim = false): string | Buffer | undefined => {
    if (file === null) return undefined;
    try {
      const content = readFileSync(file);
      return trim ? content.toString('utf8').replace(/[\r\n]+$/, '') : content;
    } catch (err) {
      throw new SluiceError('CONFIG_INVALID', `${setting}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? errorText(err)}`);
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
