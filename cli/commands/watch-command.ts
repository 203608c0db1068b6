import type { NodeJson } from '../../pipeline/pipeline-node.js';
import { CONFIG_OPTION, cliConfig, parse, serverRequest, writeLine } from '../cli-context.js';
import { UsageError, type Command } from '../command.js';
import { readEvents } from '../event-stream.js';
import { formatSeconds, jobSeconds, renderTree, summarizeRun } from '../run-view.js';
import { fetchJson } from '../server-get.js';

const POLL_MS = 2000;
const REDRAW_MS = 1000;

export const watchCommand: Command = {
  name: 'watch',
  summary: "follow a pipeline run's jobs until the run is done",
  usage: `sluice watch RUN [--json] [--config FILE]

Follows run RUN (its number, as "sluice run" and "sluice runs" print it) on the running server
until every node of it is done. On a terminal it draws the run's node tree and redraws it as
states change, with each job's elapsed time; otherwise it prints one line per node as the node
gets its result, and a last line with the run's outcome. --json prints each node (the API's
JSON) whenever it changes. Changes come from the server's event stream (pipeline.node.*).
Exit status: 0 when the run passed, 1 when a job failed.`,
  async run(argv, io) {
    const { values, positionals } = parse(argv, { ...CONFIG_OPTION, json: { type: 'boolean' } });
    const [id, ...rest] = positionals;
    if (!id || rest.length || !/^\d+$/.test(id)) throw new UsageError('expected one RUN (a number)');
    const config = cliConfig(values.config, io);
    const runId = Number(id);
    const tty = !values.json && (io.stdout as { isTTY?: boolean }).isTTY === true;

    // Listen first, then read the run: a change between the two is then not missed.
    const abort = new AbortController();
    let wake: () => void = () => {};
    const stream = await serverRequest(config, '/api/v1/events?topic=pipeline.node.%23', {
      signal: abort.signal,
      headers: { accept: 'text/event-stream' },
    });
    const following =
      stream.status === 200
        ? readEvents(stream.body as AsyncIterable<Uint8Array>, (_id, e) => {
            if ((e.body as { run_id?: unknown } | null)?.run_id === runId) wake();
          }).catch(() => undefined)
        : Promise.resolve();

    const seen = new Map<number, string>();
    let drawnLines = 0;
    const show = (nodes: NodeJson[], final: boolean) => {
      if (tty) {
        const s = summarizeRun(nodes);
        const frame = `run ${runId}  ${s.repo} ${s.branch}  ${s.status}  ${formatSeconds(s.seconds)}\n${renderTree(nodes)}`;
        // Up to the first line of the last frame, clear below, draw again.
        io.stdout.write(`${drawnLines ? `\x1b[${drawnLines}A\x1b[J` : ''}${frame}`);
        drawnLines = final ? 0 : frame.split('\n').length - 1;
        return;
      }
      for (const n of [...nodes].sort((a, b) => a.id - b.id)) {
        const key = values.json ? `${n.state} ${n.result} ${n.updated}` : String(n.result);
        if (seen.get(n.id) === key || (!values.json && n.result === null)) continue;
        seen.set(n.id, key);
        if (values.json) {
          writeLine(io.stdout, n);
          continue;
        }
        const seconds = jobSeconds(n);
        io.stdout.write(
          `${n.result!.padEnd(10)} ${n.path.join('/')}${seconds === null ? '' : `  ${formatSeconds(seconds)}`}\n`,
        );
      }
    };

    try {
      for (;;) {
        const run = await fetchJson<NodeJson & { parent_id: number | null; nodes: NodeJson[] }>(
          config,
          `/api/v1/runs/${runId}`,
        );
        const summary = summarizeRun(run.nodes);
        const done = summary.status !== 'running';
        show(run.nodes, done);
        if (done) {
          if (!values.json)
            io.stdout.write(
              `run ${runId} ${summary.status} in ${formatSeconds(summary.seconds)}` +
                `${summary.failures.length ? ` (failed: ${summary.failures.join(', ')})` : ''}\n`,
            );
          return summary.status === 'passed' ? 0 : 1;
        }
        const woken = new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, tty ? REDRAW_MS : POLL_MS);
        });
        const stop = await Promise.race([woken.then(() => false), io.interrupted.then(() => true)]);
        if (stop) return 130;
      }
    } finally {
      abort.abort();
      await following;
    }
  },
};
