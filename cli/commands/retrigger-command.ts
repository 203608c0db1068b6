import { CONFIG_OPTION, cliConfig, parse } from '../cli-context.js';
import { postAndPrint } from '../server-post.js';
import { UsageError, type Command } from '../command.js';

export const retriggerCommand: Command = {
  name: 'retrigger',
  summary: "run again the jobs behind a subject's or an update's gating results",
  usage: `sluice retrigger SUBJECT [--type TYPE] [--all] [--config FILE]
sluice retrigger --update ID [--all] [--config FILE]

Re-queues, through the running server, the jobs whose results gate SUBJECT (an item such as
an NVR; --type koji_build unless given) or the update ID: those whose latest result failed
(for an update: its unsatisfied requirements, missing ones included), or every one with
--all. Each job runs again as a new node beside its last attempt, and the server publishes
pipeline.tests.retriggered. Needs a token with runs:write (SLUICE_TOKEN) unless the server is
open on loopback. Prints which jobs were queued again and which could not be, and why.`,
  async run(argv, io) {
    const { values, positionals } = parse(argv, {
      ...CONFIG_OPTION,
      type: { type: 'string', short: 't' },
      update: { type: 'string', short: 'u' },
      all: { type: 'boolean' },
    });
    const config = cliConfig(values.config, io);
    const query = values.all ? '?all=true' : '';
    if (values.update !== undefined) {
      if (positionals.length || values.type !== undefined)
        throw new UsageError('--update takes no SUBJECT and no --type');
      return postAndPrint(
        'retrigger',
        config,
        `/api/v1/updates/${encodeURIComponent(values.update)}/retrigger${query}`,
        undefined,
        io,
      );
    }
    const [item] = positionals;
    if (!item || positionals.length > 1) throw new UsageError('expected one SUBJECT (or --update ID)');
    return postAndPrint(
      'retrigger',
      config,
      `/api/v1/subjects/retrigger${query}`,
      { subject_type: values.type ?? 'koji_build', subject_identifier: item },
      io,
    );
  },
};
