import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES } from '../errors/error-codes.js';
import { MessageValidationError } from '../errors/message-validation-error.js';
import { SluiceError } from '../errors/sluice-error.js';
import { redactString } from '../observability/redact-secrets.js';

/**
 * Every refusal is `{"message": "..."}` (the ResultsDB / WaiverDB / Greenwave shape) with a
 * status that says whose fault it is; nothing unexpected leaks a stack trace.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof SluiceError) return answerSluiceError(err, req, reply);
    if (err.validation)
      return reply.code(400).send({
        message: `${err.validationContext ?? 'request'}${err.message.replace(/^(body|querystring|params|headers)/, '')}`,
      });
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) return reply.code(status).send({ message: redactString(err.message) });
    return internalError(err, req, reply);
  });
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({ message: `no route for ${req.method} ${req.url.split('?')[0]}` }),
  );
}

/** The status and wording come from the error's code (ERROR_CODES), not from its class. */
function answerSluiceError(err: SluiceError, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { status, answer } = ERROR_CODES[err.code];
  if (answer === 'hidden') return internalError(err, req, reply);
  const message = answer === 'redacted' ? redactString(err.message) : err.message;
  // A message refused by its schema also lists each problem on its own, not only joined in `message`.
  if (err instanceof MessageValidationError)
    return reply.code(status).send({ message, problems: err.problems });
  return reply.code(status).send({ message });
}

function internalError(err: Error, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err instanceof SluiceError) req.log.error({ err, code: err.code }, 'request failed');
  else req.log.error({ err }, 'request failed');
  return reply.code(500).send({ message: `internal error; see the server log for request ${req.id}` });
}
