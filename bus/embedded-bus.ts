import type { Statement } from 'better-sqlite3';
import type { Logger } from 'pino';
import type { CompiledConfig } from '../config/config-types.js';
import type { Db } from '../db/open-database.js';
import { SluiceError } from '../errors/sluice-error.js';
import { jsonTooDeep } from '../schemas/json-depth.js';
import type { SchemaRegistry } from '../schemas/schema-registry.js';
import {
  HEADERS,
  handledByHeaders,
  type Bus,
  type BusHealth,
  type BusMessage,
  type BusObserver,
  type ConsumerSpec,
  type DeadLetter,
  type HeaderValue,
  type NotReplayed,
  type PublishOptions,
  type PublishReceipt,
  type ReplayFilter,
  type ReplayOutcome,
  type Subscription,
  type SubscriptionHandler,
} from './bus.js';
import { MessageProcessor, type Disposition } from './message-processor.js';
import { topicMatches } from '../schemas/topic-pattern.js';
import { newMessageId } from '../schemas/message-id.js';
import { isWanted, refusalBeforeSending, replayHeaders, wantedIds } from './dead-letter-replay.js';
import { publishedHeaders } from './publish-properties.js';

interface QueueRow {
  id: number;
  queue: string;
  message_id: string;
  topic: string;
  headers: string;
  body: Buffer;
  attempts: number;
}

interface DeadRow extends QueueRow {
  reason: string;
  dead_at: number;
}

/**
 * What the embedded bus reads of the `bus` settings. The rest (url, exchange, TLS, heartbeat,
 * confirms, reconnects, the dead-letter queue's name) belongs to RabbitMQ.
 */
export type EmbeddedBusSettings = Pick<
  CompiledConfig['bus'],
  'topicPrefix' | 'queuePrefix' | 'prefetch' | 'retry' | 'pollIntervalMs'
>;

interface Consumer {
  spec: ConsumerSpec;
  queue: string;
  inFlight: number;
  pumping: boolean;
}

/**
 * The embedded default: a topic exchange inside this process whose queues live in the SQLite
 * store, so messages survive a crash as they would on a durable RabbitMQ queue. Deliveries are
 * leased while a handler runs; a restart releases every lease, which redelivers what was in
 * flight (idempotent consumers then drop what they had already handled).
 */
export class EmbeddedBus implements Bus {
  readonly kind = 'embedded' as const;
  private readonly consumers: Consumer[] = [];
  private readonly taps = new Set<{ patterns: string[]; handler: SubscriptionHandler }>();
  private readonly processor: MessageProcessor;
  private readonly idle = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;
  private started = false;
  private stopping = false;
  private readonly sql: {
    insert: Statement<[string, string, string, string, Buffer, number, number]>;
    lease: Statement<[string, number, number]>;
    ack: Statement<[number]>;
    retry: Statement<[number, number, string, number]>;
    dead: Statement<[string, string, string, string, Buffer, string, number, number]>;
    listDead: Statement<[number]>;
    deadById: Statement<[number]>;
    allDead: Statement<[]>;
    deleteDead: Statement<[number]>;
    markDead: Statement<[string, number]>;
  };

  constructor(
    private readonly db: Db,
    private readonly registry: SchemaRegistry,
    private readonly config: EmbeddedBusSettings,
    private readonly log: Logger,
    private readonly observer?: BusObserver,
  ) {
    this.processor = new MessageProcessor(db, registry, config.retry, log, observer);
    this.sql = {
      insert: db.prepare(
        'INSERT INTO bus_queue (queue, message_id, topic, headers, body, attempts, available_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      lease: db.prepare(
        `UPDATE bus_queue SET leased = 1 WHERE id IN (
           SELECT id FROM bus_queue WHERE queue = ? AND leased = 0 AND available_at <= ? ORDER BY id LIMIT ?)
         RETURNING id, queue, message_id, topic, headers, body, attempts`,
      ),
      ack: db.prepare('DELETE FROM bus_queue WHERE id = ?'),
      retry: db.prepare(
        'UPDATE bus_queue SET leased = 0, attempts = ?, available_at = ?, headers = ? WHERE id = ?',
      ),
      dead: db.prepare(
        'INSERT INTO bus_dead_letters (queue, message_id, topic, headers, body, reason, attempts, dead_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      listDead: db.prepare('SELECT * FROM bus_dead_letters ORDER BY id LIMIT ?'),
      deadById: db.prepare('SELECT * FROM bus_dead_letters WHERE id = ?'),
      allDead: db.prepare('SELECT * FROM bus_dead_letters ORDER BY id'),
      deleteDead: db.prepare('DELETE FROM bus_dead_letters WHERE id = ?'),
      markDead: db.prepare('UPDATE bus_dead_letters SET headers = ? WHERE id = ?'),
    };
  }

  consume(spec: ConsumerSpec): void {
    if (this.consumers.some((c) => c.spec.name === spec.name))
      throw new SluiceError('CONSUMER_DUPLICATE', `consumer "${spec.name}" is registered twice`);
    const consumer: Consumer = {
      spec,
      queue: this.config.queuePrefix + spec.name,
      inFlight: 0,
      pumping: false,
    };
    this.consumers.push(consumer);
    if (this.started) this.pump(consumer);
  }

  async start(): Promise<void> {
    if (this.started) return;
    // Whatever was leased by a process that died is due again.
    this.db.prepare('UPDATE bus_queue SET leased = 0 WHERE leased = 1').run();
    this.started = true;
    this.timer = setInterval(() => this.pumpAll(), this.config.pollIntervalMs);
    this.timer.unref();
    this.pumpAll();
  }

  async publish(topic: string, body: unknown, options: PublishOptions = {}): Promise<PublishReceipt> {
    if (this.stopping) throw new SluiceError('BUS_STOPPED', 'the bus is stopping; publish refused');
    const schemaId = this.registry.validate(topic, body);
    return this.send(
      topic,
      JSON.stringify(body),
      () => body,
      schemaId,
      options.messageId ?? newMessageId(),
      options,
    );
  }

  async publishSerialized(
    topic: string,
    json: string,
    options: PublishOptions & { messageId: string },
  ): Promise<PublishReceipt> {
    if (this.stopping) throw new SluiceError('BUS_STOPPED', 'the bus is stopping; publish refused');
    return this.send(
      topic,
      json,
      () => JSON.parse(json) as unknown,
      this.registry.schemaIdOf(topic),
      options.messageId,
      options,
    );
  }

  /** `body` is asked for only when a tap wants the message. */
  private send(
    topic: string,
    json: string,
    body: () => unknown,
    schemaId: string,
    messageId: string,
    options: PublishOptions,
  ): PublishReceipt {
    const headers = publishedHeaders(topic, schemaId, {
      ...options.headers,
      ...handledByHeaders(this.config.queuePrefix, options.handledBy),
    });
    const content = Buffer.from(json);
    const headerText = JSON.stringify(headers);
    const now = Date.now();
    const targets = this.consumers.filter(
      (c) =>
        !(c.spec.skipHandled && c.spec.name === options.handledBy) &&
        c.spec.topics.some((p) => topicMatches(p, topic)),
    );
    this.db.transaction(() => {
      for (const c of targets) this.sql.insert.run(c.queue, messageId, topic, headerText, content, 0, now);
    })();
    let message: BusMessage | undefined;
    for (const tap of this.taps) {
      if (tap.patterns.some((p) => topicMatches(p, topic))) {
        try {
          tap.handler((message ??= { messageId, topic, body: body(), headers, attempt: 1 }));
        } catch (err) {
          this.log.error({ err }, 'subscriber threw');
        }
      }
    }
    if (this.started) for (const c of targets) this.pump(c);
    this.observer?.published(topic);
    return { messageId, topic, routingKey: this.config.topicPrefix + topic, schemaId };
  }

  async subscribe(patterns: string[], handler: SubscriptionHandler): Promise<Subscription> {
    const tap = { patterns, handler };
    this.taps.add(tap);
    return { close: async () => void this.taps.delete(tap) };
  }

  async listDeadLetters(limit = 1000): Promise<DeadLetter[]> {
    return (this.sql.listDead.all(limit) as DeadRow[]).map(toDeadLetter);
  }

  async replayDeadLetters(filter: ReplayFilter = {}): Promise<ReplayOutcome> {
    const wanted = wantedIds(filter.ids);
    // The rows there now, each once: a copy that dies again becomes a new row, not one of these.
    const rows = (this.sql.allDead.all() as DeadRow[]).filter((r) =>
      isWanted(wanted, String(r.id), r.message_id),
    );
    // Only this process's consumers read the embedded queues: a queue none of them reads (its
    // consumer was removed or renamed) would keep the message where no API shows it.
    const read = new Set(this.consumers.map((c) => c.queue));
    const now = Date.now();
    let replayed = 0;
    const notReplayed: NotReplayed[] = [];
    this.db.transaction(() => {
      for (const r of rows) {
        const headers = JSON.parse(r.headers) as Record<string, HeaderValue>;
        const refusal =
          refusalBeforeSending(r.queue, undefined) ??
          (read.has(r.queue)
            ? undefined
            : `no consumer of this server reads its queue "${r.queue}" any more`);
        if (refusal) {
          this.sql.markDead.run(JSON.stringify({ ...headers, [HEADERS.notReplayed]: refusal }), r.id);
          notReplayed.push({
            id: String(r.id),
            messageId: r.message_id,
            queue: r.queue,
            topic: r.topic,
            reason: refusal,
          });
          continue;
        }
        this.sql.insert.run(
          r.queue,
          r.message_id,
          r.topic,
          JSON.stringify(replayHeaders(headers)),
          r.body,
          0,
          now,
        );
        this.sql.deleteDead.run(r.id);
        replayed++;
      }
    })();
    if (notReplayed.length) this.log.warn({ notReplayed }, 'dead letters not replayed');
    this.pumpAll();
    return { replayed, notReplayed };
  }

  health(): BusHealth {
    return {
      ok: this.started && !this.stopping,
      detail: this.stopping ? 'stopping' : this.started ? 'embedded bus running' : 'not started',
    };
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    while (this.consumers.some((c) => c.inFlight > 0))
      await new Promise<void>((resolve) => this.idle.add(resolve));
    this.taps.clear();
  }

  private pumpAll(): void {
    for (const c of this.consumers) this.pump(c);
  }

  private pump(c: Consumer): void {
    if (this.stopping || c.pumping) return;
    c.pumping = true;
    try {
      const room = (c.spec.prefetch ?? this.config.prefetch) - c.inFlight;
      if (room <= 0) return;
      const rows = this.sql.lease.all(c.queue, Date.now(), room) as QueueRow[];
      for (const row of rows) {
        c.inFlight++;
        void this.deliver(c, row);
      }
    } finally {
      c.pumping = false;
    }
  }

  private async deliver(c: Consumer, row: QueueRow): Promise<void> {
    const headers = JSON.parse(row.headers) as Record<string, HeaderValue>;
    let disposition: Disposition;
    try {
      disposition = await this.processor.process(c.spec, {
        messageId: row.message_id,
        topic: row.topic,
        // Everything here was published in this process, under its own prefix.
        topicPrefix: this.config.topicPrefix,
        content: row.body,
        headers,
        attempt: row.attempts + 1,
      });
    } catch (err) {
      disposition = {
        action: 'retry',
        delayMs: this.config.retry.delayMs,
        nextAttempt: row.attempts + 2,
        reason: String(err),
      };
    }
    try {
      this.settle(c, row, headers, disposition);
    } catch (err) {
      // The lease stays; a restart redelivers it. Nothing is lost, and the ledger prevents a double effect.
      this.log.error({ err, queue: c.queue, messageId: row.message_id }, 'could not settle a delivery');
    }
    c.inFlight--;
    for (const wake of this.idle) wake();
    this.idle.clear();
    this.pump(c);
  }

  private settle(c: Consumer, row: QueueRow, headers: Record<string, HeaderValue>, d: Disposition): void {
    if (d.action === 'ack') {
      this.sql.ack.run(row.id);
    } else if (d.action === 'retry') {
      this.sql.retry.run(
        d.nextAttempt - 1,
        Date.now() + d.delayMs,
        JSON.stringify({ ...headers, [HEADERS.reason]: d.reason }),
        row.id,
      );
    } else {
      this.log.warn(
        { queue: c.queue, messageId: row.message_id, topic: row.topic, reason: d.reason },
        'message dead-lettered',
      );
      const dead = {
        ...headers,
        [HEADERS.reason]: d.reason,
        [HEADERS.queue]: c.queue,
        [HEADERS.topic]: row.topic,
      };
      this.db.transaction(() => {
        this.sql.dead.run(
          c.queue,
          row.message_id,
          row.topic,
          JSON.stringify(dead),
          row.body,
          d.reason,
          row.attempts + 1,
          Date.now(),
        );
        this.sql.ack.run(row.id);
      })();
    }
  }
}

function toDeadLetter(r: DeadRow): DeadLetter {
  const text = r.body.toString('utf8');
  let body: unknown = text;
  try {
    // Too deep to answer as JSON (JSON.stringify recurses): kept as text, like one that is not JSON.
    if (!jsonTooDeep(text)) body = JSON.parse(text);
  } catch {
    // kept as the raw text, which is what the reader needs to see
  }
  const headers = JSON.parse(r.headers) as Record<string, HeaderValue>;
  const notReplayed = headers[HEADERS.notReplayed];
  return {
    id: String(r.id),
    queue: r.queue,
    topic: r.topic,
    messageId: r.message_id,
    reason: r.reason,
    attempts: r.attempts,
    deadAt: new Date(r.dead_at).toISOString(),
    headers,
    body,
    ...(typeof notReplayed === 'string' ? { notReplayedReason: notReplayed } : {}),
  };
}
