import type { Logger } from 'pino';
import type { CompiledConfig } from '../config/config-types.js';
import type { JobSettings, ScheduleSettings } from '../config/pipeline-types.js';
import type { NodeStore } from '../db/node-store.js';
import type { ResultSink } from '../intake/submit-result.js';
import { NodeTransitionError } from '../errors/node-transition-error.js';
import { ResultInputError } from '../errors/result-input-error.js';
import { RunInputError } from '../errors/run-input-error.js';
import { branchNameProblem } from '../pipeline/git-ref.js';
import { ciMessage, type CiStage, type CiState } from '../pipeline/ci-message.js';
import { matrixCombinations, matrixNodeName } from '../pipeline/job-matrix.js';
import { hasListeners, jobsFiredBy } from '../pipeline/job-trigger.js';
import type { KnownGoodSource } from '../pipeline/known-good-source.js';
import type { NodeMessage } from '../pipeline/node-message.js';
import { acceptsChildren, type NodeResult } from '../pipeline/node-state.js';
import type { ParsedTest } from '../pipeline/parsed-test.js';
import type { RunRequest } from '../pipeline/run-request.js';
import { imageName, type ImagePush } from '../pipeline/image-push.js';
import { PIPELINE_API, type NodeArtifact, type PipelineNode } from '../pipeline/pipeline-node.js';
import { planSweep, type SweepAction } from '../pipeline/sweep-plan.js';
import { renderTemplate, TemplateError, type TemplateValue } from '../pipeline/template.js';
import type { Outbox } from '../db/outbox.js';
import type { EnvironmentStore } from '../db/environment-store.js';
import { errorText } from '../errors/error-text.js';
import { JOB_CANCEL, JOB_QUEUED, type JobFinished, type JobStarted } from '../pipeline/job-messages.js';

/**
 * The pipeline's control plane: turns triggers into runs, node transitions into jobs, runner
 * reports into node updates, results and Fedora CI messages, and applies the sweeper's plan.
 * Synchronous: every method runs inside the caller's store transaction (a consumer's effect,
 * an API request's), so nodes, results and the messages announcing them commit together.
 */
export class PipelineEngine {
  constructor(
    private readonly nodes: NodeStore,
    private readonly outbox: Outbox,
    private readonly results: ResultSink,
    private readonly knownGood: KnownGoodSource,
    private readonly config: CompiledConfig,
    private readonly log: Logger,
    /** Read at each use: with port 0 the URL is known only once the server listens. */
    private readonly serverUrl: () => string,
    private readonly environments: EnvironmentStore,
  ) {}

  private get settings() {
    return this.config.pipeline;
  }

  /**
   * A run's root is its checkout node: created running, then available at once (Sluice does
   * not fetch sources; jobs do), so that jobs waiting for an available checkout start. A newer
   * revision supersedes the older runs of the branch when the repo says so. A branch name git
   * would refuse is refused (RunInputError), before anything is stored.
   */
  startRun(req: RunRequest, now = Date.now()): PipelineNode {
    const badBranch = branchNameProblem(req.branch);
    if (badBranch !== undefined) throw new RunInputError('branch', badBranch);
    const { checkout } = this.settings;
    const root = this.nodes.create(
      {
        kind: 'checkout',
        name: 'checkout',
        repo: req.repo,
        branch: req.branch,
        revision: req.revision,
        timeoutAt: now + checkout.timeoutSeconds * 1000,
        data: clean({
          namespace: req.namespace ?? null,
          author: req.author ?? null,
          message: req.message ?? null,
          changed_files: req.changedFiles ?? null,
          url: req.url ?? null,
          source: req.source,
        }),
      },
      now,
    );
    this.nodes.update(
      root.id,
      { state: 'available', result: 'pass', holdoffAt: now + checkout.holdoffSeconds * 1000 },
      now,
    );
    if (req.revision !== null && this.supersedes(req.repo, req.namespace ?? null)) {
      const older = this.nodes
        .list({ repo: req.repo, branch: req.branch, rootsOnly: true, limit: 100 })
        .filter(
          (n) =>
            n.id < root.id &&
            n.kind === 'checkout' &&
            n.state !== 'done' &&
            n.revision !== req.revision &&
            (n.data.namespace ?? null) === (req.namespace ?? null),
        );
      for (const old of older)
        this.cancelRun(old.runId, `superseded by run ${root.id} (revision ${req.revision})`, now);
    }
    return this.nodes.require(root.id);
  }

  /** A periodic run: a root node of the schedule's kind that jobs can start on. */
  startSchedule(schedule: ScheduleSettings, now = Date.now()): PipelineNode {
    const root = this.nodes.create(
      {
        kind: schedule.kind,
        name: schedule.name,
        timeoutAt: now + this.settings.checkout.timeoutSeconds * 1000,
        data: { source: 'schedule' },
      },
      now,
    );
    return this.nodes.update(
      root.id,
      { state: 'available', result: 'pass', holdoffAt: now + this.settings.checkout.holdoffSeconds * 1000 },
      now,
    ).node;
  }

  /**
   * A run on a pushed container image: its root is an `image` node (jobs start on
   * `on: {kind: image, state: available}`) whose repo is the image's repository (with its
   * registry), branch its tag and revision its digest; templates read the whole reference as
   * `{{ run.data.image }}`. Undefined when no job starts on images: a registry announces every
   * push, and runs with nothing to do would only pile up.
   */
  startImageRun(push: ImagePush, now = Date.now()): PipelineNode | undefined {
    if (!hasListeners({ kind: 'image', name: 'image', job: null }, this.settings.jobs)) return undefined;
    const repo = push.registry ? `${push.registry}/${push.repository}` : push.repository;
    const root = this.nodes.create(
      {
        kind: 'image',
        name: 'image',
        repo,
        branch: push.tag,
        revision: push.digest,
        timeoutAt: now + this.settings.checkout.timeoutSeconds * 1000,
        data: clean({
          image: imageName(push),
          registry: push.registry,
          repository: push.repository,
          tag: push.tag,
          digest: push.digest,
          author: push.actor,
          url: push.url,
          event_id: push.eventId,
          source: push.source,
        }),
      },
      now,
    );
    return this.nodes.update(
      root.id,
      { state: 'available', result: 'pass', holdoffAt: now + this.settings.checkout.holdoffSeconds * 1000 },
      now,
    ).node;
  }

  /** Starts the jobs a node's transition fires; returns the nodes created. */
  onNodeEvent(event: NodeMessage, now = Date.now()): PipelineNode[] {
    const admitted =
      event.state === 'done' && event.previous_state !== 'done' ? this.nodeEnded(event, now) : [];
    return [...admitted, ...this.jobsOf(event, now)];
  }

  private jobsOf(event: NodeMessage, now: number): PipelineNode[] {
    const parentOfJobs = () => this.nodes.get(event.id);
    const run = this.nodes.get(event.run_id);
    const changed = run?.data.changed_files;
    const fired = jobsFiredBy(
      {
        kind: event.kind,
        name: event.name,
        job: event.job,
        state: event.state,
        result: event.result,
        previousState: event.previous_state,
        repo: event.repo,
        branch: event.branch,
        changedFiles: Array.isArray(changed) ? (changed as string[]) : null,
      },
      this.settings.jobs,
    );
    if (fired.length === 0) return [];
    const parent = parentOfJobs();
    if (!parent || !acceptsChildren(parent.state)) {
      this.log.info(
        { nodeId: event.id, state: parent?.state },
        'node takes no children any more; its jobs are not started',
      );
      return [];
    }
    return fired.flatMap((job) =>
      matrixCombinations(job.matrix).map((combo) => this.queueJob(job, parent, combo, { now })),
    );
  }

  jobStarted(report: JobStarted, now = Date.now()): void {
    const node = this.nodes.get(report.node_id);
    if (node?.state !== 'running') {
      this.log.info(
        { nodeId: report.node_id, state: node?.state },
        'a job started for a node that is no longer running; ignored',
      );
      return;
    }
    this.nodes.update(
      node.id,
      {
        data: clean({
          builder: report.builder,
          started_at: report.started_at,
          pgid: report.pgid,
          workdir: report.workdir,
        }),
      },
      now,
    );
    this.publishCi(node, 'running', {}, now, report.builder);
  }

  /** A job's end: the node's result, outputs and artifacts; its test results; its CI message; a retry if it ended incomplete. */
  jobFinished(report: JobFinished, now = Date.now()): PipelineNode | undefined {
    const node = this.nodes.get(report.node_id);
    if (node?.state !== 'running') {
      // Timed out or cancelled meanwhile: that verdict stands.
      this.log.info(
        { nodeId: report.node_id, state: node?.state },
        'a job finished for a node that is no longer running; ignored',
      );
      return undefined;
    }
    const job = this.jobOf(node);
    const outputs = { ...node.data, ...report.data };
    const subject = job ? this.subjectOf(job, node, outputs) : undefined;
    const listened = hasListeners(node, this.settings.jobs);
    const artifacts: Record<string, NodeArtifact> = Object.fromEntries(
      report.artifacts.map((a) => [a.name, { size: a.size, sha256: a.sha256 }]),
    );
    const stored = subject
      ? this.storeTests(report.tests, subject, node)
      : { stored: 0, refused: [] as string[] };
    const data = clean({
      ...report.data,
      builder: report.builder,
      exit_code: report.exit_code,
      reason: report.reason,
      duration_ms: report.duration_ms,
      log_bytes: report.log_bytes,
      subject: subject ?? null,
      tests: report.tests.length ? summarize(report.tests) : undefined,
      results_stored: stored.stored,
      results_refused: stored.refused.length ? stored.refused : undefined,
      results_not_stored:
        !subject && report.tests.length
          ? 'the job has no subject item, so its test results were not stored'
          : undefined,
    });
    const { node: updated } = this.nodes.update(
      node.id,
      listened
        ? {
            state: 'available',
            result: report.status,
            holdoffAt: now + (job?.holdoffSeconds ?? 0) * 1000,
            artifacts,
            data,
          }
        : { state: 'done', result: report.status, artifacts, data },
      now,
    );
    this.publishCi(
      updated,
      'complete',
      { result: report.status, reason: report.reason },
      now,
      report.builder,
    );
    if (report.status === 'incomplete' && job && node.retryCount < job.retries && node.parentId !== null) {
      const parent = this.nodes.require(node.parentId);
      this.queueJob(job, parent, matrixOf(node), { now, retryOf: node, anyParentState: true });
    }
    return updated;
  }

  /** Re-runs a finished job as a new node beside it, its retry counter raised; the old node stays as it was. */
  retry(nodeId: number, now = Date.now()): PipelineNode {
    const node = this.nodes.require(nodeId);
    if (node.job === null || node.parentId === null)
      throw new RunInputError(
        'node',
        `node ${nodeId} is a ${node.kind} node, not a job: only jobs can be re-run`,
      );
    if (node.state !== 'done')
      throw new NodeTransitionError(
        'NODE_TRANSITION_ILLEGAL',
        `node ${nodeId} is ${node.state}: only a finished (done) job can be re-run`,
      );
    const job = this.jobOf(node);
    if (!job) throw new RunInputError('job', `job "${node.job}" of node ${nodeId} is no longer configured`);
    return this.queueJob(job, this.nodes.require(node.parentId), matrixOf(node), {
      now,
      retryOf: node,
      anyParentState: true,
    });
  }

  /** Ends every unfinished node of a run (incomplete unless it has a result) and kills its running jobs. */
  cancelRun(runId: number, reason: string, now = Date.now()): number {
    const open = this.nodes.list({ runId, limit: 100000 }).filter((n) => n.state !== 'done');
    for (const n of open.sort((a, b) => b.path.length - a.path.length)) {
      const { node } = this.nodes.update(
        n.id,
        { state: 'done', ...(n.result === null ? { result: 'incomplete' as const } : {}), data: { reason } },
        now,
      );
      if (n.job !== null && n.state === 'running') {
        this.outbox.add(JOB_CANCEL, { node_id: n.id, reason });
        this.publishCi(node, 'error', { reason }, now, (n.data.builder as string | undefined) ?? null);
      }
    }
    return open.length;
  }

  /** One pass of the timeout service; returns what it did. */
  sweep(now = Date.now()): SweepAction[] {
    const open = this.nodes.open();
    const plan = planSweep(
      open.map((n) => ({
        id: n.id,
        parentId: n.parentId,
        depth: n.path.length,
        job: n.job,
        state: n.state as Exclude<typeof n.state, 'done'>,
        result: n.result,
        timeoutAt: n.timeoutAt,
        holdoffAt: n.holdoffAt,
      })),
      now,
    );
    const byId = new Map(open.map((n) => [n.id, n]));
    const done: SweepAction[] = [];
    for (const action of plan) {
      const before = byId.get(action.id)!;
      const reason =
        action.reason === 'timeout'
          ? `timed out after ${Math.round(((before.timeoutAt ?? now) - before.createdAt) / 1000)} s`
          : action.reason === 'ancestor-timeout'
            ? 'an ancestor node timed out'
            : undefined;
      try {
        const { node } = this.nodes.update(
          action.id,
          {
            state: action.state,
            ...(action.result ? { result: action.result } : {}),
            ...(reason ? { data: { reason } } : {}),
          },
          now,
        );
        if (action.cancelJob) {
          this.outbox.add(JOB_CANCEL, { node_id: node.id, reason: reason ?? 'timed out' });
          this.publishCi(
            node,
            'error',
            { reason: reason ?? 'timed out' },
            now,
            (before.data.builder as string | undefined) ?? null,
          );
        }
        done.push(action);
      } catch (err) {
        if (!(err instanceof NodeTransitionError)) throw err;
        this.log.warn({ nodeId: action.id, err: err.message }, 'sweep step no longer applies');
      }
    }
    return done;
  }

  private queueJob(
    job: JobSettings,
    parent: PipelineNode,
    combo: Record<string, string>,
    opts: { now: number; retryOf?: PipelineNode; anyParentState?: boolean },
  ): PipelineNode {
    const { now, retryOf } = opts;
    const run = parent.runId === parent.id ? parent : this.nodes.require(parent.runId);
    const retryCount = retryOf ? retryOf.retryCount + 1 : 0;
    let rendered: { command: string; runsOn: string[]; knownGood?: string[] } | undefined;
    let problem: string | undefined;
    const node = this.nodes.create(
      {
        parentId: parent.id,
        kind: job.kind,
        name: matrixNodeName(job.name, combo),
        job: job.name,
        timeoutAt: now + (job.timeoutSeconds + this.settings.timeoutGraceSeconds) * 1000,
        retryCount,
        retryOf: retryOf?.id ?? null,
        anyParentState: opts.anyParentState ?? false,
        data: (id) => {
          try {
            rendered = this.render(job, { id, retryCount }, parent, run, combo);
          } catch (err) {
            problem = this.cannotStart(job, err);
          }
          return clean({
            matrix: Object.keys(combo).length ? combo : undefined,
            command: rendered?.command,
            runs_on: rendered?.runsOn,
            known_good: rendered?.knownGood,
          });
        },
      },
      now,
    );
    if (rendered) {
      const queued = {
        node_id: node.id,
        run_id: node.runId,
        job: job.name,
        attempt: retryCount + 1,
        command: rendered.command,
        env: job.env,
        timeout_s: job.timeoutSeconds,
        deadline: new Date(now + job.timeoutSeconds * 1000).toISOString(),
        runs_on: rendered.runsOn,
        artifacts: job.artifacts,
        results: { parser: job.results.parser, files: job.results.files },
      };
      try {
        if (job.environment && !this.environments.acquire(job.environment, node.id, now)) {
          // Its turn comes when the environment's holder ends (nodeEnded): no timeout while it waits.
          this.environments.wait(
            job.environment,
            {
              nodeId: node.id,
              message: queued,
              timeoutMs: (job.timeoutSeconds + this.settings.timeoutGraceSeconds) * 1000,
            },
            now,
          );
          this.nodes.update(
            node.id,
            {
              timeoutAt: null,
              data: {
                environment: job.environment,
                waiting_for: `environment ${job.environment}, held by node ${this.environments.holder(job.environment)}`,
              },
            },
            now,
          );
        } else {
          // Validated before it is stored: a refused message adds nothing.
          this.outbox.add(JOB_QUEUED, queued);
          if (job.environment) this.nodes.update(node.id, { data: { environment: job.environment } }, now);
        }
      } catch (err) {
        problem = this.cannotStart(job, err);
      }
    }
    if (problem !== undefined) {
      // The node ends here, saying why; the run goes on without it (never half-started).
      this.nodes.update(node.id, { state: 'done', result: 'incomplete', data: { reason: problem } }, now);
      return this.nodes.require(node.id);
    }
    try {
      this.publishCi(node, 'queued', {}, now, null);
    } catch (err) {
      // The job is queued; an announcement that cannot be made must not undo it.
      this.log.warn(
        { nodeId: node.id, job: job.name, err: errorText(err) },
        'the CI "queued" message for a job could not be made',
      );
    }
    return node;
  }

  /**
   * A node became done: a passing deployment is recorded, its environment is free, and the next
   * job waiting for that environment is dispatched now, with its timeout counted from now.
   * Returns the nodes dispatched.
   */
  private nodeEnded(event: NodeMessage, now: number): PipelineNode[] {
    const job = event.job ? this.settings.jobs.find((j) => j.name === event.job) : undefined;
    const node = this.nodes.get(event.id);
    if (job?.environment && node && event.result === 'pass') {
      const run = this.nodes.get(node.runId);
      const subject =
        (job.subject.item && this.subjectOf(job, node, node.data)?.item) ||
        (typeof run?.data.image === 'string' ? run.data.image : null) ||
        `${run?.repo ?? node.repo ?? ''}${run?.revision ? `@${run.revision}` : ''}`;
      this.environments.recordDeployment(
        { nodeId: node.id, runId: node.runId, environment: job.environment, job: job.name, subject },
        now,
      );
    }
    const admitted: PipelineNode[] = [];
    for (const environment of this.environments.finished(event.id)) {
      for (;;) {
        const next = this.environments.admitNext(environment, now);
        if (!next) break;
        const waiting = this.nodes.get(next.nodeId);
        // Cancelled or timed out while it waited: the environment goes to the one after it.
        if (waiting?.state !== 'running') {
          this.environments.finished(next.nodeId);
          continue;
        }
        const timeoutS = Number(next.message.timeout_s);
        this.outbox.add(JOB_QUEUED, {
          ...next.message,
          deadline: new Date(now + timeoutS * 1000).toISOString(),
        });
        admitted.push(
          this.nodes.update(waiting.id, { timeoutAt: now + next.timeoutMs, data: { waiting_for: null } }, now)
            .node,
        );
        break;
      }
    }
    return admitted;
  }

  /** The reason a node carries when its job could not be started. */
  private cannotStart(job: JobSettings, err: unknown): string {
    if (!(err instanceof TemplateError))
      this.log.warn(
        { job: job.name, err: errorText(err) },
        'a job could not be started; its node ends incomplete',
      );
    return `the job cannot start: ${errorText(err)}`;
  }

  private render(
    job: JobSettings,
    self: { id: number; retryCount: number },
    parent: PipelineNode,
    run: PipelineNode,
    combo: Record<string, string>,
  ) {
    let knownGood: string[] | undefined;
    const base = this.lookup(parent, run, combo, {
      node_id: String(self.id),
      job: job.name,
      attempt: String(self.retryCount + 1),
    });
    const lookup = (name: string): TemplateValue | undefined => {
      if (name === 'known_good' && job.knownGood) {
        const { release, decisionContext, productVersion } = job.knownGood;
        // The compiled settings always have a product version (pipeline/compile-pipeline.ts).
        knownGood ??= this.knownGood.knownGood({
          release,
          decisionContext,
          productVersion: productVersion ?? '',
          candidate: this.candidateOf(parent),
        });
        return knownGood;
      }
      return base(name);
    };
    const command = renderTemplate(job.command, lookup, 'shell');
    const runsOn = job.runsOn.map((l) => renderTemplate(l, lookup, 'plain'));
    return { command, runsOn, ...(knownGood ? { knownGood } : {}) };
  }

  /** The values templates may use around a node: its change, its parent's outputs, its matrix. */
  private lookup(
    parent: PipelineNode | undefined,
    run: PipelineNode,
    combo: Record<string, string>,
    own: Record<string, string>,
    ownData?: Record<string, unknown>,
  ) {
    const serverUrl = this.serverUrl();
    return (name: string): TemplateValue | undefined => {
      if (Object.hasOwn(own, name)) return own[name];
      switch (name) {
        case 'repo':
          return run.repo ?? '';
        case 'branch':
          return run.branch ?? '';
        case 'revision':
          return run.revision ?? '';
        case 'namespace':
          return typeof run.data.namespace === 'string' ? run.data.namespace : '';
        case 'run_id':
          return String(run.id);
        case 'parent_id':
          return parent ? String(parent.id) : undefined;
        case 'server_url':
          return serverUrl;
        case 'parent.artifacts_url':
          return parent ? `${serverUrl}${PIPELINE_API}/nodes/${parent.id}/artifacts` : undefined;
        case 'parent.artifact_urls':
          return parent
            ? Object.keys(parent.artifacts).map(
                (a) =>
                  `${serverUrl}${PIPELINE_API}/nodes/${parent.id}/artifacts/${a.split('/').map(encodeURIComponent).join('/')}`,
              )
            : undefined;
      }
      if (name.startsWith('matrix.')) return combo[name.slice(7)];
      if (name.startsWith('parent.data.')) return scalar(parent?.data[name.slice(12)]);
      if (name.startsWith('run.data.')) return scalar(run.data[name.slice(9)]);
      if (name.startsWith('data.') && ownData) return scalar(ownData[name.slice(5)]);
      return undefined;
    };
  }

  /** The job's subject (item + type), or undefined while its item cannot be rendered yet. */
  private subjectOf(
    job: JobSettings,
    node: PipelineNode,
    data: Record<string, unknown>,
  ): { type: string; item: string } | undefined {
    if (!job.subject.item) return undefined;
    const parent = node.parentId !== null ? this.nodes.get(node.parentId) : undefined;
    const run = node.runId === node.id ? node : this.nodes.require(node.runId);
    try {
      const item = renderTemplate(
        job.subject.item,
        this.lookup(
          parent,
          run,
          matrixOf(node),
          { node_id: String(node.id), job: job.name, attempt: String(node.retryCount + 1) },
          data,
        ),
        'plain',
      ).trim();
      return item ? { type: job.subject.type, item } : undefined;
    } catch (err) {
      if (err instanceof TemplateError) return undefined;
      throw err;
    }
  }

  /** The build a compose is for: the nearest ancestor whose subject is a koji build. */
  private candidateOf(node: PipelineNode | undefined): string | null {
    for (let n = node; n; n = n.parentId !== null ? this.nodes.get(n.parentId) : undefined) {
      const s = n.data.subject as { type?: string; item?: string } | undefined;
      if (s?.type === 'koji_build' && s.item) return s.item;
    }
    return null;
  }

  private storeTests(
    tests: ParsedTest[],
    subject: { type: string; item: string },
    node: PipelineNode,
  ): { stored: number; refused: string[] } {
    const job = this.jobOf(node);
    const prefix = `${job?.ci.namespace ?? 'sluice'}.${job?.ci.type ?? node.job}`;
    const refused: string[] = [];
    let stored = 0;
    const href = `${this.serverUrl()}${PIPELINE_API}/nodes/${node.id}`;
    for (const t of tests) {
      try {
        this.results.submit({
          testcase: `${prefix}.${t.name}`,
          outcome: t.outcome,
          ...(t.note ? { note: t.note } : {}),
          ref_url: href,
          data: clean({
            item: subject.item,
            type: subject.type,
            node_id: String(node.id),
            run_id: String(node.runId),
            job: node.job,
            ...matrixOf(node),
            duration_s: t.duration_s?.toString(),
          }),
        });
        stored++;
      } catch (err) {
        if (!(err instanceof ResultInputError)) throw err;
        refused.push(`${t.name}: ${err.message}`);
      }
    }
    return { stored, refused };
  }

  private publishCi(
    node: PipelineNode,
    state: CiState,
    outcome: { result?: NodeResult | null; reason?: string | null },
    now: number,
    builder: string | null,
  ): void {
    const job = this.jobOf(node);
    if (!job) return;
    const subject =
      (node.data.subject as { type: string; item: string } | undefined) ??
      this.subjectOf(job, node, node.data);
    if (!subject) return;
    const run = this.nodes.get(node.runId);
    const stage: CiStage = {
      contact: this.settings.contact,
      nodeUrl: `${this.serverUrl()}${PIPELINE_API}/nodes/${node.id}`,
      nodeId: node.id,
      runId: node.runId,
      job: job.name,
      event: job.kind === 'build' ? 'build' : 'test',
      ci: { namespace: job.ci.namespace, type: job.ci.type ?? job.name, category: job.ci.category },
      subject,
      issuer:
        typeof run?.data.author === 'string' && /^\S+$/.test(run.data.author) ? run.data.author : 'sluice',
      component: run?.repo ?? subject.item,
      architecture: matrixOf(node).arch ?? 'noarch',
      builder,
    };
    const msg = ciMessage(stage, state, outcome, now);
    if (msg) this.outbox.addNamed(msg.topic, msg.body);
  }

  private jobOf(node: PipelineNode): JobSettings | undefined {
    return node.job === null ? undefined : this.settings.jobs.find((j) => j.name === node.job);
  }

  private supersedes(repo: string, namespace: string | null): boolean {
    const r = this.settings.repos.find(
      (x) => x.name === repo && (x.namespace === null || x.namespace === namespace),
    );
    return r?.supersede ?? this.settings.supersede;
  }
}

function matrixOf(node: PipelineNode): Record<string, string> {
  return (node.data.matrix as Record<string, string> | undefined) ?? {};
}

function scalar(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}

function summarize(tests: ParsedTest[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of tests) out[t.outcome] = (out[t.outcome] ?? 0) + 1;
  return out;
}

/** Drops undefined values, so stored data says only what is known. */
function clean<T extends Record<string, unknown>>(o: T): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
