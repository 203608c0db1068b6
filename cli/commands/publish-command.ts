import { text } from 'node:stream/consumers';
import { MessageValidationError } from '../../errors/message-validation-error.js';
import { SchemaRegistry } from '../../schemas/schema-registry.js';
import { CONFIG_OPTION, cliAmqpBus, cliConfig, parse, serverRequest, writeLine } from '../cli-context.js';
import { UsageError, type Command } from '../command.js';
import { didYouMean } from '../../config/did-you-mean.js';

export const publishCommand: Command = {
  name: 'publish',
  summary: 'validate a message and publish it',
  usage: `sluice publish TOPIC [JSON | -] [--json] [--config FILE]

Validates the JSON body against the topic's schema, then publishes it and waits for the
broker's confirm. The body comes from the argument, or from standard input when it is "-" or
absent. With bus.url configured it talks to RabbitMQ; otherwise it publishes through the
running server (POST /api/v1/messages). Prints the message id (--json: the receipt as JSON).`,
  async run(argv, io) {
    const { values, positionals } = parse(argv, { ...CONFIG_OPTION, json: { type: 'boolean' } });
    const [topic, json = '-'] = positionals;
    if (!topic || positionals.length > 2) throw new UsageError('expected a TOPIC and at most one JSON body');
    const source = json === '-' ? await text(io.stdin) : json;
    let body: unknown;
    try {
      body = JSON.parse(source);
    } catch (err) {
      io.stderr.write(`sluice publish: the body is not valid JSON: ${(err as Error).message}\n`);
      return 1;
    }
    const config = cliConfig(values.config, io);
    // Compiling every schema is the slow part of starting; do it once for the check and the bus.
    const registry = new SchemaRegistry();
    try {
      registry.validate(topic, body);
    } catch (err) {
      if (!(err instanceof MessageValidationError)) throw err;
      const hint = err.code === 'TOPIC_UNKNOWN' ? didYouMean(topic, registry.topicPatterns()) : '';
      io.stderr.write(`sluice publish: refused: ${err.problems.join('\n  ')}${hint}\n`);
      return 1;
    }
    if (config.busKind === 'amqp') {
      const bus = await cliAmqpBus(config, registry);
      try {
        const receipt = await bus.publish(topic, body);
        const printed = {
          message_id: receipt.messageId,
          topic: receipt.topic,
          routing_key: receipt.routingKey,
        };
        if (values.json) writeLine(io.stdout, printed);
        else io.stdout.write(`published ${printed.topic} as message ${printed.message_id}\n`);
      } finally {
        await bus.stop();
      }
      return 0;
    }
    const res = await serverRequest(config, '/api/v1/messages', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ topic, body }),
    });
    const answer = (await res.json()) as { message?: string; message_id?: string; topic?: string };
    if (res.status !== 202) {
      io.stderr.write(
        `sluice publish: refused by the server (${res.status}): ${answer.message ?? JSON.stringify(answer)}\n`,
      );
      return 1;
    }
    if (values.json) writeLine(io.stdout, answer);
    else io.stdout.write(`published ${answer.topic} as message ${answer.message_id}\n`);
    return 0;
  },
};
