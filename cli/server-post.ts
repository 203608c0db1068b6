import type { CompiledConfig } from '../config/config-types.js';
import { serverRequest, writeLine } from './cli-context.js';
import type { CliIo } from './command.js';

/**
 * POSTs to the running server and prints its answer: as JSON with `json`, else as `human` says
 * (for a person). A refusal goes to stderr with exit 1.
 */
export async function postAndPrint<T>(
  command: string,
  config: CompiledConfig,
  path: string,
  body: unknown,
  io: CliIo,
  output: { json?: boolean | undefined; human?: (answer: T) => string } = {},
): Promise<number> {
  const res = await serverRequest(config, path, {
    method: 'POST',
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const answer = (await res.json()) as { message?: string };
  if (res.status >= 300) {
    io.stderr.write(
      `sluice ${command}: refused by the server (${res.status}): ${answer.message ?? JSON.stringify(answer)}\n`,
    );
    return 1;
  }
  if (output.json || !output.human) writeLine(io.stdout, answer);
  else io.stdout.write(output.human(answer as T));
  return 0;
}
