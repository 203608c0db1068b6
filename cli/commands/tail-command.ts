import { isValidTopicPattern } from '../../schemas/topic-pattern.js';
import type { BusMessage } from '../../bus/bus.js';
import { CONFIG_OPTION, cliAmqpBus, cliConfig, parse, serverRequest, writeLine } from '../cli-context.js';
import { UsageError, type Command } from '../command.js';
import { readEvents } from '../event-stream.js';
import { clock } from '../run-view.js';

export const tailCommand: Command = {
  name: 'tail',
  summary: 'print messages on matching topics as they arrive',
  usage: `sluice tail PATTERN... [--count N] [--json] [--config FILE]

Prints one line per message for every topic matching a pattern ("*" = one word, "#" = any
number): when it was sent (local time), its topic and its body. --json prints each as a JSON
line ({"id", "topic", "headers", "body"}, as fedora-messaging records them).
With bus.url configured it binds a private queue on RabbitMQ; otherwise it follows the running
server's event stream. Stops on Ctrl-C, or after N messages with --count.`,
  async run(argv, io) {
    const { values, positionals } = parse(argv, {
      ...CONFIG_OPTION,
      count: { type: 'string', short: 'n' },
      json: { type: 'boolean' },
    });
    const patterns = positionals.length ? positionals : ['#'];
    const bad = patterns.find((p) => !isValidTopicPattern(p));
    if (bad) throw new UsageError(`"${bad}" is not a topic pattern`);
    const count = values.count === undefined ? Infinity : Number(values.count);
    if (!(count > 0)) throw new UsageError('--count must be a positive number');
    const config = cliConfig(values.config, io);
    let seen = 0;
    let done!: () => void;
    const enough = new Promise<void>((r) => (done = r));
    const print = (m: Pick<BusMessage, 'messageId' | 'topic' | 'headers' | 'body'>) => {
      if (seen >= count) return;
      if (values.json)
        writeLine(io.stdout, { id: m.messageId, topic: m.topic, headers: m.headers, body: m.body });
      else {
        const sent = Date.parse(String(m.headers['sent-at'] ?? ''));
        io.stdout.write(
          `${clock(Number.isNaN(sent) ? new Date() : new Date(sent))}  ${m.topic}  ${JSON.stringify(m.body)}\n`,
        );
      }
      if (++seen >= count) done();
    };

    if (config.busKind === 'amqp') {
      const bus = await cliAmqpBus(config);
      const sub = await bus.subscribe(patterns, print);
      io.stderr.write(`sluice tail: following ${patterns.join(' ')}\n`);
      await Promise.race([enough, io.interrupted]);
      await sub.close();
      await bus.stop();
      return 0;
    }
    const abort = new AbortController();
    const query = patterns.map((p) => `topic=${encodeURIComponent(p)}`).join('&');
    let lastEventId: string | undefined;
    // Follows the server's event stream; when it drops (server restart), reconnects with
    // Last-Event-ID so that nothing logged in between is missed.
    const follow = async (): Promise<number> => {
      for (let attempt = 0; !abort.signal.aborted; attempt++) {
        let res: Response;
        try {
          const headers: Record<string, string> = { accept: 'text/event-stream' };
          if (lastEventId) headers['last-event-id'] = lastEventId;
          res = await serverRequest(config, `/api/v1/events?${query}`, { signal: abort.signal, headers });
        } catch (err) {
          if (abort.signal.aborted) return 0;
          if (attempt === 0 && !lastEventId) throw err;
          await new Promise((r) => setTimeout(r, 1000));
          continue;
        }
        if (res.status !== 200 || !res.body) {
          io.stderr.write(`sluice tail: the server refused (${res.status}): ${await res.text()}\n`);
          return 1;
        }
        if (attempt === 0) io.stderr.write(`sluice tail: following ${patterns.join(' ')}\n`);
        try {
          await readEvents(res.body as AsyncIterable<Uint8Array>, (id, e) => {
            lastEventId = id;
            print({ messageId: e.id, topic: e.topic, headers: e.headers, body: e.body });
          });
        } catch (err) {
          if (abort.signal.aborted) return 0;
          io.stderr.write(`sluice tail: stream dropped (${(err as Error).message}); reconnecting\n`);
        }
      }
      return 0;
    };
    const reading = follow();
    const code = await Promise.race([enough.then(() => 0), io.interrupted.then(() => 0), reading]);
    abort.abort();
    return code;
  },
};
