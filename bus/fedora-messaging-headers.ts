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
  if (/^ci\.[^.]+\.[^.]+\.[^.]+$/.test(topic))
    return { schema: 'ci_messages.CIMessageV1', schemaPackage: 'ci_messages' };
  return { schema: 'base.message' };
}

/**
 * `sent-at` as fedora-messaging writes it: ISO 8601 in UTC with the offset and without fractions
 * of a second, e.g. `2019-07-30T19:12:22+00:00` (wire-format.rst: "should not include microseconds").
 */
export function fedoraSentAt(at: Date): string {
  return at.toISOString().replace(/\.\d+Z$/, '+00:00');
}

/**
 * fedora-messaging's headers for a message on `topic` (without the configured prefix). No
 * `fedora_messaging_user_*` / `_rpm_*` / `_group_*` filter headers: those come from a schema
 * class's `usernames` / `packages` / `groups`, which are empty for `base.message` and
 * `ci_messages.CIMessageV1`, so the services Sluice stands in for never send any either.
 */
export function fedoraMessagingHeaders(topic: string, at: Date = new Date()): Record<string, HeaderValue> {
  const { schema, schemaPackage } = fedoraSchemaFor(topic);
  return {
    [FEDORA_HEADERS.schema]: schema,
    ...(schemaPackage ? { [FEDORA_HEADERS.schemaPackage]: schemaPackage } : {}),
    [FEDORA_HEADERS.severity]: FEDORA_SEVERITY_INFO,
    [FEDORA_HEADERS.priority]: 0,
    [FEDORA_HEADERS.sentAt]: fedoraSentAt(at),
  };
}
