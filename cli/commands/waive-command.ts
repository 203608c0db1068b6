import { CONFIG_OPTION, cliConfig, parse, serverRequest, writeLine } from '../cli-context.js';
import { UsageError, type Command } from '../command.js';

const OPTIONS = {
  ...CONFIG_OPTION,
  'product-version': { type: 'string', short: 'p' },
  comment: { type: 'string', short: 'm' },
  scenario: { type: 'string', short: 's' },
  revoke: { type: 'boolean' },
  server: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean' },
} as const;

export const waiveCommand: Command = {
  name: 'waive',
  summary: 'waive (or with --revoke, un-waive) a test case for a subject',
  usage: `sluice waive SUBJECT_TYPE SUBJECT_ID TESTCASE --product-version PV --comment TEXT
             [--scenario S] [--revoke] [--json] [--server URL] [--token T] [--config FILE]

Submits a waiver to a running Sluice server (POST /api/v1.0/waivers/, WaiverDB's API) and prints
what was stored (--json: the waiver as WaiverDB answers it). SUBJECT_TYPE is e.g. koji_build (brew-build is stored as koji_build), bodhi_update
or compose; SUBJECT_ID the NVR, update id or compose id. Without --scenario the waiver covers
every scenario of the test case. --revoke submits waived: false, which revokes the waivers
before it. The server is --server, or the configuration's server URL; the token (scope
waivers:write) is --token, or SLUICE_TOKEN; a server on loopback with no tokens configured
(the embedded defaults) needs none. Exit 1 when the server refuses the waiver.`,
  async run(argv, io) {
    const { values, positionals } = parse(argv, OPTIONS);
    if (positionals.length !== 3) throw new UsageError('expected SUBJECT_TYPE, SUBJECT_ID and TESTCASE');
    const [subjectType, subjectIdentifier, testcase] = positionals as [string, string, string];
    const productVersion = values['product-version'];
    if (!productVersion) throw new UsageError('--product-version is required');
    if (!values.comment) throw new UsageError('--comment is required: say why');
    const config = cliConfig(values.config, io);
    const server = (values.server ?? config.serverUrl).replace(/\/$/, '');
    const token = values.token ?? io.env.SLUICE_TOKEN;
    const waiver = {
      subject_type: subjectType,
      subject_identifier: subjectIdentifier,
      testcase,
      ...(values.scenario === undefined ? {} : { scenario: values.scenario }),
      product_version: productVersion,
      waived: !values.revoke,
      comment: values.comment,
    };
    const res = await serverRequest({ ...config, serverUrl: server }, '/api/v1.0/waivers/', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(waiver),
    });
    const answer = (await res.json().catch(() => ({}))) as {
      message?: string;
      id?: number;
      username?: string;
    };
    if (res.status !== 201) {
      io.stderr.write(
        `sluice waive: refused by the server (${res.status}): ${answer.message ?? JSON.stringify(answer)}\n`,
      );
      return 1;
    }
    if (values.json) {
      writeLine(io.stdout, answer);
      return 0;
    }
    const what = `${testcase}${values.scenario === undefined ? '' : ` (scenario ${values.scenario})`}`;
    io.stdout.write(
      `waiver ${answer.id} by ${answer.username}: ${what} is ${values.revoke ? 'no longer waived' : 'waived'} for ${subjectType} ${subjectIdentifier} in ${productVersion}\n`,
    );
    return 0;
  },
};
