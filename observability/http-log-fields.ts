/**
 * fastify logs its own request lines with the request (`{ req }`) and the reply (`{ res }`)
 * objects and leaves them to its serializers. The redaction formatter runs before serializers
 * and copies only own fields, so both came out as `{}`. This takes what an operator reads from
 * them first (method, URL, status code) as plain values: the completed line carries the method
 * and URL too, so that one line says what was asked, what was answered and how long it took.
 */
interface RequestLike {
  method: string;
  url: string;
  hostname?: string;
}

interface ReplyLike {
  statusCode: number;
  request?: RequestLike;
}

function isRequest(value: unknown): value is RequestLike {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Partial<RequestLike>;
  return typeof v.method === 'string' && typeof v.url === 'string';
}

function isReply(value: unknown): value is ReplyLike {
  return value !== null && typeof value === 'object' && typeof (value as ReplyLike).statusCode === 'number';
}

function requestFields(req: RequestLike): Record<string, unknown> {
  return {
    method: req.method,
    url: req.url,
    ...(req.hostname === undefined ? {} : { host: req.hostname }),
  };
}

export function httpLogFields(object: Record<string, unknown>): Record<string, unknown> {
  const { req, res } = object;
  if (!isRequest(req) && !isReply(res)) return object;
  const out = { ...object };
  if (isRequest(req)) out.req = requestFields(req);
  if (isReply(res)) {
    out.res = { statusCode: res.statusCode };
    if (out.req === undefined && res.request && isRequest(res.request)) out.req = requestFields(res.request);
  }
  return out;
}
