import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Served = { status: number; body: string; delayMs?: number };

/** A dist-git stand-in on loopback: serves the gating files a test puts in `files`, 404 for the rest. */
export class GatingFileServer {
  readonly files = new Map<string, Served>();
  /** Paths asked for, in order. */
  readonly requests: string[] = [];
  private server: Server | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0]!;
      this.requests.push(path);
      const served = this.files.get(path) ?? { status: 404, body: 'not found' };
      const answer = () => {
        res.writeHead(served.status, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(served.body);
      };
      if (!served.delayMs) return answer();
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        answer();
      }, served.delayMs);
      this.timers.add(timer);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve) ?? resolve(undefined));
  }
}
