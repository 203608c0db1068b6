import type { Options } from 'amqplib';
import { HEADERS, type HeaderValue } from './bus.js';
import { addFedoraMessagingHeaders } from './fedora-messaging-headers.js';

/**
 * The headers of every message Sluice publishes, on either bus: the caller's, then
 * fedora-messaging's (schema name, severity, priority, `sent-at`) and Sluice's own JSON Schema
 * id. Set last, so a caller's header cannot pass a message off as another schema.
 */
export function publishedHeaders(
  topic: string,
  schemaId: string,
  headers: Record<string, HeaderValue> = {},
  at: Date | number = Date.now(),
): Record<string, HeaderValue> {
  // The same keys, order and values as { ...headers, ...fedoraMessagingHeaders(…), schema }, in one object.
  const out = addFedoraMessagingHeaders(copyOf(headers), topic, at);
  out[HEADERS.schema] = schemaId;
  return out;
}

/**
 * A copy of `headers` that takes further keys cheaply: V8 gives an object made by `{ ...headers }`
 * a shape that each key added afterwards makes slow again (some µs a message). A `__proto__`
 * key (headers can come off the wire) becomes a property, as with spread, not the prototype.
 */
function copyOf(headers: Record<string, HeaderValue>): Record<string, HeaderValue> {
  const out: Record<string, HeaderValue> = {};
  for (const key of Object.keys(headers)) {
    if (key === '__proto__')
      Object.defineProperty(out, key, {
        value: headers[key],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    else out[key] = headers[key]!;
  }
  return out;
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
  const at = Date.now();
  return {
    persistent: true,
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    messageId,
    timestamp: Math.floor(at / 1000),
    headers: publishedHeaders(topic, schemaId, headers, at),
  };
}
