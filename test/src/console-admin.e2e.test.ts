// The console's admin pages in real Chromium against a real `ioc start`: an admin creates a
// user who can then sign in, provisions a device and sees its secret once; an operator gets
// no admin menu, and the server refuses the admin API to them anyway.
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, frontServer } from './app-under-test.js';
import { launchChromium } from './browser.js';
import { ADMIN_PASSWORD, type IocServer, startIocServer } from './ioc-server.js';

const OPERATOR = { username: 'dieu-hanh-e2e', password: 'mat-khau-dieu-hanh-e2e' };

describe('the console admin pages in Chromium against a real IOC', () => {
  let ioc: IocServer;
  let outDir: string;
  let front: Server;
  let baseUrl: string;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const pageErrors: Error[] = [];

  const login = (username: string, password: string) =>
    fetch(`${ioc.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });

  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'ioc-console-admin-e2e-'));
    [ioc] = await Promise.all([startIocServer(), buildApp(join(outDir, 'app'))]);
    front = await frontServer(join(outDir, 'app'), ioc.url);
    baseUrl = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
    // An operator to show what non-admins get, made over the API this test is also about.
    const admin = await login('admin', ADMIN_PASSWORD);
    expect(admin.status).toBe(200);
    const cookie = (admin.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const created = await fetch(`${ioc.url}/api/v1/users`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json', origin: ioc.url },
      body: JSON.stringify({ ...OPERATOR, role: 'ioc-operator' }),
    });
    expect(created.status, await created.clone().text()).toBe(201);
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    if (front) {
      front.closeAllConnections();
      front.close();
    }
    await ioc?.stop();
    ioc?.cleanup();
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  afterEach(() => {
    expect(pageErrors.map((e) => e.message)).toEqual([]);
    pageErrors.length = 0;
  });

  async function signedInPage(username: string, password: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error));
    // Confirmation dialogs (reset password, rotate, revoke) are accepted.
    page.on('dialog', (dialog) => void dialog.accept());
    await page.goto(`${baseUrl}/login`);
    await page.getByTestId('login-username').fill(username);
    await page.getByTestId('login-password').fill(password);
    await page.getByTestId('login-password').press('Enter');
    await page.getByTestId('console').waitFor();
    return page;
  }

  it('lets an admin create a user from the console, who can then sign in', async () => {
    const page = await signedInPage('admin', ADMIN_PASSWORD);
    await page.goto(`${baseUrl}/console/alerts`);
    await page.getByTestId('nav-users').click();
    await page.getByTestId('users-table').waitFor();

    // A weak password is refused by the server and its message is shown.
    await page.getByTestId('user-create-username').fill('nguyen.thi.b');
    await page.getByTestId('user-create-display-name').fill('Nguyễn Thị B');
    await page.getByTestId('user-create-password').fill('ngan');
    await page.getByTestId('user-create-role').selectOption('viewer');
    await page.getByTestId('user-create-submit').click();
    const refusal = page.getByTestId('users-error');
    await refusal.waitFor();
    await expect(refusal.textContent()).resolves.toContain('400');

    await page.getByTestId('user-create-password').fill('mật-khẩu-người-xem-b');
    await page.getByTestId('user-create-password').press('Enter');
    await page.getByTestId('user-row-nguyen.thi.b').waitFor();
    await expect(page.getByTestId('user-row-nguyen.thi.b').textContent()).resolves.toContain(
      'Nguyễn Thị B',
    );
    expect((await login('nguyen.thi.b', 'mật-khẩu-người-xem-b')).status).toBe(200);

    // Reset: the new password is shown once and works; the old one no longer does.
    await page.getByTestId('user-reset-nguyen.thi.b').click();
    const fresh = await page.getByTestId('user-new-password-value').inputValue();
    expect(fresh.length).toBeGreaterThanOrEqual(12);
    expect((await login('nguyen.thi.b', fresh)).status).toBe(200);
    expect((await login('nguyen.thi.b', 'mật-khẩu-người-xem-b')).status).toBe(401);
    await page.getByTestId('user-new-password-dismiss').click();
    await page.getByTestId('user-new-password').waitFor({ state: 'detached' });

    // The last admin cannot disable themselves: the server's refusal is shown.
    await page.getByTestId('user-toggle-admin').click();
    await expect(page.getByTestId('users-error').textContent()).resolves.toContain('LAST_ADMIN');
  });

  it('lets an admin provision a device and shows its secret once', async () => {
    const page = await signedInPage('admin', ADMIN_PASSWORD);
    await page.goto(`${baseUrl}/console/device-admin`);
    await page.getByTestId('device-admin-view').waitFor();
    await expect
      .poll(() => page.getByTestId('device-provision-type').locator('option').count())
      .toBeGreaterThan(0);
    await page.getByTestId('device-provision-id').fill('admin-e2e-tram-01');
    await page.getByTestId('device-provision-name').fill('Trạm kiểm thử quản trị');
    await page.getByTestId('device-provision-type').selectOption('water-level');
    await page.getByTestId('device-provision-unit').fill('20194');
    await page.getByTestId('device-provision-submit').click();
    const secret = await page.getByTestId('device-secret-value').inputValue();
    expect(secret.length).toBeGreaterThanOrEqual(16);
    await page.getByTestId('device-admin-row-admin-e2e-tram-01').waitFor();

    await page.getByTestId('device-secret-dismiss').click();
    await page.getByTestId('device-secret').waitFor({ state: 'detached' });
    await page.reload();
    await page.getByTestId('device-admin-row-admin-e2e-tram-01').waitFor();
    expect(await page.content()).not.toContain(secret);

    // Rotating shows a different secret, once.
    await page.getByTestId('device-rotate-admin-e2e-tram-01').click();
    const rotated = await page.getByTestId('device-secret-value').inputValue();
    expect(rotated).not.toBe(secret);
  });

  it('lets an admin create a room with a scope and add a member', async () => {
    const page = await signedInPage('admin', ADMIN_PASSWORD);
    await page.goto(`${baseUrl}/console/room-admin`);
    await page.getByTestId('room-new').click();
    await page.getByTestId('room-id').fill('phong-e2e');
    await page.getByTestId('room-name-vi').fill('Phòng kiểm thử');
    await page.getByTestId('room-name-en').fill('Test room');
    // An unknown unit is refused with the server's code.
    await page.getByTestId('room-units').fill('99999999');
    await page.getByTestId('room-save').click();
    await expect(page.getByTestId('room-editor-error').textContent()).resolves.toContain(
      'UNKNOWN_UNIT',
    );
    await page.getByTestId('room-units').fill('20194');
    await page.getByTestId('room-save').click();
    await page.getByTestId('room-edit-phong-e2e').click();
    await page.getByTestId('room-member-username').fill(OPERATOR.username);
    await page.getByTestId('room-member-add').click();
    await page.getByTestId(`room-member-${OPERATOR.username}`).waitFor();

    const admin = await login('admin', ADMIN_PASSWORD);
    const cookie = (admin.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const answer = await fetch(`${ioc.url}/api/v1/rooms/phong-e2e`, { headers: { cookie } });
    const room = (await answer.json()) as { room: { scope: unknown } };
    expect(room.room.scope).toEqual({ units: ['20194'], sectors: [] });
  });

  it('shows an operator no admin menu; the server refuses them the admin API', async () => {
    const page = await signedInPage(OPERATOR.username, OPERATOR.password);
    await page.goto(`${baseUrl}/console/alerts`);
    await page.getByTestId('nav-alerts').waitFor();
    for (const section of ['users', 'device-admin', 'room-admin', 'audit']) {
      expect(await page.getByTestId(`nav-${section}`).count()).toBe(0);
    }
    const status = await page.evaluate(async () => (await fetch('/api/v1/users')).status);
    expect(status).toBe(403);
    // Typing the address gets the page, but its data is refused and said so.
    await page.goto(`${baseUrl}/console/users`);
    await expect(page.getByTestId('console-error').textContent()).resolves.toContain('403');
  });
});
