import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { errorText } from '../errors/error-text.js';
import type { RunnerSettings } from '../config/pipeline-types.js';
import { ResultsParseError } from '../errors/results-parse-error.js';
import { matchesAny } from '../pipeline/glob.js';
import { DEFAULT_RESULT_FILES, jobVerdict } from '../pipeline/job-verdict.js';
import { applyQuarantine } from '../pipeline/quarantine.js';
import type { NodeResult } from '../pipeline/node-state.js';
import { parseJunit } from '../pipeline/parse-junit.js';
import { parseStiResults, parseStiTestLog } from '../pipeline/parse-sti.js';
import type { ParsedTest } from '../pipeline/parsed-test.js';
import type { Builder, BuilderConnection, ExecExit } from './builder.js';
import type { JobRequest } from './job-request.js';
import {
  cleanupScript,
  jobScript,
  killScript,
  listScript,
  parseFileList,
  parseJobData,
  SETUP_FAILED,
  START_MARKER,
} from './job-script.js';

export interface JobIo {
  /** Aborted to cancel the job; its reason says why. */
  signal: AbortSignal;
  onStarted(info: { pgid: number; workdir: string }): void;
  onOutput(chunk: Buffer): void;
}

export interface JobOutcome {
  status: NodeResult;
  exitCode: number | null;
  reason: string | null;
  data: Record<string, string>;
  artifacts: Array<{ name: string; size: number; sha256: string }>;
  tests: ParsedTest[];
  /** Set when a timeout or cancel killed the process group; `verified` = nothing of it was left. */
  killed: { why: string; verified: boolean } | null;
  /** The connection broke under the job: the builder should be set aside. */
  lost: unknown;
}

/**
 * One job on one builder, start to end: the command in its own working directory and process
 * group, output streamed, a timeout (and a cancel) that kills the whole process group and
 * checks it is gone, then the job's outputs collected (data, artifacts, results) and its
 * working directory removed.
 */
export async function runJob(
  conn: BuilderConnection,
  builder: Builder,
  req: JobRequest,
  io: JobIo,
  limits: RunnerSettings,
  artifactsDir: string,
): Promise<JobOutcome> {
  let started: { pgid: number; workdir: string } | undefined;
  let head: Buffer = Buffer.alloc(0);
  let markerSeen = false;
  let markStarted!: () => void;
  const startedOrOver = new Promise<void>((r) => (markStarted = r));
  const onOutput = (chunk: Buffer) => {
    if (markerSeen) return io.onOutput(chunk);
    head = Buffer.concat([head, chunk]);
    const nl = head.indexOf(10);
    if (nl < 0 && head.length < 4096) return;
    markerSeen = true;
    const line = head.subarray(0, nl < 0 ? head.length : nl).toString('utf8');
    if (line.startsWith(START_MARKER)) {
      const [pgid, ...wd] = line.slice(START_MARKER.length).split(' ');
      started = { pgid: Number(pgid), workdir: wd.join(' ') };
      io.onStarted(started);
      markStarted();
      if (head.length > nl + 1) io.onOutput(head.subarray(nl + 1));
    } else io.onOutput(head);
  };

  let killed: JobOutcome['killed'] = null;
  let killing: Promise<void> | undefined;
  const stop = (why: string) => {
    if (killed) return;
    killed = { why, verified: false };
    const k = killed;
    killing = (async () => {
      await startedOrOver;
      if (!started) return;
      try {
        const { exit } = await conn.exec(killScript(started.pgid, limits.killGraceMs));
        k.verified = (await exit).code === 0;
      } catch {
        // the connection went; verified stays false and the reason says so
      }
    })();
  };

  let exit: ExecExit | undefined;
  let lost: unknown;
  const timer = setTimeout(
    () => stop(`timed out after ${Math.round(req.timeoutMs / 1000)} s`),
    req.timeoutMs,
  );
  const onAbort = () => stop(String(io.signal.reason ?? 'cancelled'));
  io.signal.addEventListener('abort', onAbort);
  try {
    if (io.signal.aborted) onAbort();
    const handle = await conn.exec(jobScript(req.command, req.env, builder.workRoot), onOutput);
    exit = await handle.exit;
  } catch (err) {
    lost = err;
  } finally {
    clearTimeout(timer);
    io.signal.removeEventListener('abort', onAbort);
    if (!markerSeen && head.length) io.onOutput(head);
    markStarted();
    await killing;
  }

  const outcome: JobOutcome = {
    status: 'incomplete',
    exitCode: exit?.code ?? null,
    reason: null,
    data: {},
    artifacts: [],
    tests: [],
    killed,
    lost,
  };
  if (lost) {
    outcome.reason = `the builder ${builder.name} was lost while the job ran: ${errorText(lost)}`;
    return outcome;
  }
  const problems: string[] = [];
  let tests: ParsedTest[] | undefined;
  if (started) {
    const wd = started.workdir;
    try {
      const files = await listFiles(conn, wd);
      outcome.data = parseJobData(
        (await conn.readFile(`${wd}/.sluice-data`, 1 << 20))?.toString('utf8') ?? '',
      );
      for (const f of files.filter((x) => req.artifacts.length && matchesAny(x.path, req.artifacts, true))) {
        if (f.size > limits.maxArtifactBytes) {
          problems.push(
            `artifact ${f.path} is ${f.size} bytes, over the limit of ${limits.maxArtifactBytes}`,
          );
          continue;
        }
        const local = path.join(artifactsDir, String(req.nodeId), f.path);
        await conn.fetchFile(`${wd}/${f.path}`, local);
        outcome.artifacts.push({ name: f.path, size: f.size, sha256: await sha256(local) });
      }
      if (!killed) {
        tests = await readResults(conn, wd, files, req, limits, problems);
        if (tests) tests = applyQuarantine(tests, req.results.quarantine ?? []);
      }
    } catch (err) {
      problems.push(`collecting the job's outputs failed: ${errorText(err)}`);
    }
    try {
      await (await conn.exec(cleanupScript(wd))).exit;
    } catch {
      // the builder went away; its temporary directory is its own to clean
    }
  }
  outcome.tests = tests ?? [];
  if (killed) {
    const k = killed as { why: string; verified: boolean };
    outcome.reason = `${k.why}; ${k.verified ? 'its process group was killed' : 'its process group could NOT be verified gone'}`;
  } else if (!started) {
    outcome.reason =
      exit?.code === SETUP_FAILED
        ? `the job's working directory could not be made on ${builder.name}`
        : `the job did not start on ${builder.name} (exit ${exit?.code ?? exit?.signal})`;
  } else if (exit?.code === null || exit?.code === undefined) {
    outcome.status = 'fail';
    outcome.reason = `the command was ended by signal ${exit?.signal ?? 'unknown'}`;
  } else if (problems.length) {
    outcome.reason = problems.join('; ');
  } else {
    const verdict = jobVerdict(req.results.parser, exit.code, tests);
    outcome.status = verdict.result;
    outcome.reason = verdict.reason;
  }
  return outcome;
}

async function listFiles(
  conn: BuilderConnection,
  wd: string,
): Promise<Array<{ path: string; size: number }>> {
  const chunks: Buffer[] = [];
  const { exit } = await conn.exec(listScript(wd), (c) => chunks.push(c));
  const e = await exit;
  if (e.code !== 0) throw new Error(`listing ${wd} failed (exit ${e.code})`);
  return parseFileList(Buffer.concat(chunks).toString('utf8'));
}

async function readResults(
  conn: BuilderConnection,
  wd: string,
  files: Array<{ path: string }>,
  req: JobRequest,
  limits: RunnerSettings,
  problems: string[],
): Promise<ParsedTest[] | undefined> {
  const parser = req.results.parser;
  if (parser === 'exit-code') return undefined;
  const globs = req.results.files.length ? req.results.files : DEFAULT_RESULT_FILES[parser];
  // In the order the globs are given: for STI, results.yml is preferred to test.log.
  const matched = globs.flatMap((g) => files.filter((f) => matchesAny(f.path, [g], true)).map((f) => f.path));
  const unique = [...new Set(matched)];
  const read = async (p: string) =>
    (await conn.readFile(`${wd}/${p}`, limits.maxResultFileBytes))!.toString('utf8');
  try {
    if (parser === 'junit') {
      const out: ParsedTest[] = [];
      for (const p of unique) out.push(...parseJunit(p, await read(p)));
      return out;
    }
    const first = unique[0];
    if (!first) return undefined;
    return /\.ya?ml$/.test(first)
      ? parseStiResults(first, await read(first))
      : parseStiTestLog(first, await read(first));
  } catch (err) {
    if (err instanceof ResultsParseError) {
      problems.push(`results unreadable: ${err.message}`);
      return undefined;
    }
    throw err;
  }
}

function sha256(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file)
      .on('data', (c) => h.update(c))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}
