/** Header values as AMQP carries them in a field table. */
export type HeaderValue = string | number | boolean | null;

/** Header names Sluice sets (fedora-messaging's, `sent-at` among them, are in bus/fedora-messaging-headers.ts); the `x-sluice-` ones are bookkeeping for retries and dead letters. */
export const HEADERS = {
  schema: 'sluice_schema',
  topic: 'x-sluice-topic',
  /** The prefix a retried or dead-lettered message first came under (BusMessage.topicPrefix). */
  topicPrefix: 'x-sluice-topic-prefix',
  attempt: 'x-sluice-attempt',
  reason: 'x-sluice-reason',
  queue: 'x-sluice-queue',
  deadAt: 'x-sluice-dead-at',
  /** Why a replay left a dead letter where it was. */
  notReplayed: 'x-sluice-not-replayed',
  /** The id of the HTTP request that published the message, so logs tie the two together. */
  requestId: 'x-sluice-request-id',
  /**
   * The queue of the consumer that already handled the message (PublishOptions.handledBy). Not
   * `x-` prefixed: RabbitMQ's headers exchange leaves `x-` headers out of its matching.
   */
  handledBy: 'sluice-handled-by',
} as const;
