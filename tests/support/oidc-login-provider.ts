import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import { newSigningKey } from './oidc-test-provider.js';

/** People who can sign in at the test provider (any password), with their groups. */
export const PEOPLE = {
  alice: { groups: ['qa'] },
  bob: { groups: [] as string[] },
} as const;
export const LOGIN_CLIENT = { id: 'sluice-dashboard', secret: 'dashboard-client-secret' };

export interface LoginProvider {
  issuer: string;
  close(): Promise<void>;
}

/**
 * A real OpenID Connect provider (`oidc-provider`) for the authorization-code flow: its own login
 * and consent pages (devInteractions: any user name, any password), one confidential client whose
 * redirect URI is `redirectUri`, and ID tokens carrying `preferred_username` and `groups`.
 */
export async function startLoginProvider(redirectUri: string): Promise<LoginProvider> {
  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: LOGIN_CLIENT.id,
        client_secret: LOGIN_CLIENT.secret,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: [redirectUri],
      },
    ],
    jwks: { keys: [await newSigningKey('login-key')] },
    scopes: ['openid', 'profile'],
    claims: { openid: ['sub'], profile: ['preferred_username', 'groups'] },
    // The ID token of the code flow carries the profile claims (Sluice reads the ID token only).
    conformIdTokenClaims: false,
    findAccount: (_ctx, id) => ({
      accountId: id,
      claims: () => ({
        sub: id,
        preferred_username: id,
        groups: [...(PEOPLE[id as keyof typeof PEOPLE]?.groups ?? [])],
      }),
    }),
    features: { devInteractions: { enabled: true } },
  });
  server.on('request', provider.callback());
  return {
    issuer,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A browser's cookie jar, enough for these tests: per host, the last value of each cookie. */
export class CookieJar {
  private readonly jars = new Map<string, Map<string, string>>();
  /** Every Set-Cookie header seen, as sent. */
  readonly seen: string[] = [];

  take(url: string, res: Response): void {
    const jar = this.jar(url);
    for (const line of res.headers.getSetCookie()) {
      this.seen.push(line);
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (value === '' || /max-age=0\b/i.test(line)) jar.delete(name);
      else jar.set(name, value);
    }
  }

  header(url: string): string {
    return [...this.jar(url)].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  get(url: string, name: string): string | undefined {
    return this.jar(url).get(name);
  }

  private jar(url: string): Map<string, string> {
    const host = new URL(url).host;
    let jar = this.jars.get(host);
    if (!jar) this.jars.set(host, (jar = new Map()));
    return jar;
  }
}

/**
 * What a browser does from `start` on: follows redirects, keeps cookies, and on a page with a form
 * (the provider's login, then its consent) fills in `login` and a password and submits it. Stops
 * at the first answer that is neither a redirect nor a form, or at `stopAt` (a URL prefix), and
 * returns that response.
 */
export async function browse(
  jar: CookieJar,
  start: string,
  login: string,
  stopAt?: (url: string, res: Response) => boolean,
): Promise<{ url: string; res: Response }> {
  let url = start;
  let init: RequestInit = {};
  for (let step = 0; step < 20; step++) {
    const res = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), cookie: jar.header(url) },
    });
    jar.take(url, res);
    if (stopAt?.(url, res)) return { url, res };
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      url = new URL(location, url).href;
      init = {};
      continue;
    }
    const text = await res.text();
    const form = /<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/i.exec(text);
    if (res.status !== 200 || !form)
      return { url, res: new Response(text, { status: res.status, headers: res.headers }) };
    const fields = new URLSearchParams();
    for (const input of form[2]!.matchAll(/<input([^>]*)>/gi)) {
      const name = /name="([^"]+)"/.exec(input[1]!)?.[1];
      if (!name) continue;
      const value = /value="([^"]*)"/.exec(input[1]!)?.[1];
      fields.set(name, name === 'login' ? login : name === 'password' ? 'any password' : (value ?? ''));
    }
    url = new URL(form[1]!, url).href;
    init = {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: fields.toString(),
    };
  }
  throw new Error(`more than 20 steps from ${start}`);
}
