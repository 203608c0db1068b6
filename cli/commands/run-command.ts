import { CONFIG_OPTION, cliConfig, parse } from '../cli-context.js';
import { postAndPrint } from '../server-post.js';
import { UsageError, type Command } from '../command.js';
import type { NodeJson } from '../../pipeline/pipeline-node.js';

export const runCommand: Command = {
  name: 'run',
  summary: 'start a pipeline run of a repo and branch by hand',
  usage: `sluice run REPO BRANCH [REVISION] [--namespace NS] [--json] [--config FILE]

Starts a run through the running server (POST /api/v1/runs), as a push would: a checkout node
for REPO and BRANCH at REVISION, whose jobs then start as the pipeline says. Without REVISION
the server reads the branch's head from the repo's url (pipeline.repos), or runs with none
when the repo has no url (the demo: sluice run demo main). Needs a token with runs:write
(SLUICE_TOKEN) unless the server is open on loopback. Prints the run's number and how to
follow it; --json prints the run's root node. A repo that no pipeline job starts on is refused
(with the closest repos the pipeline knows): such a run would do nothing.`,
  async run(argv, io) {
    const { values, positionals } = parse(argv, {
      ...CONFIG_OPTION,
      namespace: { type: 'string' },
      json: { type: 'boolean' },
    });
    const [repo, branch, revision] = positionals;
    if (!repo || !branch || positionals.length > 3)
      throw new UsageError('expected REPO BRANCH and at most a REVISION');
    const config = cliConfig(values.config, io);
    return postAndPrint(
      'run',
      config,
      '/api/v1/runs',
      {
        repo,
        branch,
        ...(revision ? { revision } : {}),
        ...(values.namespace ? { namespace: values.namespace } : {}),
      },
      io,
      {
        json: values.json,
        human: (run: NodeJson) =>
          `run ${run.run_id} started: ${run.repo} ${run.branch}${run.revision ? ` at ${run.revision}` : ''}\n` +
          `follow it with: sluice watch ${run.run_id}\n`,
      },
    );
  },
};
