import type { FastifyError, FastifyInstance } from 'fastify';
import { BusUnavailableError } from '../errors/bus-unavailable-error.js';
import { DecisionInputError } from '../errors/decision-input-error.js';
import { MessageValidationError } from '../errors/message-validation-error.js';
import { QueryInputError } from '../errors/query-input-error.js';
import { ResultInputError } from '../errors/result-input-error.js';
import { SluiceError } from '../errors/sluice-error.js';
import { redactString } from '../observability/redact-secrets.js';
import { WaiverForbiddenError } from '../errors/waiver-forbidden-error.js';
import { WaiverInputError } from '../errors/waiver-input-error.js';

/**
 * Every refusal is `{"message": "..."}` (the ResultsDB / WaiverDB / Greenwave shape) with a
 * status that says whose fault it is; nothing unexpected leaks a stack trace.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof MessageValidationError) return reply.code(400).send({ message: err.message, problems: err.problems });
    if (err instanceof ResultInputError || err instanceof QueryInputError || err instanceof WaiverInputError) return reply.code(400).send({ message: err.message });
    if (err instanceof WaiverForbiddenError) return reply.code(403).send({ message: err.message });
    if (err instanceof DecisionInputError) return reply.code(err.status).send({ message: err.message });
    if (err instanceof BusUnavailableError) return reply.code(503).send({ message: redactString(err.message) });
    if (err.validation) return reply.code(400).send({ message: `${err.validationContext ?? 'request'}${err.message.replace(/^(body|querystring|params|headers)/, '')}` });
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) return reply.code(status).send({ message: redactString(err.message) });
    if (err instanceof SluiceError) req.log.error({ err, code: err.code }, 'request failed');
    else req.log.error({ err }, 'request failed');
    return reply.code(500).send({ message: 'internal error; see the server log for request ' + req.id });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ message: `no route for ${req.method} ${req.url.split('?')[0]}` }));
}
