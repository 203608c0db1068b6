/**
 * What log lines, errors and API answers must never carry. pino's own `redact` takes exact
 * paths (a `*` is one level), so a secret one level deeper than foreseen would slip through;
 * this walks the whole value instead and goes by key name, at any depth.
 */
const SECRET_KEY =
  /(pass(word|wd|phrase)?|secret|token|authorization|cookie|api[-_]?key|private[-_]?key|credentials?)$/i;

/** `scheme://user:password@host`: the password goes, the user stays (it says which account). */
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*):[^@/?#\s]*@/gi;

/** Key material in PEM, wherever it appears in a string. */
const PEM_PRIVATE_KEY = /-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?(-----END \1PRIVATE KEY-----|$)/g;

export const CENSOR = '[redacted]';

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** A string with URL passwords and private keys cut out. */
export function redactString(text: string): string {
  if (!text.includes('://') && !text.includes('PRIVATE KEY')) return text;
  return text.replace(URL_PASSWORD, '$1:***@').replace(PEM_PRIVATE_KEY, CENSOR);
}

/**
 * A copy of `value` with every secret-named key censored and every string cleaned, at any depth.
 * Errors stay errors of their class, their messages and stacks cleaned too. Cycles and very deep
 * values are cut rather than followed.
 */
export function redactSecrets(value: unknown, depth = 0, seen: WeakSet<object> = new WeakSet()): unknown {
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]';
  if (depth > 12) return '[too deep]';
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((v) => redactSecrets(v, depth + 1, seen));
    if (value instanceof Error) return redactError(value, depth, seen);
    if (Buffer.isBuffer(value) || value instanceof Date || ArrayBuffer.isView(value)) return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      out[k] =
        isSecretKey(k) && v !== undefined && v !== null && v !== ''
          ? CENSOR
          : redactSecrets(v, depth + 1, seen);
    return out;
  } finally {
    seen.delete(value);
  }
}

/** An error of the same class (so loggers still name it) with its message, stack, cause and fields cleaned. */
function redactError(err: Error, depth: number, seen: WeakSet<object>): Error {
  const copy = Object.create(Object.getPrototypeOf(err) as object) as Error;
  for (const [k, v] of Object.entries(err))
    (copy as unknown as Record<string, unknown>)[k] = isSecretKey(k)
      ? CENSOR
      : redactSecrets(v, depth + 1, seen);
  Object.defineProperty(copy, 'message', {
    value: redactString(err.message),
    enumerable: false,
    writable: true,
    configurable: true,
  });
  Object.defineProperty(copy, 'stack', {
    value: err.stack === undefined ? undefined : redactString(err.stack),
    enumerable: false,
    writable: true,
    configurable: true,
  });
  if (err.cause !== undefined)
    Object.defineProperty(copy, 'cause', {
      value: redactSecrets(err.cause, depth + 1, seen),
      enumerable: false,
      writable: true,
      configurable: true,
    });
  return copy;
}
