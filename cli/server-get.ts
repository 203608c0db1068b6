import type { CompiledConfig } from '../config/config-types.js';
import { serverRequest } from './cli-context.js';

/** GETs JSON from the running server; an answer other than 200 throws with the server's message. */
export async function fetchJson<T>(config: CompiledConfig, path: string, init?: RequestInit): Promise<T> {
  const res = await serverRequest(config, path, init);
  const body = (await res.json().catch(() => ({}))) as T & { message?: string };
  if (res.status !== 200)
    throw new Error(`the server answered ${res.status}: ${body.message ?? JSON.stringify(body)}`);
  return body;
}
