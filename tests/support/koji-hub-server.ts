import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { XMLParser } from 'fast-xml-parser';

type Py = string | number | boolean | null | Py[] | { [k: string]: Py };

/**
 * A Koji hub stand-in on loopback that answers XML-RPC as the real hub does (kojihub's
 * get_build fields, Python's xmlrpc marshaller layout with allow_none, ServerOffline faults).
 * Its encoder is written apart from Sluice's client on purpose: the client is tested against
 * what Koji sends, not against itself.
 */
export class KojiHubServer {
  /** Builds by NVR, as getBuild returns them (see kojiBuild). */
  readonly builds = new Map<string, Record<string, Py>>();
  /** `offline`: every call is a ServerOffline fault; `http-500`: the web server fails; `slow`: answers after delayMs. */
  mode: 'ok' | 'offline' | 'http-500' | 'slow' = 'ok';
  delayMs = 12000;
  /** Calls received: method and first parameter. */
  readonly calls: Array<{ method: string; param: unknown }> = [];
  private server: Server | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly parser = new XMLParser({ parseTagValue: false, processEntities: true });

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const send = (status: number, body: string) => {
          res.writeHead(status, { 'content-type': 'text/xml' });
          res.end(body);
        };
        if (req.method !== 'POST' || !String(req.headers['content-type']).startsWith('text/xml'))
          return send(400, 'XML-RPC wants POST text/xml');
        const call = this.parser.parse(Buffer.concat(chunks).toString('utf8')) as {
          methodCall?: { methodName?: string; params?: { param?: { value?: { string?: string } } } };
        };
        const method = call.methodCall?.methodName ?? '';
        const param = call.methodCall?.params?.param?.value?.string;
        this.calls.push({ method, param });
        const answer = () => {
          if (this.mode === 'http-500') return send(500, '<html><body>Internal Server Error</body></html>');
          if (this.mode === 'offline') return send(200, fault(1014, 'Server disabled for maintenance'));
          if (method !== 'getBuild') return send(200, fault(1000, `Invalid method: ${method}`));
          send(200, response(this.builds.get(String(param)) ?? null));
        };
        if (this.mode !== 'slow') return answer();
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          answer();
        }, this.delayMs);
        this.timers.add(timer);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/kojihub`;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve) ?? resolve(undefined));
  }
}

/** A build as kojihub's get_build returns it (every field it selects), for `nvr` built from `source`. */
export function kojiBuild(
  nvr: string,
  source: string | null,
  extra: Record<string, Py> | null = null,
): Record<string, Py> {
  const [, name, version, release] = /^(.*)-([^-]+)-([^-]+)$/.exec(nvr)!;
  return {
    build_id: 2401234,
    cg_id: null,
    cg_name: null,
    completion_time: '2024-03-04 12:31:09.818187+00:00',
    completion_ts: 1709555469.818187,
    creation_event_id: 110234567,
    creation_time: '2024-03-04 12:20:01.123456+00:00',
    creation_ts: 1709554801.123456,
    draft: false,
    epoch: null,
    extra,
    id: 2401234,
    name: name!,
    nvr,
    owner_id: 1234,
    owner_name: 'packager',
    package_id: 29,
    package_name: name!,
    promoter_id: null,
    promoter_name: null,
    promotion_time: null,
    promotion_ts: null,
    release: release!,
    source,
    start_time: '2024-03-04 12:20:01.123456+00:00',
    start_ts: 1709554801.123456,
    state: 1,
    task_id: 114055000,
    version: version!,
    volume_id: 0,
    volume_name: 'DEFAULT',
  };
}

// Python's xmlrpc.client.Marshaller layout: one element per line, struct members on their own lines.
function dump(v: Py): string {
  if (v === null) return '<value><nil/></value>';
  if (typeof v === 'boolean') return `<value><boolean>${v ? 1 : 0}</boolean></value>\n`;
  if (typeof v === 'number')
    return Number.isInteger(v)
      ? `<value><int>${v}</int></value>\n`
      : `<value><double>${v}</double></value>\n`;
  if (typeof v === 'string')
    return `<value><string>${v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}</string></value>\n`;
  if (Array.isArray(v)) return `<value><array><data>\n${v.map(dump).join('')}</data></array></value>\n`;
  const members = Object.entries(v).map(([k, x]) => `<member>\n<name>${k}</name>\n${dump(x)}</member>\n`);
  return `<value><struct>\n${members.join('')}</struct></value>\n`;
}

function response(v: Py): string {
  return `<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n${dump(v)}</param>\n</params>\n</methodResponse>\n`;
}

function fault(code: number, text: string): string {
  return `<?xml version='1.0'?>\n<methodResponse>\n<fault>\n${dump({ faultCode: code, faultString: text })}</fault>\n</methodResponse>\n`;
}
