import pino, { type Logger } from 'pino';
import { httpLogFields } from '../observability/http-log-fields.js';
import { redactSecrets, redactString } from '../observability/redact-secrets.js';

/**
 * JSON lines on stderr (stdout belongs to commands such as `tail`), one per event. Every field
 * and binding passes through redactSecrets: passwords, tokens, private keys and authorization
 * headers are censored at any depth, and URL passwords are cut out of strings.
 */
export function createLogger(level: string, destination: NodeJS.WritableStream = process.stderr): Logger {
  const logger = pino(
    {
      level,
      base: { service: 'sluice', pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        log: (object) => redactSecrets(httpLogFields(object)) as Record<string, unknown>,
        bindings: (bindings) => redactSecrets(bindings) as Record<string, unknown>,
      },
      hooks: {
        // The message string itself (`log.warn(\`cannot reach ${url}\`)`) is cleaned as well.
        logMethod(args, method) {
          method.apply(
            this,
            args.map((a) => (typeof a === 'string' ? redactString(a) : a)) as Parameters<typeof method>,
          );
        },
      },
    },
    destination,
  );
  // pino applies the bindings formatter to the root logger's bindings only; a child's bindings
  // are cleaned here instead. Children are made with Object.create(parent), so they inherit this.
  const child = logger.child as unknown as (this: Logger, ...args: unknown[]) => Logger;
  const cleaned = function (this: Logger, bindings: unknown, options?: unknown) {
    return child.call(this, redactSecrets(bindings), options);
  };
  logger.child = cleaned as unknown as typeof logger.child;
  return logger;
}
