import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ForgeType } from '../../config/forge-types.js';

/** What the forge received: each request checked against its documented API. */
export interface ForgeRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown> | null;
  /** Why the forge would have refused it (empty: it is as documented). */
  problems: string[];
  answered: number;
  receivedAt: number;
}

/** A canned answer for the next status call(s): a 5xx, a rate limit, a network drop. */
export interface Scripted {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Close the connection without answering. */
  drop?: boolean;
}

/**
 * A forge on loopback that checks what it receives against the documented API:
 * GitHub (REST "Create a commit status": POST /repos/{owner}/{repo}/statuses/{sha}, state in
 * error|failure|pending|success, description ≤ 140, `Authorization: Bearer|token`, a User-Agent;
 * "List pull requests files": GET /repos/{owner}/{repo}/pulls/{n}/files?per_page&page, Link
 * paging), GitLab (POST /projects/{id}/statuses/{sha}, state in
 * pending|running|success|failed|canceled|skipped, `PRIVATE-TOKEN`; GET
 * /projects/{id}/merge_requests/{iid}/diffs, X-Next-Page paging), Forgejo/Gitea (POST
 * /repos/{owner}/{repo}/statuses/{sha}, state in pending|success|error|failure|warning,
 * `Authorization: token`; GET /repos/{owner}/{repo}/pulls/{n}/files?limit&page, Link paging).
 * A request the forge would refuse gets the forge's refusal (422 / 400 / 401) and is recorded
 * with its problems, so tests assert there were none.
 */
export class ForgeTestServer {
  readonly requests: ForgeRequest[] = [];
  /** The pull requests' changed files, by number. */
  readonly pullFiles = new Map<number, Array<{ filename: string; previous_filename?: string }>>();
  private readonly script: Scripted[] = [];
  private server: Server | undefined;
  private nextId = 1;
  /** Each status call waits this long before answering (a slow forge). */
  delayMs = 0;

  constructor(
    readonly type: ForgeType,
    readonly token: string,
  ) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this.baseUrl;
  }

  get baseUrl(): string {
    const port = (this.server!.address() as AddressInfo).port;
    return this.type === 'gitlab'
      ? `http://127.0.0.1:${port}/api/v4`
      : this.type === 'github'
        ? `http://127.0.0.1:${port}`
        : `http://127.0.0.1:${port}/api/v1`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The next status calls get these answers, in order. */
  answerNext(...answers: Scripted[]): void {
    this.script.push(...answers);
  }

  get statuses(): ForgeRequest[] {
    return this.requests.filter((r) => r.method === 'POST');
  }

  get problems(): string[] {
    return this.requests.flatMap((r) => r.problems.map((p) => `${r.method} ${r.path}: ${p}`));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://forge');
    const record: ForgeRequest = {
      method: req.method ?? '',
      path: url.pathname + url.search,
      headers: req.headers,
      body: null,
      problems: [],
      answered: 0,
      receivedAt: Date.now(),
    };
    this.requests.push(record);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      record.answered = status;
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    const authProblem = this.checkAuth(req);
    if (authProblem) {
      record.problems.push(authProblem);
      return send(401, { message: 'Bad credentials' });
    }
    const prefix = new URL(this.baseUrl).pathname.replace(/\/$/, '');
    const path = url.pathname.slice(prefix.length);
    if (req.method === 'GET') return this.files(path, url, record, send);
    if (req.method !== 'POST') {
      record.problems.push(`method ${req.method} is not part of the API used`);
      return send(405, { message: 'Method Not Allowed' });
    }
    const m =
      this.type === 'gitlab'
        ? path.match(/^\/projects\/([^/]+)\/statuses\/([0-9a-f]{40}|[0-9a-f]{64})$/)
        : path.match(/^\/repos\/([^/]+\/[^/]+)\/statuses\/([0-9a-f]{40}|[0-9a-f]{64})$/);
    if (!m) {
      record.problems.push(`no such endpoint ${path}`);
      return send(404, { message: 'Not Found' });
    }
    if (!String(req.headers['content-type'] ?? '').startsWith('application/json'))
      record.problems.push('content-type is not application/json');
    try {
      record.body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    } catch {
      record.problems.push('body is not JSON');
      return send(400, { message: 'Problems parsing JSON' });
    }
    record.problems.push(...this.checkStatusBody(record.body));
    if (record.problems.length)
      return send(this.type === 'gitlab' ? 400 : 422, { message: record.problems.join('; ') });
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    const scripted = this.script.shift();
    if (scripted?.drop) {
      record.answered = -1;
      req.socket.destroy();
      return;
    }
    if (scripted) return send(scripted.status, scripted.body ?? { message: 'scripted' }, scripted.headers);
    const b = record.body;
    const id = this.nextId++;
    if (this.type === 'gitlab')
      return send(201, {
        id,
        sha: m[2],
        ref: null,
        status: b.state,
        name: b.name ?? b.context ?? 'default',
        target_url: b.target_url ?? null,
        description: b.description ?? null,
        created_at: new Date().toISOString(),
      });
    return send(201, {
      id,
      state: b.state,
      status: b.state,
      context: b.context ?? 'default',
      target_url: b.target_url ?? null,
      description: b.description ?? null,
      created_at: new Date().toISOString(),
    });
  }

  private checkAuth(req: IncomingMessage): string | undefined {
    const auth = req.headers.authorization;
    if (this.type === 'github') {
      if (!req.headers['user-agent']) return 'GitHub refuses requests without a User-Agent';
      if (auth !== `Bearer ${this.token}` && auth !== `token ${this.token}`)
        return `Authorization is ${JSON.stringify(auth)}, not "Bearer <token>"`;
    } else if (this.type === 'gitlab') {
      if (req.headers['private-token'] !== this.token && auth !== `Bearer ${this.token}`)
        return 'neither PRIVATE-TOKEN nor Authorization: Bearer carries the token';
    } else if (auth !== `token ${this.token}` && auth !== `Bearer ${this.token}`) {
      return `Authorization is ${JSON.stringify(auth)}, not "token <token>"`;
    }
    return undefined;
  }

  private checkStatusBody(b: Record<string, unknown>): string[] {
    const problems: string[] = [];
    const states =
      this.type === 'github'
        ? ['error', 'failure', 'pending', 'success']
        : this.type === 'gitlab'
          ? ['pending', 'running', 'success', 'failed', 'canceled', 'skipped']
          : ['pending', 'success', 'error', 'failure', 'warning'];
    if (typeof b.state !== 'string' || !states.includes(b.state))
      problems.push(`state ${JSON.stringify(b.state)} is not one of ${states.join(', ')}`);
    const label = this.type === 'gitlab' ? (b.name ?? b.context) : b.context;
    if (typeof label !== 'string' || label === '') problems.push('the status has no context (name)');
    if (b.target_url !== undefined) {
      try {
        const u = new URL(String(b.target_url));
        if (!/^https?:$/.test(u.protocol)) problems.push('target_url is not http(s)');
      } catch {
        problems.push('target_url is not a URL');
      }
    }
    if (typeof b.description === 'string' && this.type === 'github' && b.description.length > 140)
      problems.push('description is longer than 140 characters');
    const known = new Set([
      'state',
      'target_url',
      'description',
      'context',
      ...(this.type === 'gitlab' ? ['name', 'ref', 'pipeline_id', 'coverage'] : []),
    ]);
    for (const k of Object.keys(b)) if (!known.has(k)) problems.push(`unknown field ${k}`);
    return problems;
  }

  private files(
    path: string,
    url: URL,
    record: ForgeRequest,
    send: (status: number, body: unknown, headers?: Record<string, string>) => void,
  ): void {
    const m =
      this.type === 'gitlab'
        ? path.match(/^\/projects\/([^/]+)\/merge_requests\/(\d+)\/diffs$/)
        : path.match(/^\/repos\/[^/]+\/[^/]+\/pulls\/(\d+)\/files$/);
    if (!m) {
      record.problems.push(`no such endpoint GET ${path}`);
      send(404, { message: 'Not Found' });
      return;
    }
    const number = Number(m[this.type === 'gitlab' ? 2 : 1]);
    const files = this.pullFiles.get(number);
    if (!files) {
      send(404, { message: 'Not Found' });
      return;
    }
    const perKey = this.type === 'forgejo' || this.type === 'gitea' ? 'limit' : 'per_page';
    const per = Math.min(
      Number(url.searchParams.get(perKey) ?? 30),
      this.type === 'gitlab' ? 100 : this.type === 'github' ? 100 : 50,
    );
    const page = Number(url.searchParams.get('page') ?? 1);
    const slice = files.slice((page - 1) * per, page * per);
    const more = page * per < files.length;
    const headers: Record<string, string> = {};
    if (this.type === 'gitlab') {
      headers['x-next-page'] = more ? String(page + 1) : '';
      headers['x-total'] = String(files.length);
      send(
        200,
        slice.map((f) => ({
          old_path: f.previous_filename ?? f.filename,
          new_path: f.filename,
          renamed_file: !!f.previous_filename,
          new_file: false,
          deleted_file: false,
          diff: '',
        })),
        headers,
      );
      return;
    }
    if (more) {
      const next = new URL(url.toString().replace('http://forge', this.baseUrl.replace(/\/api\/v[14]$/, '')));
      next.searchParams.set('page', String(page + 1));
      headers.link = `<${next.toString()}>; rel="next"`;
    }
    if (this.type !== 'github') headers['x-total-count'] = String(files.length);
    send(
      200,
      slice.map((f) => ({
        sha: '0'.repeat(40),
        status: 'modified',
        additions: 1,
        deletions: 0,
        changes: 1,
        ...f,
      })),
      headers,
    );
  }
}
