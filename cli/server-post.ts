import type { CompiledConfig } from '../config/config-types.js';
import { serverRequest, writeLine } from './cli-context.js';
import type { CliIo } from './command.js';

/** POSTs to the running server and prints its answer; a refusal goes to stderr with exit 1. */
export async function postAndPrint(
  command: string,
  config: CompiledConfig,
  path: string,
  body: unknown,
  io: CliIo,
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
  writeLine(io.stdout, answer);
  return 0;
}
