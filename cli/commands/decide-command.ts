import type { DecisionResponse } from '../../gating/decide.js';
import { CONFIG_OPTION, cliConfig, parse, serverRequest, writeLine } from '../cli-context.js';
import { UsageError, type Command } from '../command.js';

export const decideCommand: Command = {
  name: 'decide',
  summary: 'ask the server whether a subject may pass (a gating decision)',
  usage: `sluice decide --product-version PV --context CTX [--context CTX…] SUBJECT_TYPE SUBJECT_ID
             [--verbose] [--json] [--when ISO-TIME] [--server URL] [--config FILE]

Asks the running server (POST /api/v1.0/decision, Greenwave's API) for the decision on
SUBJECT_ID (e.g. koji_build bash-5.2.26-3.fc41) in the given decision contexts and product
version, and prints its summary. --verbose also lists every requirement, unsatisfied first;
--json prints the server's answer as it is. --when answers as of that time. --server
overrides the server URL from the configuration.

Exit status: 0 when the policies are satisfied, 1 when they are not, 2 when the question
cannot be answered (bad arguments, no applicable policy, no server).`,
  async run(argv, io) {
    const { values, positionals } = parse(argv, {
      ...CONFIG_OPTION,
      'product-version': { type: 'string' },
      context: { type: 'string', multiple: true },
      verbose: { type: 'boolean', short: 'v' },
      json: { type: 'boolean' },
      when: { type: 'string' },
      server: { type: 'string' },
    });
    const [subjectType, subjectId, ...rest] = positionals;
    if (!subjectType || !subjectId || rest.length)
      throw new UsageError('expected SUBJECT_TYPE and SUBJECT_ID');
    if (!values['product-version']) throw new UsageError('--product-version is required');
    if (!values.context?.length) throw new UsageError('at least one --context is required');
    const configured = cliConfig(values.config, io);
    const config = values.server
      ? { ...configured, serverUrl: values.server.replace(/\/$/, '') }
      : configured;

    const body = {
      product_version: values['product-version'],
      decision_context: values.context.length === 1 ? values.context[0] : values.context,
      subject_type: subjectType,
      subject_identifier: subjectId,
      ...(values.when ? { when: values.when } : {}),
    };
    let res: Response;
    try {
      res = await serverRequest(config, '/api/v1.0/decision', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    } catch (err) {
      io.stderr.write(`sluice decide: ${(err as Error).message}\n`);
      return 2;
    }
    const answer = (await res.json()) as DecisionResponse & { message?: string };
    if (res.status !== 200) {
      io.stderr.write(
        `sluice decide: the server cannot decide (${res.status}): ${answer.message ?? JSON.stringify(answer)}\n`,
      );
      return 2;
    }
    if (values.json) {
      writeLine(io.stdout, answer);
    } else {
      io.stdout.write(`${answer.policies_satisfied ? 'PASS' : 'FAIL'}: ${answer.summary}\n`);
      if (values.verbose) {
        for (const r of answer.unsatisfied_requirements) io.stdout.write(`  unsatisfied  ${describe(r)}\n`);
        for (const r of answer.satisfied_requirements) io.stdout.write(`  satisfied    ${describe(r)}\n`);
        if (answer.applicable_policies)
          io.stdout.write(`  policies: ${answer.applicable_policies.join(', ') || '(none)'}\n`);
      }
    }
    return answer.policies_satisfied ? 0 : 1;
  },
};

function describe(r: Record<string, unknown>): string {
  const where = [r.scenario, r.system_architecture, r.system_variant]
    .filter((v) => typeof v === 'string' && v)
    .join(' ');
  const extra =
    r.result_id !== undefined
      ? ` result ${String(r.result_id)}`
      : r.waiver_id !== undefined
        ? ` waiver ${String(r.waiver_id)}`
        : '';
  return `${String(r.type)}  ${String(r.testcase ?? r.policy ?? '')}${where ? ` (${where})` : ''}${extra}`;
}
