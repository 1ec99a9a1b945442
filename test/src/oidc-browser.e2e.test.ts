import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createLogger,
  loadConfig,
  loadUnitTree,
  type SqlStore,
  sqlTestBackends,
  UserAccounts,
} from '@ioc/core';
import { loadDeviceCatalogue } from '@ioc/devices';
import * as web from '@ioc/ioc-web';
import { startTestSso } from '@ioc/ioc-web/test-sso';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from './app-under-test.js';
import { launchChromium } from './browser.js';
import { freePort } from './free-port.js';
import { startWebInProcess } from './web-in-process.js';

// People known to the test SSO: `roles` is the claim the IOC maps (auth.oidc.roleClaim).
const SSO_PEOPLE: Record<string, { preferred_username: string; name: string; roles: string[] }> = {
  'sub-lan': { preferred_username: 'lan.nt', name: 'Nguyễn Thị Lan', roles: ['ioc-dieu-hanh'] },
  'sub-minh': { preferred_username: 'minh.lv', name: 'Lê Văn Minh', roles: ['cong-chuc'] },
};
const CALLBACK_PATH = '/api/v1/auth/oidc/callback';

const { backends, cleanup } = sqlTestBackends('oidc-browser', inject('postgresUrl'));
const postgres = backends.find((b) => b.kind === 'postgres');

describe('sign-in with the SSO in Chromium', () => {
  let dir: string;
  let sql: SqlStore;
  let sso: { server: Server; issuer: string };
  let running: web.RunningWeb;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const pageErrors: Error[] = [];

  beforeAll(async () => {
    if (!postgres) throw new Error('no PostgreSQL backend');
    dir = await mkdtemp(join(tmpdir(), 'ioc-oidc-browser-e2e-'));
    // The SSO must know the IOC's callback before the IOC discovers the SSO: pick the port first.
    const port = await freePort();
    const [opened, units, catalogue, provider] = await Promise.all([
      postgres.open(),
      loadUnitTree('da-nang-2025'),
      loadDeviceCatalogue(),
      startTestSso(`http://127.0.0.1:${port}${CALLBACK_PATH}`, SSO_PEOPLE),
      buildApp(join(dir, 'app')),
    ]);
    sql = opened;
    sso = provider;
    const accounts = new UserAccounts(sql);
    await accounts.ensureAdmin('mat-khau-quan-tri-sso');
    const logger = createLogger('silent');
    const config = loadConfig({
      env: {},
      cwd: dir,
      overrides: {
        dataDir: dir,
        web: { host: '127.0.0.1', port },
        auth: {
          oidc: {
            issuer: sso.issuer,
            clientId: 'ioc',
            clientSecret: 'ioc-client-secret-for-tests',
            scopes: 'openid profile',
            roleClaim: 'roles',
            roleMap: { 'ioc-dieu-hanh': 'ioc-operator' },
            usernameClaim: 'preferred_username',
          },
        },
      },
    });
    running = await startWebInProcess({
      sql,
      dataDir: dir,
      config,
      logger,
      units,
      accounts,
      catalogue,
      rooms: new web.RoomStore(sql),
      appDir: join(dir, 'app'),
    });
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await running?.stop();
    await new Promise((resolve) => sso?.server.close(resolve));
    await sql?.close();
    cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close()));
    expect(pageErrors.splice(0).map((e) => e.message)).toEqual([]);
  });

  async function loginPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error));
    await page.goto(`${running.url}/login`);
    return page;
  }

  /** On the SSO's development pages: sign in as `accountId`, then consent, until back at the IOC. */
  async function signInAtSso(page: Page, accountId: string): Promise<void> {
    await page.waitForURL((url) => url.origin === sso.issuer);
    await page.locator('input[name="login"]').fill(accountId);
    await page.locator('input[name="password"]').fill('any');
    await page.locator('button[type="submit"]').first().click();
    // The consent page, unless the SSO sends the browser straight back.
    await page.waitForURL((url) => url.origin === running.url || !url.pathname.includes('/login'));
    if (new URL(page.url()).origin === sso.issuer) {
      await page.locator('button[type="submit"]').first().click();
    }
    await page.waitForURL((url) => url.origin === running.url, { timeout: 20_000 });
  }

  it('signs in through the SSO button and lands in the console with the mapped role', async () => {
    const page = await loginPage();
    const button = page.getByTestId('login-sso');
    await button.waitFor();
    expect(await button.textContent()).toBe('Đăng nhập bằng SSO');
    await button.click();
    await signInAtSso(page, 'sub-lan');

    await page.getByTestId('console').waitFor({ timeout: 20_000 });
    expect(new URL(page.url()).pathname).toBe('/');
    expect(await page.locator('body').textContent()).toContain('Nguyễn Thị Lan');
    // The page's own session: the SSO's account, with the role its claims map to.
    const me = (await page.evaluate(`fetch('/api/v1/auth/me').then((r) => r.json())`)) as {
      user: Record<string, string>;
    };
    expect(me.user).toMatchObject({
      username: 'lan.nt',
      displayName: 'Nguyễn Thị Lan',
      role: 'ioc-operator',
    });
    const cookies = await page.context().cookies(running.url);
    const session = cookies.find((c) => c.name === 'ioc_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
  });

  it('shows a person whose claims map to no role why they cannot sign in, in both languages', async () => {
    const page = await loginPage();
    await page.getByTestId('login-sso').click();
    await signInAtSso(page, 'sub-minh');
    const text = (await page.locator('body').textContent()) ?? '';
    expect(text).toContain('OIDC_ROLE_NOT_MAPPED');
    expect(text).toContain('chưa được cấp quyền sử dụng IOC');
    expect(text).toContain('has not been given a role in the IOC');
    // No session was made.
    const cookies = await page.context().cookies(running.url);
    expect(cookies.find((c) => c.name === 'ioc_session')).toBeUndefined();
  });
});
