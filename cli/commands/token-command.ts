import { text } from 'node:stream/consumers';
import { hashToken, newToken } from '../../api/auth.js';
import type { Scope } from '../../config/config-types.js';
import { didYouMean } from '../../config/did-you-mean.js';
import { parse, writeLine } from '../cli-context.js';
import { UsageError, type Command } from '../command.js';

const SCOPES: Scope[] = [
  'results:write',
  'waivers:write',
  'updates:write',
  'messages:publish',
  'runs:write',
  'admin',
];
/** What auth.tokens gives a token that names no scopes (config/config-schema.ts): all but admin. */
const DEFAULT_SCOPES = SCOPES.filter((s) => s !== 'admin');

export const tokenCommand: Command = {
  name: 'token',
  summary: 'make an API token, or hash one for the configuration',
  usage: `sluice token new USER [--scopes S[,S…]] [--groups G[,G…]] [--json]
sluice token hash [TOKEN | -]

"new" prints a fresh random token for USER and the entry to paste under auth.tokens in the
configuration (YAML; the entry holds only the token's SHA-256). Scopes: ${SCOPES.join(', ')};
without --scopes every one but admin (which "sluice dlq replay" and the outbox routes need).
Groups are what waiver permissions match. --json prints {"token", "config"} instead.
"hash" prints the SHA-256 of a token (from the argument or standard input). The configuration
never holds the token itself.`,
  async run(argv, io) {
    const { values, positionals } = parse(argv, {
      help: { type: 'boolean', short: 'h' },
      scopes: { type: 'string', multiple: true },
      groups: { type: 'string', multiple: true },
      json: { type: 'boolean' },
    });
    const [action, arg, ...rest] = positionals;
    if (rest.length) throw new UsageError('too many arguments');
    if (action === 'new') {
      if (!arg) throw new UsageError('name the USER the token is for');
      const scopes = values.scopes ? list(values.scopes) : DEFAULT_SCOPES;
      for (const s of scopes)
        if (!SCOPES.includes(s as Scope))
          throw new UsageError(`"${s}" is not a scope${didYouMean(s, SCOPES)}; scopes: ${SCOPES.join(', ')}`);
      const groups = list(values.groups ?? []);
      const token = newToken();
      const entry = { user: arg, sha256: hashToken(token), scopes, groups };
      if (values.json) {
        writeLine(io.stdout, { token, config: entry });
        return 0;
      }
      // Valid YAML as a whole: the token rides in comments, so all of it can be pasted.
      io.stdout.write(
        [
          `# The token for ${arg}; give it to them (Sluice keeps only its hash: it cannot be shown again):`,
          `#   ${token}`,
          '# Paste this entry under auth.tokens in the configuration file, then restart Sluice:',
          `- user: ${yamlScalar(arg)}`,
          `  sha256: ${entry.sha256}`,
          `  scopes: [${scopes.join(', ')}]`,
          `  groups: [${groups.map(yamlScalar).join(', ')}]`,
          '',
        ].join('\n'),
      );
      return 0;
    }
    if (action === 'hash') {
      const token = (arg === undefined || arg === '-' ? await text(io.stdin) : arg).trim();
      if (!token) throw new UsageError('no token given');
      writeLine(io.stdout, hashToken(token));
      return 0;
    }
    throw new UsageError('expected "new" or "hash"');
  },
};

/** `--scopes a,b --scopes c` → [a, b, c]. */
function list(values: string[]): string[] {
  return [
    ...new Set(
      values
        .flatMap((v) => v.split(','))
        .map((v) => v.trim())
        .filter(Boolean),
    ),
  ];
}

/** Plain when YAML reads it back as the same string, else JSON's quoting (which YAML reads too). */
function yamlScalar(value: string): string {
  return /^[A-Za-z][A-Za-z0-9_.@/-]*$/.test(value) && !/^(true|false|null|yes|no|on|off)$/i.test(value)
    ? value
    : JSON.stringify(value);
}
