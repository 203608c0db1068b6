import type { HeaderValue } from './bus.js';

/**
 * The headers fedora-messaging puts on every message it publishes (fedora_messaging/message.py,
 * Message._build_properties; docs/api/wire-format.rst), so that a consumer reading Sluice's
 * messages with fedora-messaging's `get_message` finds its schema and severity and logs no
 * "A publisher is misbehaving!".
 */
export const FEDORA_HEADERS = {
  schema: 'fedora_messaging_schema',
  /** Only set when the schema's Python package is known: get_class names it when it is missing. */
  schemaPackage: 'fedora_messaging_schema_package',
  severity: 'fedora_messaging_severity',
  sentAt: 'sent-at',
  /** Mirrors the AMQP priority "for debugging"; fedora-messaging's default publish_priority gives 0. */
  priority: 'priority',
} as const;

/** fedora_messaging.message.INFO: what Message (and every schema below) publishes with by default. */
export const FEDORA_SEVERITY_INFO = 20;

/**
 * The schema name (the `fedora.messages` entry point) a consumer looks a message's class up by.
 * ResultsDB (resultsdb/messaging.py), WaiverDB (waiverdb/messaging/fedmsg.py) and Greenwave
 * (greenwave/consumers/consumer.py) all publish fedora_messaging.api.Message itself, which is
 * `base.message`; no schema package of theirs is in use (WaiverDB's unpublished waiverdb-messages
 * expects an envelope its own publisher never sends). Fedora CI messages have the ci_messages
 * package (python-ci_messages setup.py: `ci_messages.CIMessageV1`), which picks the JSON schema
 * of the CI messages spec by the topic's last three words.
 */
export function fedoraSchemaFor(topic: string): { schema: string; schemaPackage?: string } {
  if (isCiMessageTopic(topic)) return { schema: CI_SCHEMA, schemaPackage: CI_SCHEMA_PACKAGE };
  return { schema: BASE_SCHEMA };
}

const BASE_SCHEMA = 'base.message';
const CI_SCHEMA = 'ci_messages.CIMessageV1';
const CI_SCHEMA_PACKAGE = 'ci_messages';

/** `ci.` and three more non-empty words: `ci.<artifact>.<category>.<state>`. */
function isCiMessageTopic(topic: string): boolean {
  if (!topic.startsWith('ci.')) return false;
  const a = topic.indexOf('.', 3);
  const b = a < 0 ? -1 : topic.indexOf('.', a + 1);
  return a > 3 && b > a + 1 && b < topic.length - 1 && topic.indexOf('.', b + 1) < 0;
}

/**
 * `sent-at` as fedora-messaging writes it: ISO 8601 in UTC with the offset and without fractions
 * of a second, e.g. `2019-07-30T19:12:22+00:00` (wire-format.rst: "should not include microseconds").
 */
export function fedoraSentAt(at: Date | number): string {
  const ms = typeof at === 'number' ? at : at.getTime();
  const second = Math.floor(ms / 1000);
  // Every message of one second has the same text: made once a second, not once a message.
  if (second !== lastSentAt.second) {
    // toISOString always ends in `.sssZ` (three digits of milliseconds).
    lastSentAt = { second, text: `${new Date(second * 1000).toISOString().slice(0, -5)}+00:00` };
  }
  return lastSentAt.text;
}

let lastSentAt = { second: Number.NaN, text: '' };

/**
 * fedora-messaging's headers for a message on `topic` (without the configured prefix). No
 * `fedora_messaging_user_*` / `_rpm_*` / `_group_*` filter headers: those come from a schema
 * class's `usernames` / `packages` / `groups`, which are empty for `base.message` and
 * `ci_messages.CIMessageV1`, so the services Sluice stands in for never send any either.
 */
export function fedoraMessagingHeaders(
  topic: string,
  at: Date | number = Date.now(),
): Record<string, HeaderValue> {
  return addFedoraMessagingHeaders({}, topic, at);
}

/**
 * Sets fedora-messaging's headers for `topic` on `headers`, in the order fedoraMessagingHeaders
 * lists them, and returns it: the publish path builds one object per message, not three.
 */
export function addFedoraMessagingHeaders(
  headers: Record<string, HeaderValue>,
  topic: string,
  at: Date | number,
): Record<string, HeaderValue> {
  if (isCiMessageTopic(topic)) {
    headers[FEDORA_HEADERS.schema] = CI_SCHEMA;
    headers[FEDORA_HEADERS.schemaPackage] = CI_SCHEMA_PACKAGE;
  } else {
    headers[FEDORA_HEADERS.schema] = BASE_SCHEMA;
  }
  headers[FEDORA_HEADERS.severity] = FEDORA_SEVERITY_INFO;
  headers[FEDORA_HEADERS.priority] = 0;
  headers[FEDORA_HEADERS.sentAt] = fedoraSentAt(at);
  return headers;
}
