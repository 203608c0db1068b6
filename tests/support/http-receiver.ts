import http from 'node:http';
import type { TestContext } from 'node:test';
import { freePort } from './cli.js';

export interface ReceivedCall {
  at: number;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The status it was answered with. */
  status: number;
}

export interface Answer {
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

/**
 * An HTTP server on a loopback port of its own that keeps every call and answers as `answer`
 * says (a test changes it as it goes), and can go away (`stop`) and come back on the same port.
 */
export class HttpReceiver {
  readonly calls: ReceivedCall[] = [];
  answer: (call: Omit<ReceivedCall, 'status'>) => Answer = () => ({ status: 200, body: 'ok' });
  private server: http.Server | undefined;

  private constructor(readonly port: number) {}

  static async create(t: TestContext, { listening = true } = {}): Promise<HttpReceiver> {
    const r = new HttpReceiver(await freePort());
    if (listening) await r.start();
    t.after(() => r.stop());
    return r;
  }

  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (c: string) => (body += c));
      req.on('end', () => {
        const call = { at: Date.now(), path: req.url ?? '', headers: req.headers, body };
        const a = this.answer(call);
        this.calls.push({ ...call, status: a.status });
        res.writeHead(a.status, { 'content-type': 'text/plain', ...a.headers }).end(a.body ?? '');
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/**
 * What Slack's incoming webhooks check before they post (api.slack.com/messaging/webhooks,
 * "Handling errors"): a JSON body with a non-empty `text` (or blocks), else 400 `invalid_payload`
 * or `no_text`; a URL that is not a hook, 404 `no_service`. Mattermost answers the same payload
 * the same way (developers.mattermost.com/integrate/webhooks/incoming: Content-Type
 * application/json, `{"text": …}`).
 */
export function slackVerdict(call: Omit<ReceivedCall, 'status'>, hookPath: string): Answer | undefined {
  if (call.path !== hookPath) return { status: 404, body: 'no_service' };
  if (!String(call.headers['content-type'] ?? '').startsWith('application/json'))
    return { status: 400, body: 'invalid_payload' };
  let payload: unknown;
  try {
    payload = JSON.parse(call.body);
  } catch {
    return { status: 400, body: 'invalid_payload' };
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
    return { status: 400, body: 'invalid_payload' };
  const text = (payload as { text?: unknown }).text;
  if (typeof text !== 'string' || text.trim() === '') return { status: 400, body: 'no_text' };
  return undefined;
}
