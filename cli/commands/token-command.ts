import { text } from 'node:stream/consumers';
import { hashToken, newToken } from '../../api/auth.js';
import { parse, writeLine } from '../cli-context.js';
import { UsageError, type Command } from '../command.js';

export const tokenCommand: Command = {
  name: 'token',
  summary: 'make an API token, or hash one for the configuration',
  usage: `sluice token new USER
sluice token hash [TOKEN | -]

"new" prints a fresh random token and the configuration entry (its SHA-256) for USER; give the
token to the user and put the entry under auth.tokens. "hash" prints the SHA-256 of a token
(from the argument or standard input). The configuration never holds the token itself.`,
  async run(argv, io) {
    const { positionals } = parse(argv, { help: { type: 'boolean', short: 'h' } });
    const [action, arg, ...rest] = positionals;
    if (rest.length) throw new UsageError('too many arguments');
    if (action === 'new') {
      if (!arg) throw new UsageError('name the USER the token is for');
      const token = newToken();
      writeLine(io.stdout, { token, config: { user: arg, sha256: hashToken(token) } });
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
