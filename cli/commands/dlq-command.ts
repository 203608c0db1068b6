import type { DeadLetter, ReplayOutcome } from '../../bus/bus.js';
import { CONFIG_OPTION, cliAmqpBus, cliConfig, parse, serverRequest, writeLine } from '../cli-context.js';
import { UsageError, type CliIo, type Command } from '../command.js';
import type { CompiledConfig } from '../../config/config-types.js';

export const dlqCommand: Command = {
  name: 'dlq',
  summary: 'list or replay dead-lettered messages',
  usage: `sluice dlq list [--limit N] [--json] [--config FILE]
sluice dlq replay (ID... | --all) [--json] [--config FILE]

"list" prints one line per dead letter: its id, when it died, its topic and queue, and the
reason it was dead-lettered (--json: one JSON line each, with its message id, headers and
body). "replay" puts the named dead letters (ids as listed, or message ids) back on the queue
they came from with a fresh retry budget; --all replays every one there when it starts. It
prints how many it replayed (--json: {"replayed": N, "notReplayed": [...]}); a letter whose
queue is unknown or gone stays in the dead-letter queue, listed with the reason (exit 1).
Through the server, replaying needs a token with the admin scope (SLUICE_TOKEN) unless the
server is open on loopback.`,
  async run(argv, io) {
    const { values, positionals } = parse(argv, {
      ...CONFIG_OPTION,
      limit: { type: 'string' },
      all: { type: 'boolean' },
      json: { type: 'boolean' },
    });
    const [action, ...ids] = positionals;
    const config = cliConfig(values.config, io);
    if (action === 'list') {
      if (ids.length) throw new UsageError('"dlq list" takes no arguments');
      const limit = values.limit === undefined ? 1000 : Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit must be a positive integer');
      const letters = await list(config, limit, io);
      if (values.json) for (const letter of letters) writeLine(io.stdout, letter);
      else if (letters.length === 0) io.stdout.write('no dead letters\n');
      else
        for (const l of letters)
          io.stdout.write(`${l.id}  ${l.deadAt}  ${l.topic} (queue ${l.queue}): ${l.reason}\n`);
      return 0;
    }
    if (action === 'replay') {
      if (!values.all && ids.length === 0)
        throw new UsageError('name the dead letters to replay, or pass --all');
      if (values.all && ids.length) throw new UsageError('--all and ids exclude each other');
      const outcome = await replay(config, values.all ? [] : ids);
      if (values.json) writeLine(io.stdout, outcome);
      else
        io.stdout.write(
          `replayed ${outcome.replayed} dead letter${outcome.replayed === 1 ? '' : 's'}` +
            `${outcome.notReplayed.length ? `; ${outcome.notReplayed.length} stay (below)` : ''}\n`,
        );
      for (const l of outcome.notReplayed)
        io.stderr.write(`sluice dlq replay: ${l.id} not replayed: ${l.reason}\n`);
      if (outcome.notReplayed.length) return 1;
      if (!values.all && outcome.replayed === 0) {
        io.stderr.write('sluice dlq replay: no dead letter has those ids\n');
        return 1;
      }
      return 0;
    }
    throw new UsageError('expected "list" or "replay"');
  },
};

async function list(config: CompiledConfig, limit: number, _io: CliIo): Promise<DeadLetter[]> {
  if (config.busKind === 'amqp') {
    const bus = await cliAmqpBus(config);
    try {
      return await bus.listDeadLetters(limit);
    } finally {
      await bus.stop();
    }
  }
  const res = await serverRequest(config, `/api/v1/dlq?limit=${limit}`);
  if (!res.ok) throw new Error(`the server refused (${res.status}): ${await res.text()}`);
  return ((await res.json()) as { data: DeadLetter[] }).data;
}

async function replay(config: CompiledConfig, ids: string[]): Promise<ReplayOutcome> {
  if (config.busKind === 'amqp') {
    const bus = await cliAmqpBus(config);
    try {
      return await bus.replayDeadLetters({ ids });
    } finally {
      await bus.stop();
    }
  }
  const res = await serverRequest(config, '/api/v1/dlq/replay', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ids }),
  });
  if (!res.ok) throw new Error(`the server refused (${res.status}): ${await res.text()}`);
  return (await res.json()) as ReplayOutcome;
}
