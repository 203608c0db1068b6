import type { Options } from 'amqplib';
import { HEADERS, type HeaderValue } from './bus.js';

/**
 * The AMQP properties of every message Sluice publishes: JSON, persistent, its id, a
 * timestamp, and the `sent-at` and schema headers. Benchmarks build their baselines' messages
 * with it too, so that both sides read byte-identical messages.
 */
export function publishProperties(messageId: string, schemaId: string, headers: Record<string, HeaderValue> = {}): Options.Publish {
  return {
    persistent: true,
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    messageId,
    timestamp: Math.floor(Date.now() / 1000),
    headers: { ...headers, [HEADERS.sentAt]: new Date().toISOString(), [HEADERS.schema]: schemaId },
  };
}
