/**
 * Every code a SluiceError can carry, with what the HTTP API answers when one reaches it.
 *
 * `answer` says what the client reads as `message`:
 * - `verbatim`: the message is about the client's own request, in the wording the ResultsDB /
 *   WaiverDB / Greenwave client expects, so it goes out unchanged;
 * - `redacted`: it may carry a broker URL or other server-side text, so URL passwords and keys
 *   are cut out first;
 * - `hidden`: not the client's fault (status 500); the answer names only the request id and the
 *   error is logged with its code. Codes that never come from a request (configuration,
 *   migrations, builders, mail) are here too, so that one escaping into a route is still a 500.
 */
export const ERROR_CODES = {
  // ResultsDB: a result or a query that cannot be used.
  RESULT_INVALID: { status: 400, answer: 'verbatim' },
  QUERY_INVALID: { status: 400, answer: 'verbatim' },
  // WaiverDB: a waiver that cannot be used, or one the caller may not submit.
  WAIVER_INVALID: { status: 400, answer: 'verbatim' },
  WAIVER_FORBIDDEN: { status: 403, answer: 'verbatim' },
  // Greenwave: a decision request that cannot be answered as asked.
  DECISION_INVALID: { status: 400, answer: 'verbatim' },
  DECISION_NO_JSON: { status: 415, answer: 'verbatim' },
  POLICY_NOT_FOUND: { status: 404, answer: 'verbatim' },
  // A message body or topic no schema accepts; the answer also lists the `problems`.
  MESSAGE_INVALID: { status: 400, answer: 'verbatim' },
  TOPIC_UNKNOWN: { status: 400, answer: 'verbatim' },
  TOPIC_INVALID: { status: 400, answer: 'verbatim' },
  // The broker did not confirm a publish: the caller may try again later.
  BUS_UNAVAILABLE: { status: 503, answer: 'redacted' },
  // Pipelines, runs and updates.
  NODE_NOT_FOUND: { status: 404, answer: 'redacted' },
  // A run, a log or artifacts that pipeline.retention pruned: gone for good, not missing.
  NODE_PRUNED: { status: 410, answer: 'redacted' },
  NODE_TRANSITION_ILLEGAL: { status: 409, answer: 'redacted' },
  NODE_RESULT_FINAL: { status: 409, answer: 'redacted' },
  NODE_RESULT_REQUIRED: { status: 409, answer: 'redacted' },
  NODE_DONE: { status: 409, answer: 'redacted' },
  NODE_PARENT_CLOSED: { status: 409, answer: 'redacted' },
  RUN_INVALID: { status: 400, answer: 'redacted' },
  UPDATE_INVALID: { status: 400, answer: 'redacted' },
  UPDATE_EXISTS: { status: 409, answer: 'redacted' },
  // Not the client's fault.
  BUS_STOPPED: { status: 500, answer: 'hidden' },
  BUS_NO_STORE: { status: 500, answer: 'hidden' },
  CONSUMER_DUPLICATE: { status: 500, answer: 'hidden' },
  CI_MESSAGE_UNMAPPABLE: { status: 500, answer: 'hidden' },
  CONFIG_INVALID: { status: 500, answer: 'hidden' },
  ROLE_INVALID: { status: 500, answer: 'hidden' },
  POLICY_INVALID: { status: 500, answer: 'hidden' },
  SCHEMA_INVALID: { status: 500, answer: 'hidden' },
  MIGRATION_FAILED: { status: 500, answer: 'hidden' },
  HOST_KEY_MISMATCH: { status: 500, answer: 'hidden' },
  BUILDER_UNREACHABLE: { status: 500, answer: 'hidden' },
  BUILDER_LOST: { status: 500, answer: 'hidden' },
  NO_BUILDER: { status: 500, answer: 'hidden' },
  RESULTS_UNREADABLE: { status: 500, answer: 'hidden' },
  DELIVERY_REFUSED: { status: 500, answer: 'hidden' },
  DELIVERY_DEFERRED: { status: 500, answer: 'hidden' },
} as const satisfies Record<string, ErrorAnswer>;

/** A 500 always hides its message; any other status shows it, redacted or not. */
type ErrorAnswer =
  | { status: 500; answer: 'hidden' }
  | { status: 400 | 403 | 404 | 409 | 410 | 415 | 503; answer: 'verbatim' | 'redacted' };

export type ErrorCode = keyof typeof ERROR_CODES;
