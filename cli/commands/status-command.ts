import type { DecisionResponse } from '../../gating/decide.js';
import { splitNvr } from '../../gating/nvr.js';
import { guessProductVersions } from '../../gating/product-versions.js';
import { CONFIG_OPTION, cliConfig, parse, serverRequest, writeLine } from '../cli-context.js';
import { UsageError, type Command } from '../command.js';
import { table } from '../run-view.js';
import { fetchJson } from '../server-get.js';

interface PolicyJson {
  decision_context: string | null;
  decision_contexts: string[];
  subject_types: string[];
  product_versions: string[];
}

type Requirement = Record<string, unknown> & { type: string };

export const statusCommand: Command = {
  name: 'status',
  summary: "a subject's gating decision, with a table of its required tests",
  usage: `sluice status [SUBJECT_TYPE] SUBJECT_ID [--product-version PV] [--context CTX…] [--json]
              [--config FILE]

Asks the running server for the decision on SUBJECT_ID (SUBJECT_TYPE defaults to koji_build)
and prints it with one line per required test: passed, failed, errored, missing, queued,
running or waived. The product version defaults to the one an NVR's dist tag names (.fc41:
fedora-41); the decision contexts to every context of the loaded policies for that subject
type and product version. --json prints the server's (verbose) answer as it is.
Exit status: 0 when the policies are satisfied, 1 when they are not, 2 when the question
cannot be answered.`,
  async run(argv, io) {
    const { values, positionals } = parse(argv, {
      ...CONFIG_OPTION,
      'product-version': { type: 'string', short: 'p' },
      context: { type: 'string', multiple: true },
      json: { type: 'boolean' },
    });
    if (positionals.length < 1 || positionals.length > 2)
      throw new UsageError('expected [SUBJECT_TYPE] SUBJECT_ID');
    const [subjectType, subjectId] = (
      positionals.length === 1 ? ['koji_build', ...positionals] : positionals
    ) as [string, string];
    const config = cliConfig(values.config, io);
    const productVersion = values['product-version'] ?? guessedProductVersion(subjectId);
    if (!productVersion)
      throw new UsageError(`cannot tell the product version of "${subjectId}": give --product-version`);
    let contexts = values.context ?? [];
    if (contexts.length === 0) {
      const { policies } = await fetchJson<{ policies: PolicyJson[] }>(config, '/api/v1.0/policies');
      contexts = [
        ...new Set(
          policies
            .filter((p) => p.subject_types.includes(subjectType))
            .filter((p) => p.product_versions.some((g) => globMatches(productVersion, g)))
            .flatMap((p) => [...(p.decision_context ? [p.decision_context] : []), ...p.decision_contexts]),
        ),
      ].sort();
      if (contexts.length === 0) {
        io.stderr.write(
          `sluice status: no loaded policy applies to ${subjectType} subjects in ${productVersion}, so nothing gates ${subjectId}\n`,
        );
        return 2;
      }
    }
    const res = await serverRequest(config, '/api/v1.0/decision', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        product_version: productVersion,
        decision_context: contexts.length === 1 ? contexts[0] : contexts,
        subject_type: subjectType,
        subject_identifier: subjectId,
        verbose: true,
      }),
    });
    const answer = (await res.json()) as DecisionResponse & { message?: string };
    if (res.status !== 200) {
      io.stderr.write(
        `sluice status: the server cannot decide (${res.status}): ${answer.message ?? JSON.stringify(answer)}\n`,
      );
      return 2;
    }
    if (values.json) {
      writeLine(io.stdout, answer);
      return answer.policies_satisfied ? 0 : 1;
    }
    const outcomes = new Map<number, string>();
    for (const r of (answer.results ?? []) as Array<{ id: number; outcome: string }>)
      outcomes.set(r.id, r.outcome);
    const rows = [['TEST', 'STATUS', 'WHY']];
    const requirements = [
      ...(answer.unsatisfied_requirements as Requirement[]),
      ...(answer.satisfied_requirements as Requirement[]),
    ];
    for (const r of requirements) {
      if (!r.type.startsWith('test-result-')) continue;
      const { status, why } = describe(r, outcomes);
      const where = [r.scenario, r.system_architecture].filter((v) => typeof v === 'string' && v).join(' ');
      rows.push([`${String(r.testcase)}${where ? ` (${where})` : ''}`, status, why]);
    }
    io.stdout.write(
      `${answer.policies_satisfied ? 'PASS' : 'FAIL'}  ${subjectType} ${subjectId}  (${productVersion}, ${contexts.join(', ')})\n`,
    );
    io.stdout.write(`${answer.summary}\n`);
    if (rows.length > 1) io.stdout.write(`\n${table(rows)}`);
    const other = requirements.filter((r) => !r.type.startsWith('test-result-'));
    for (const r of other) io.stdout.write(`  ${r.type}${r.details ? `: ${String(r.details)}` : ''}\n`);
    return answer.policies_satisfied ? 0 : 1;
  },
};

/** A requirement's state in a person's words: queued and running are told apart from missing. */
function describe(r: Requirement, outcomes: Map<number, string>): { status: string; why: string } {
  const resultId = typeof r.result_id === 'number' ? r.result_id : null;
  const result = resultId === null ? '' : `result ${resultId}`;
  const base = r.type.replace(/^test-result-/, '');
  if (base.endsWith('-waived')) {
    const was = base.slice(0, -'-waived'.length);
    return { status: 'waived', why: `waiver ${String(r.waiver_id)} (${was}${result ? `, ${result}` : ''})` };
  }
  if (base === 'missing' && resultId !== null) {
    const outcome = outcomes.get(resultId)?.toLowerCase() ?? 'incomplete';
    return { status: outcome, why: result };
  }
  return { status: base, why: base === 'missing' ? 'no result yet' : result };
}

function guessedProductVersion(subjectId: string): string | undefined {
  const release = splitNvr(subjectId)?.release;
  const tag = release?.slice(release.lastIndexOf('.') + 1);
  return tag ? guessProductVersions(tag, true)[0] : undefined;
}

/** Greenwave's product_versions globs (fnmatch: * and ?). */
function globMatches(value: string, glob: string): boolean {
  const re = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`).test(value);
}
