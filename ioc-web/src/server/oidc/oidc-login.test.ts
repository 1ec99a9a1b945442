import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ApiTokens,
  AuditLog,
  createLogger,
  HealthRegistry,
  loadUnitTree,
  SessionStore,
  type SqlStore,
  StartupError,
  sqlTestBackends,
  UserAccounts,
} from '@ioc/core';
import { DeviceRegistry, loadDeviceCatalogue } from '@ioc/devices';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { WebContext } from '../context.js';
import { buildWebApp } from '../web-app.js';
import { OIDC_PENDING_COOKIE } from './oidc-routes.js';
import { OIDC_CALLBACK_PATH, type OidcSettings, OidcSignIn } from './oidc-sign-in.js';
import { startTestSso } from './test-sso.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

/**
 * The whole SSO sign-in against a real OpenID Connect provider (oidc-provider, in process,
 * with its development login and consent forms) and the IOC's real HTTP server, both on
 * free loopback ports; a cookie jar per site stands in for the browser.
 */

// People known to the test SSO: `roles` is the claim the IOC maps (auth.oidc.roleClaim).
const SSO_PEOPLE: Record<string, { preferred_username: string; name: string; roles: string[] }> = {
  'sub-lan': { preferred_username: 'lan.nt', name: 'Nguyễn Thị Lan', roles: ['ioc-dieu-hanh'] },
  'sub-minh': { preferred_username: 'minh.lv', name: 'Lê Văn Minh', roles: ['cong-chuc'] },
  // Shares the username of the IOC's local admin: must never take that account over.
  'sub-admin': { preferred_username: 'admin', name: 'Mạo danh', roles: ['ioc-quan-tri'] },
};

const { backends, cleanup } = sqlTestBackends('web-oidc', inject('postgresUrl'));
const pglite = backends.find((b) => b.kind === 'pglite');
afterAll(cleanup);

let sql: SqlStore;
let audit: AuditLog;
let ctx: WebContext;
let app: FastifyInstance;
let ioc: string;
let sso: { server: Server; issuer: string };
let settings: OidcSettings;

beforeAll(async () => {
  if (!pglite) throw new Error('no PGlite backend');
  sql = await pglite.open();
  const [units, catalogue] = await Promise.all([
    loadUnitTree('da-nang-2025'),
    loadDeviceCatalogue(),
  ]);
  audit = new AuditLog(sql);
  const accounts = new UserAccounts(sql);
  await accounts.ensureAdmin('local-admin-password');
  ctx = {
    health: new HealthRegistry(),
    metrics: new Registry(),
    units,
    unitDataset: 'da-nang-2025',
    accounts,
    sessions: new SessionStore(sql, 1),
    tokens: new ApiTokens(sql),
    audit,
    devices: new DeviceRegistry({ sql, catalogue, units }),
    catalogue,
    sessionTtlHours: 1,
  };
  app = await buildWebApp(ctx, { logger: createLogger('silent'), version: 'test' });
  await app.listen({ host: '127.0.0.1', port: 0 });
  ioc = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

  sso = await startTestSso(`${ioc}${OIDC_CALLBACK_PATH}`, SSO_PEOPLE);
  settings = {
    issuer: sso.issuer,
    clientId: 'ioc',
    clientSecret: 'ioc-client-secret-for-tests',
    scopes: 'openid profile',
    roleClaim: 'roles',
    roleMap: { 'ioc-dieu-hanh': 'ioc-operator', 'ioc-quan-tri': 'admin' },
    usernameClaim: 'preferred_username',
  };
  // Routes read ctx.oidc per request, as the process sets it up before listening.
  ctx.oidc = await OidcSignIn.discover(settings);
});

afterAll(async () => {
  await app?.close();
  await new Promise((resolve) => sso?.server.close(resolve));
  await sql?.close();
});

describe('sign-in with the SSO (OpenID Connect)', () => {
  it('announces the SSO on the login page only when it is configured', async () => {
    expect(await (await fetch(`${ioc}/api/v1/auth/methods`)).json()).toEqual({
      password: true,
      oidc: { loginUrl: '/api/v1/auth/oidc/login' },
    });
    const without = await buildWebApp(
      { ...ctx, oidc: undefined },
      { logger: createLogger('silent'), version: 'test' },
    );
    try {
      const methods = await without.inject({ url: '/api/v1/auth/methods' });
      expect(methods.json()).toEqual({ password: true, oidc: null });
      const login = await without.inject({ url: '/api/v1/auth/oidc/login' });
      expect(login.statusCode).toBe(404);
      expect(login.json()).toMatchObject({ code: 'OIDC_NOT_CONFIGURED' });
    } finally {
      await without.close();
    }
  });

  it('runs the code flow with PKCE, maps the role claim, and the session works', async () => {
    const browser = new Browser();
    const start = await browser.get(`${ioc}/api/v1/auth/oidc/login?returnTo=/wall/tinh`);
    expect(start.status).toBe(302);
    const authorize = new URL(start.headers.get('location') ?? '');
    expect(authorize.origin).toBe(new URL(sso.issuer).origin);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${ioc}${OIDC_CALLBACK_PATH}`);
    for (const param of ['state', 'nonce', 'code_challenge']) {
      expect(authorize.searchParams.get(param)?.length).toBeGreaterThanOrEqual(32);
    }
    const pendingCookie = start.headers
      .getSetCookie()
      .find((c) => c.startsWith(OIDC_PENDING_COOKIE));
    expect(pendingCookie).toMatch(/HttpOnly/i);
    expect(pendingCookie).toMatch(/SameSite=Lax/i);

    const callback = await browser.signInAtSso(authorize, 'sub-lan');
    const landed = await browser.get(callback.href);
    expect(landed.status).toBe(303);
    expect(landed.headers.get('location')).toBe('/wall/tinh');
    const session = landed.headers.getSetCookie().find((c) => c.startsWith('ioc_session='));
    expect(session).toMatch(/HttpOnly/i);
    expect(session).toMatch(/SameSite=Strict/i);

    const me = await browser.get(`${ioc}/api/v1/auth/me`);
    expect(me.status).toBe(200);
    expect(await me.json()).toEqual({
      user: {
        kind: 'user',
        username: 'lan.nt',
        displayName: 'Nguyễn Thị Lan',
        role: 'ioc-operator',
      },
    });
    // The account is external: it has no password to guess.
    const { rows } = await sql.query<{ password_hash: string | null; external_subject: string }>(
      `SELECT password_hash, external_subject FROM users WHERE username = 'lan.nt'`,
    );
    expect(rows).toEqual([{ password_hash: null, external_subject: 'sub-lan' }]);
    const password = await fetch(`${ioc}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'lan.nt', password: 'anything-at-all' }),
    });
    expect(password.status).toBe(401);

    const [entry] = (await audit.recent(50)).filter(
      (e) => e.action === 'auth.login' && e.actor === 'user:lan.nt' && e.outcome === 'ok',
    );
    expect(entry?.details).toMatchObject({ method: 'oidc', role: 'ioc-operator' });
  });

  it('signs the same person in again into the same account, with the role the SSO gives now', async () => {
    settings.roleMap['ioc-dieu-hanh'] = 'viewer';
    try {
      const browser = new Browser();
      const start = await browser.get(`${ioc}/api/v1/auth/oidc/login`);
      const callback = await browser.signInAtSso(
        new URL(start.headers.get('location') ?? ''),
        'sub-lan',
      );
      const landed = await browser.get(callback.href);
      expect(landed.headers.get('location')).toBe('/');
      expect(await (await browser.get(`${ioc}/api/v1/auth/me`)).json()).toMatchObject({
        user: { username: 'lan.nt', role: 'viewer' },
      });
      const { rows } = await sql.query(`SELECT id FROM users WHERE username = 'lan.nt'`);
      expect(rows).toHaveLength(1);
    } finally {
      settings.roleMap['ioc-dieu-hanh'] = 'ioc-operator';
    }
  });

  it('refuses a person whose claims map to no IOC role, with a page that says why, audited', async () => {
    const browser = new Browser();
    const start = await browser.get(`${ioc}/api/v1/auth/oidc/login`);
    const callback = await browser.signInAtSso(
      new URL(start.headers.get('location') ?? ''),
      'sub-minh',
    );
    const refused = await browser.get(callback.href);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toMatch(/^text\/html/);
    const page = await refused.text();
    expect(page).toContain('OIDC_ROLE_NOT_MAPPED');
    expect(page).toContain('chưa được cấp quyền sử dụng IOC');
    expect(refused.headers.getSetCookie().some((c) => c.startsWith('ioc_session='))).toBe(false);
    expect((await browser.get(`${ioc}/api/v1/auth/me`)).status).toBe(401);
    const { rows } = await sql.query(`SELECT 1 FROM users WHERE username = 'minh.lv'`);
    expect(rows).toEqual([]);
    const [entry] = (await audit.recent(50)).filter((e) => e.actor === 'user:minh.lv');
    expect(entry).toMatchObject({ action: 'auth.login', outcome: 'denied' });
    expect(entry?.details).toMatchObject({ method: 'oidc', reason: 'OIDC_ROLE_NOT_MAPPED' });
  });

  it('gives an unmapped person the default role when one is configured', async () => {
    settings.defaultRole = 'viewer';
    try {
      const browser = new Browser();
      const start = await browser.get(`${ioc}/api/v1/auth/oidc/login`);
      const callback = await browser.signInAtSso(
        new URL(start.headers.get('location') ?? ''),
        'sub-minh',
      );
      expect((await browser.get(callback.href)).status).toBe(303);
      expect(await (await browser.get(`${ioc}/api/v1/auth/me`)).json()).toMatchObject({
        user: { username: 'minh.lv', role: 'viewer' },
      });
    } finally {
      delete settings.defaultRole;
    }
  });

  it('never lets an SSO identity take over a local account of the same username', async () => {
    const browser = new Browser();
    const start = await browser.get(`${ioc}/api/v1/auth/oidc/login`);
    const callback = await browser.signInAtSso(
      new URL(start.headers.get('location') ?? ''),
      'sub-admin',
    );
    const refused = await browser.get(callback.href);
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain('USERNAME_TAKEN');
    expect((await browser.get(`${ioc}/api/v1/auth/me`)).status).toBe(401);
  });

  it('refuses a callback whose state does not match the sign-in this browser started', async () => {
    const browser = new Browser();
    const start = await browser.get(`${ioc}/api/v1/auth/oidc/login`);
    const callback = await browser.signInAtSso(
      new URL(start.headers.get('location') ?? ''),
      'sub-lan',
    );
    callback.searchParams.set('state', 'forged-state-value');
    const refused = await browser.get(callback.href);
    expect(refused.status).toBe(400);
    const page = await refused.text();
    expect(page).toContain('OIDC_CHECK_FAILED');
    expect(page).toContain('unexpected &quot;state&quot; response parameter value');
    expect((await browser.get(`${ioc}/api/v1/auth/me`)).status).toBe(401);
  });

  it('refuses an ID token whose nonce is not the one this sign-in sent', async () => {
    const browser = new Browser();
    const start = await browser.get(`${ioc}/api/v1/auth/oidc/login`);
    const callback = await browser.signInAtSso(
      new URL(start.headers.get('location') ?? ''),
      'sub-lan',
    );
    // Same sign-in (state, PKCE verifier) but expecting another nonce, as if the ID token
    // had been issued for a different authorization request.
    const oidc = ctx.oidc as OidcSignIn;
    const pending = oidc.pending.take(browser.cookie(OIDC_PENDING_COOKIE) ?? '');
    if (!pending) throw new Error('no pending sign-in');
    browser.setCookie(
      OIDC_PENDING_COOKIE,
      oidc.pending.put({ ...pending, nonce: 'another-nonce' }),
    );
    const refused = await browser.get(callback.href);
    expect(refused.status).toBe(400);
    const page = await refused.text();
    expect(page).toContain('OIDC_CHECK_FAILED');
    expect(page).toContain('unexpected ID Token &quot;nonce&quot; claim value');
    expect((await browser.get(`${ioc}/api/v1/auth/me`)).status).toBe(401);
  });

  it('refuses a callback without the sign-in cookie, and a replayed one', async () => {
    const browser = new Browser();
    const start = await browser.get(`${ioc}/api/v1/auth/oidc/login`);
    const callback = await browser.signInAtSso(
      new URL(start.headers.get('location') ?? ''),
      'sub-lan',
    );
    // Another browser (a victim lured to the attacker's callback URL) has no sign-in pending.
    const elsewhere = await new Browser().get(callback.href);
    expect(elsewhere.status).toBe(400);
    expect(await elsewhere.text()).toContain('OIDC_SIGN_IN_EXPIRED');

    const cookie = browser.cookie(OIDC_PENDING_COOKIE);
    expect((await browser.get(callback.href)).status).toBe(303);
    const replay = new Browser();
    replay.setCookie(OIDC_PENDING_COOKIE, cookie ?? '');
    const replayed = await replay.get(callback.href);
    expect(replayed.status).toBe(400);
    expect(await replayed.text()).toContain('OIDC_SIGN_IN_EXPIRED');
  });

  it('passes the SSO refusal (the person cancelled) on as a page', async () => {
    const browser = new Browser();
    const start = await browser.get(`${ioc}/api/v1/auth/oidc/login`);
    const state = new URL(start.headers.get('location') ?? '').searchParams.get('state') ?? '';
    const cancelled = new URL(`${ioc}${OIDC_CALLBACK_PATH}`);
    cancelled.search = new URLSearchParams({
      error: 'access_denied',
      error_description: 'End-User aborted interaction',
      state,
      iss: sso.issuer,
    }).toString();
    const refused = await browser.get(cancelled.href);
    expect(refused.status).toBe(403);
    const page = await refused.text();
    expect(page).toContain('OIDC_DENIED');
    expect(page).toContain('access_denied (End-User aborted interaction)');
  });

  it('lands only on paths of this server after the sign-in', async () => {
    for (const returnTo of ['https://evil.example/', '//evil.example/x', '/\\evil.example']) {
      const browser = new Browser();
      const start = await browser.get(
        `${ioc}/api/v1/auth/oidc/login?returnTo=${encodeURIComponent(returnTo)}`,
      );
      const callback = await browser.signInAtSso(
        new URL(start.headers.get('location') ?? ''),
        'sub-lan',
      );
      expect((await browser.get(callback.href)).headers.get('location')).toBe('/');
    }
  });

  it('fails the start with one clear line when the SSO cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await OidcSignIn.discover({
      ...settings,
      issuer: `http://127.0.0.1:${port}/sso`,
    }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(StartupError);
    expect(error).toMatchObject({ code: 'OIDC_UNREACHABLE' });
    expect((error as Error).message).toMatch(
      new RegExp(
        `^cannot use the SSO at auth\\.oidc\\.issuer http://127\\.0\\.0\\.1:${port}/sso: .*ECONNREFUSED`,
      ),
    );
    expect((error as Error).message).not.toContain('\n');

    const plain = await OidcSignIn.discover({ ...settings, issuer: 'http://sso.example.vn' }).catch(
      (err: unknown) => err,
    );
    expect(plain).toMatchObject({ code: 'CONFIG_INVALID' });
    expect((plain as Error).message).toMatch(/must be reached over https/);
  });
});

describe('CSRF: state-changing requests with the session cookie', () => {
  let session: string;

  beforeAll(async () => {
    const browser = new Browser();
    const start = await browser.get(`${ioc}/api/v1/auth/oidc/login`);
    const callback = await browser.signInAtSso(
      new URL(start.headers.get('location') ?? ''),
      'sub-lan',
    );
    await browser.get(callback.href);
    session = browser.cookie('ioc_session') ?? '';
    expect(session).not.toBe('');
  });

  /** POST /api/v1/auth/logout (a state change) with the session cookie and these headers. */
  async function logout(headers: Record<string, string>) {
    const res = await fetch(`${ioc}/api/v1/auth/logout`, {
      method: 'POST',
      headers: { cookie: `ioc_session=${session}`, ...headers },
    });
    const body =
      res.status === 204 ? undefined : ((await res.json()) as { code: string; message: string });
    return { status: res.status, body };
  }

  it('refuses a request a page of another site sends (Fetch Metadata)', async () => {
    for (const site of ['cross-site', 'same-site']) {
      const refused = await logout({ 'sec-fetch-site': site, origin: 'https://evil.example' });
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({ code: 'CROSS_SITE_REQUEST' });
      expect(refused.body?.message).toContain(`Sec-Fetch-Site: ${site}`);
      expect(refused.body?.message).toContain('Authorization: Bearer');
    }
  });

  it('refuses by Origin when the browser sends no Fetch Metadata, including "null"', async () => {
    for (const origin of ['https://evil.example', 'null', `http://localhost:1`]) {
      const refused = await logout({ origin });
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({ code: 'CROSS_SITE_REQUEST' });
    }
  });

  it('refuses a cross-site password sign-in (login CSRF)', async () => {
    const res = await fetch(`${ioc}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' },
      body: JSON.stringify({ username: 'admin', password: 'local-admin-password' }),
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ code: 'CROSS_SITE_REQUEST' });
  });

  it("lets reads through from anywhere, and changes from the IOC's own pages", async () => {
    const read = await fetch(`${ioc}/api/v1/auth/me`, {
      headers: { cookie: `ioc_session=${session}`, 'sec-fetch-site': 'cross-site' },
    });
    expect(read.status).toBe(200);
    const same = await logout({ 'sec-fetch-site': 'same-origin', origin: ioc });
    expect(same.status).toBe(204);
    // The session is gone now: the logout went through.
    const after = await fetch(`${ioc}/api/v1/auth/me`, {
      headers: { cookie: `ioc_session=${session}` },
    });
    expect(after.status).toBe(401);
  });
});

/** A browser as far as cookies and redirects go: one jar, cookies by name (hosts differ by port). */
class Browser {
  readonly #jar = new Map<string, Map<string, string>>();

  cookie(name: string, origin = ioc): string | undefined {
    return this.#jar.get(new URL(origin).host)?.get(name);
  }

  setCookie(name: string, value: string, origin = ioc): void {
    const host = new URL(origin).host;
    const cookies = this.#jar.get(host) ?? new Map<string, string>();
    cookies.set(name, value);
    this.#jar.set(host, cookies);
  }

  async get(url: string): Promise<Response> {
    return this.request(url);
  }

  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const host = new URL(url).host;
    const cookies = [...(this.#jar.get(host) ?? new Map()).entries()]
      .map(([k, v]) => `${k}=${v}`)
      .join('; ');
    const res = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: {
        ...(init.headers as Record<string, string>),
        ...(cookies ? { cookie: cookies } : {}),
      },
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = /max-age=0/i.test(line) || /expires=thu, 01 jan 1970/i.test(line);
      if (expired || value === '') this.#jar.get(host)?.delete(name);
      else this.setCookie(name, value, url);
    }
    return res;
  }

  /**
   * Follows the SSO's redirects and fills in its development login and consent forms as
   * `accountId`, up to the redirect back to the IOC: that callback URL is returned unvisited.
   */
  async signInAtSso(authorize: URL, accountId: string): Promise<URL> {
    let url = authorize;
    for (let step = 0; step < 20; step++) {
      if (url.origin === ioc) return url;
      const res = await this.get(url.href);
      const location = res.headers.get('location');
      if (location) {
        url = new URL(location, url);
        continue;
      }
      const page = await res.text();
      const action = /<form[^>]*action="([^"]+)"/.exec(page)?.[1];
      const prompt = /name="prompt" value="(\w+)"/.exec(page)?.[1];
      if (res.status !== 200 || !action || !prompt) {
        throw new Error(`the SSO answered ${res.status} at ${url.pathname}: ${page.slice(0, 300)}`);
      }
      const body = new URLSearchParams({ prompt, login: accountId, password: 'any' });
      const submitted = await this.request(new URL(action, url).href, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: body.toString(),
      });
      url = new URL(submitted.headers.get('location') ?? '', url);
    }
    throw new Error('the SSO did not send the browser back to the IOC within 20 steps');
  }
}
