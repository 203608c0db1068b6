import { CONFIG_OPTION, cliConfig, parse } from '../cli-context.js';
import { postAndPrint } from '../server-post.js';
import { UsageError, type Command } from '../command.js';

export const retryCommand: Command = {
  name: 'retry',
  summary: 're-run a finished pipeline job as a new node',
  usage: `sluice retry NODE_ID [--config FILE]

Re-runs the job of a finished (done) node through the running server
(POST /api/v1/nodes/NODE_ID/retry): a new node beside it, its retry counter raised; the old
node stays as it was. Needs a token with runs:write (SLUICE_TOKEN) unless the server is open
on loopback. Prints the new node.`,
  async run(argv, io) {
    const { values, positionals } = parse(argv, CONFIG_OPTION);
    const [id] = positionals;
    if (!id || positionals.length > 1 || !/^\d+$/.test(id))
      throw new UsageError('expected one NODE_ID (a number)');
    const config = cliConfig(values.config, io);
    return postAndPrint('retry', config, `/api/v1/nodes/${id}/retry`, undefined, io);
  },
};
