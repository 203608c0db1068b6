import { CONFIG_OPTION, cliConfig, parse } from '../cli-context.js';
import { postAndPrint } from '../server-post.js';
import { UsageError, type Command } from '../command.js';
import type { NodeJson } from '../../pipeline/pipeline-node.js';

export const retryCommand: Command = {
  name: 'retry',
  summary: 're-run a finished pipeline job as a new node',
  usage: `sluice retry NODE_ID [--json] [--config FILE]

Re-runs the job of a finished (done) node through the running server
(POST /api/v1/nodes/NODE_ID/retry): a new node beside it, its retry counter raised; the old
node stays as it was. Needs a token with runs:write (SLUICE_TOKEN) unless the server is open
on loopback. Prints the new node's number (--json: the node).`,
  async run(argv, io) {
    const { values, positionals } = parse(argv, { ...CONFIG_OPTION, json: { type: 'boolean' } });
    const [id] = positionals;
    if (!id || positionals.length > 1 || !/^\d+$/.test(id))
      throw new UsageError('expected one NODE_ID (a number)');
    const config = cliConfig(values.config, io);
    return postAndPrint('retry', config, `/api/v1/nodes/${id}/retry`, undefined, io, {
      json: values.json,
      human: (n: NodeJson) =>
        `node ${n.id} re-runs ${n.name} (retry ${n.retry_count} of node ${n.retry_of}) in run ${n.run_id}\n` +
        `follow it with: sluice watch ${n.run_id}\n`,
    });
  },
};
