import type { CompiledConfig } from '../config/config-types.js';
import type { NodeStore } from '../db/node-store.js';
import type { Outbox } from '../db/outbox.js';
import type { ResultsStore } from '../db/results-store.js';
import type { PipelineNode } from '../pipeline/pipeline-node.js';
import { jobOfTestcase, nodeIdOfResult, type RetriggerTarget } from '../pipeline/retrigger-plan.js';
import { type RetriggerAnswer, TESTS_RETRIGGERED } from '../pipeline/retrigger-message.js';
import type { PipelineEngine } from './pipeline-engine.js';

/** How far back a test case with no result yet is looked for among the newest job nodes. */
const SCAN_NODES = 5000;

/**
 * Re-queues the jobs behind required results (Bodhi's and Fedora CI's re-trigger): each target's
 * job node is found through its result (the node it names) or, for a result still missing, as
 * the newest node of the job whose test cases it would be, for the same subject. Each job runs
 * again once, as a new attempt beside its last one; the announcement commits with the nodes.
 * Call inside a store transaction.
 */
export class Retrigger {
  constructor(
    private readonly nodes: NodeStore,
    private readonly results: ResultsStore,
    private readonly engine: PipelineEngine,
    private readonly outbox: Outbox,
    private readonly config: CompiledConfig,
  ) {}

  run(
    targets: readonly RetriggerTarget[],
    about: { update_id: string | null; subject: { type: string; item: string } | null },
    agent: string,
    all: boolean,
    now = Date.now(),
  ): RetriggerAnswer {
    const answer: RetriggerAnswer = { requeued: [], not_requeued: [] };
    const byNode = new Map<number, RetriggerAnswer['requeued'][number]>();
    let recent: PipelineNode[] | undefined;
    for (const t of targets) {
      const refuse = (reason: string) =>
        answer.not_requeued.push({ testcase: t.testcase, item: t.item, reason });
      let node: PipelineNode | undefined;
      if (t.resultId !== null) {
        const result = this.results.getResult(t.resultId);
        const id = result ? nodeIdOfResult(result) : null;
        node = id !== null ? this.nodes.get(id) : undefined;
        if (!node) {
          refuse(`result ${t.resultId} did not come from a job of this pipeline`);
          continue;
        }
      } else {
        const job = jobOfTestcase(this.config.pipeline.jobs, t.testcase);
        if (!job) {
          refuse('no configured job reports this test case');
          continue;
        }
        recent ??= this.nodes.list({ limit: SCAN_NODES });
        node = recent.find((n) => {
          const s = n.data.subject as { type?: string; item?: string } | undefined;
          return n.job === job.name && s?.item === t.item && s.type === t.type;
        });
        if (!node) {
          refuse(`job ${job.name} has not run for ${t.item}`);
          continue;
        }
      }
      const last = this.lastAttempt(node);
      const done = byNode.get(last.id);
      if (done) {
        done.testcases.push(t.testcase);
        continue;
      }
      if (last.job === null) {
        refuse(`node ${last.id} is a ${last.kind}, not a job`);
        continue;
      }
      if (last.state !== 'done') {
        refuse(`job ${last.job} (node ${last.id}) has not finished yet`);
        continue;
      }
      const again = this.engine.retry(last.id, now);
      const entry = {
        node_id: again.id,
        retry_of: last.id,
        job: last.job,
        run_id: again.runId,
        testcases: [t.testcase],
      };
      // Another test case of the same job finds the new attempt as its job's last one.
      byNode.set(again.id, entry);
      answer.requeued.push(entry);
    }
    if (answer.requeued.length)
      this.outbox.add(TESTS_RETRIGGERED, {
        update_id: about.update_id,
        subject: about.subject,
        agent,
        all,
        requeued: answer.requeued,
        not_requeued: answer.not_requeued,
        retriggered_at: new Date(now).toISOString(),
      });
    return answer;
  }

  /** The newest attempt of a node's job (a node re-run by hand or by retries has a successor). */
  private lastAttempt(node: PipelineNode): PipelineNode {
    const run = this.nodes.list({ runId: node.runId, limit: 100_000 });
    let last = node;
    for (
      let next = run.find((n) => n.retryOf === last.id);
      next;
      next = run.find((n) => n.retryOf === last.id)
    )
      last = next;
    return last;
  }
}
