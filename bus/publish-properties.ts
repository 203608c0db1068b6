import type { Options } from 'amqplib';
import { HEADERS, type HeaderValue } from './bus.js';
import { fedoraMessagingHeaders } from './fedora-messaging-headers.js';

/**
 * The headers of every message Sluice publishes, on either bus: the caller's, then
 * fedora-messaging's (schema name, severity, priority, `sent-at`) and Sluice's own JSON Schema
 * id. Set last, so a caller's header cannot pass a message off as another schema.
 */
export function publishedHeaders(
  topic: string,
  schemaId: string,
  headers: Record<string, HeaderValue> = {},
  at: Date = new Date(),
): Record<string, HeaderValue> {
  return { ...headers, ...fedoraMessagingHeaders(topic, at), [HEADERS.schema]: schemaId };
}

/**
 * The AMQP properties of every message Sluice publishes, as fedora-messaging sets them
 * (fedora_messaging/message.py, Message._build_properties): JSON in UTF-8, persistent
 * (delivery mode 2), its id; plus a timestamp, and the headers above. Benchmarks build their
 * baselines' messages with it too, so that both sides read byte-identical messages.
 */
export function publishProperties(
  topic: string,
  messageId: string,
  schemaId: string,
  headers: Record<string, HeaderValue> = {},
): Options.Publish {
  const at = new Date();
  return {
    persistent: true,
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    messageId,
    timestamp: Math.floor(at.getTime() / 1000),
    headers: publishedHeaders(topic, schemaId, headers, at),
  };
}
