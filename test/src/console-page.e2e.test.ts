// The operator console in real Chromium against a real `ioc start --demo`: an alert raised by
// a device over MQTT is acknowledged from the console with the keyboard alone; a device's
// history chart draws points read back from InfluxDB; both languages render.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { AlertSnapshot } from '@ioc/core';
import { connectAsync } from 'mqtt';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, frontServer } from './app-under-test.js';
import { launchChromium } from './browser.js';
import { ADMIN_PASSWORD, type IocServer, startIocServer } from './ioc-server.js';

const DEVICE = 'console-e2e-level-01';
const DEVICE_NAME = 'Trạm đo mực nước Cẩm Lệ (kiểm thử)';

const LEVEL_RULE = {
  id: 'console-e2e-level-high',
  name: { vi: 'Mực nước cao (kiểm thử bàn điều hành)', en: 'Water level high (console test)' },
  severity: 'major',
  scope: { device: DEVICE },
  condition: { kind: 'threshold', metric: 'level_cm', op: 'above', value: 500 },
  message: {
    vi: 'Mực nước tại {deviceName} là {value} {unit}',
    en: 'Water level at {deviceName} is {value} {unit}',
  },
};

describe('the operator console in Chromium against the demo IOC', () => {
  let ioc: IocServer;
  let outDir: string;
  let front: Server;
  let baseUrl: string;
  let browser: Browser;
  let adminCookie = '';
  let operatorPassword = '';
  let alertId = '';
  const contexts: BrowserContext[] = [];
  const pageErrors: Error[] = [];

  // biome-ignore lint/suspicious/noExplicitAny: JSON answers of several shapes, read field by field
  type Json = Record<string, any>;
  const api = async (path: string, options: { method?: string; body?: unknown } = {}) => {
    const answer = await fetch(`${ioc.url}${path}`, {
      method: options.method ?? 'GET',
      headers: {
        cookie: adminCookie,
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await answer.text();
    return { status: answer.status, body: (text ? JSON.parse(text) : {}) as Json };
  };

  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'ioc-console-e2e-'));
    [ioc] = await Promise.all([
      startIocServer({ args: ['--demo'] }),
      buildApp(join(outDir, 'app')),
    ]);
    front = await frontServer(join(outDir, 'app'), ioc.url);
    baseUrl = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
    const accounts = JSON.parse(await readFile(join(ioc.dataDir, 'demo-accounts.json'), 'utf8'));
    operatorPassword = (accounts as { username: string; password: string }[]).find(
      (a) => a.username === 'operator',
    )?.password as string;
    expect(operatorPassword).toBeTruthy();

    const login = await fetch(`${ioc.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    });
    expect(login.status).toBe(200);
    adminCookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';

    // A device of its own (Hải Vân ward), a rule on it, and readings over real MQTT.
    const provisioned = await api('/api/v1/devices', {
      method: 'POST',
      body: { id: DEVICE, type: 'water-level', unit: '20194', name: DEVICE_NAME },
    });
    expect(provisioned.status, JSON.stringify(provisioned.body)).toBe(201);
    const rule = await api('/api/v1/rules', { method: 'POST', body: LEVEL_RULE });
    expect(rule.status, JSON.stringify(rule.body)).toBe(201);

    const device = await connectAsync(`mqtt://127.0.0.1:${ioc.ports.mqtt}`, {
      clientId: DEVICE,
      username: DEVICE,
      password: provisioned.body.secret as string,
      reconnectPeriod: 0,
      connectTimeout: 5_000,
    });
    // Readings over the last half hour, one a minute apart in time, the last ones high.
    const now = Date.now();
    for (let i = 30; i >= 0; i--) {
      const payload = { ts: now - i * 60_000, values: { level_cm: i > 3 ? 300 + i : 620 - i } };
      await device.publishAsync(`ioc/v1/devices/${DEVICE}/telemetry`, JSON.stringify(payload), {
        qos: 1,
      });
    }
    await device.endAsync();

    const deadline = Date.now() + 60_000;
    for (;;) {
      const open = await api(`/api/v1/alerts?rule=${LEVEL_RULE.id}&state=active`);
      const [alert] = open.body.alerts as AlertSnapshot[];
      if (alert) {
        alertId = alert.id;
        break;
      }
      if (Date.now() > deadline) throw new Error('the test rule raised no alert in 60 s');
      await delay(500);
    }
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
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

  async function signedInPage(): Promise<Page> {
    const context = await browser.newContext({
      viewport: { width: 1600, height: 1000 },
      timezoneId: 'Europe/London', // the console must still show Viet Nam time
    });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error));
    await page.goto(`${baseUrl}/login`);
    await page.getByTestId('login-username').fill('operator');
    await page.getByTestId('login-password').fill(operatorPassword);
    await page.getByTestId('login-password').press('Enter');
    await page.getByTestId('console').waitFor();
    return page;
  }

  /** Presses Tab (or `key`) until the element with `testId` has focus; fails after `max` presses. */
  async function tabTo(page: Page, testId: string, max = 80, key = 'Tab'): Promise<void> {
    for (let i = 0; i < max; i++) {
      await page.keyboard.press(key);
      const focused = await page.evaluate<string | null>(
        "document.activeElement?.getAttribute('data-testid') ?? null",
      );
      if (focused === testId) return;
    }
    throw new Error(`Tab never reached ${testId} in ${max} presses`);
  }

  it('lets an operator acknowledge an open alert with the keyboard alone', async () => {
    const page = await signedInPage();
    await page.goto(`${baseUrl}/console`);
    const row = page.getByTestId(`alert-row-${alertId}`);
    await row.waitFor();
    await expect(row.textContent()).resolves.toContain(DEVICE_NAME);
    // dd/MM/yyyy HH:mm in Viet Nam time, whatever the browser's zone.
    const raised = (await api(`/api/v1/alerts/${alertId}`)).body.alert.raisedAt as string;
    const vn = new Date(Date.parse(raised) + 7 * 3_600_000).toISOString();
    const expected = `${vn.slice(8, 10)}/${vn.slice(5, 7)}/${vn.slice(0, 4)} ${vn.slice(11, 16)}`;
    await expect(row.textContent()).resolves.toContain(expected);

    await tabTo(page, `alert-row-${alertId}`);
    await page.keyboard.press('Enter');
    await page.getByTestId('alert-detail-message').waitFor();
    // Opening an alert moves focus to its heading, so Tab continues into its details.
    await expect(page.evaluate<string>('document.activeElement?.id')).resolves.toBe(
      'alert-detail-title',
    );

    // A refusal is shown with the server's code: assigning to nobody known is a 400.
    await tabTo(page, 'alert-assignee', 20);
    await page.keyboard.type('khong-co-ai');
    await page.keyboard.press('Enter');
    const refusal = page.getByTestId('alert-action-error');
    await refusal.waitFor();
    await expect(refusal.textContent()).resolves.toContain('ASSIGNEE_UNKNOWN');
    await expect(refusal.textContent()).resolves.toContain('400');

    // Back up the form with Shift+Tab to the acknowledge button.
    await tabTo(page, 'alert-acknowledge', 20, 'Shift+Tab');
    await page.keyboard.press('Enter');
    await page.getByTestId('alert-action-done').waitFor();
    await page.getByTestId(`alert-row-${alertId}`).waitFor({ state: 'detached' });
    await expect(page.getByTestId('alert-detail-state').textContent()).resolves.toBe(
      'Đã tiếp nhận',
    );

    const after = await api(`/api/v1/alerts/${alertId}`);
    expect(after.body.alert).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'operator' });
    const history = after.body.history as Array<{ change: string; actor: string }>;
    expect(history.some((h) => h.change === 'acknowledged' && h.actor === 'operator')).toBe(true);
    await expect(page.getByTestId('alert-history').textContent()).resolves.toContain(
      'Tiếp nhận · operator',
    );
  });

  it("draws a device's history chart from InfluxDB, aggregated by the server", async () => {
    const page = await signedInPage();
    await page.goto(`${baseUrl}/console/devices`);
    await page.getByTestId('device-search').fill('cam le');
    const link = page.getByTestId(`device-row-${DEVICE}`).getByRole('link');
    await expect(link.textContent()).resolves.toBe(DEVICE_NAME);
    await link.click();
    await page.getByTestId('device-detail').waitFor();
    await page.getByTestId('history-range-1h').click();
    const chart = page.getByTestId('history-chart');
    await chart.waitFor();
    // Ingest writes in batches: reload the hour until InfluxDB has the readings.
    const deadline = Date.now() + 30_000;
    let points = Number(await chart.getAttribute('data-points'));
    while (points < 20 && Date.now() < deadline) {
      await page.getByTestId('history-range-6h').click();
      await page.getByTestId('history-range-1h').click();
      await page.getByTestId('history-chart').waitFor();
      points = Number(await page.getByTestId('history-chart').getAttribute('data-points'));
    }
    // 31 readings a minute apart, bucketed by 1 minute: one point each (bucket edges aside).
    expect(points).toBeGreaterThanOrEqual(25);
    expect(await chart.getAttribute('data-every')).toBe('1m');
    const canvas = chart.locator('canvas');
    expect(await canvas.count()).toBeGreaterThan(0);
    const box = await canvas.first().boundingBox();
    expect(box?.width).toBeGreaterThan(300);

    // A year is one point a day: the server aggregates, the browser gets a handful.
    await page.getByTestId('history-range-1y').click();
    await expect
      .poll(async () => page.getByTestId('history-chart').getAttribute('data-every'))
      .toBe('1d');
    const yearPoints = Number(await page.getByTestId('history-chart').getAttribute('data-points'));
    expect(yearPoints).toBeGreaterThanOrEqual(1);
    expect(yearPoints).toBeLessThanOrEqual(2);
  });

  it('switches to English and renders Vietnamese in NFC', async () => {
    const page = await signedInPage();
    await page.goto(`${baseUrl}/console/alerts`);
    await page.getByTestId('alerts-view').waitFor();
    const nav = page.getByRole('navigation');
    await expect(nav.textContent()).resolves.toContain('Cảnh báo');
    await expect(nav.textContent()).resolves.toContain('Thiết bị');
    const text = (await page.locator('body').innerText()) ?? '';
    expect(text).toBe(text.normalize('NFC'));
    expect(text).toContain('Trạng thái');
    expect(await page.evaluate<string>('document.documentElement.lang')).toBe('vi');

    await page.getByTestId('language-en').click();
    await expect.poll(async () => page.locator('#alerts-title').textContent()).toBe('Alerts');
    await expect(nav.textContent()).resolves.toContain('Devices');
    await expect(nav.textContent()).resolves.not.toContain('Thiết bị');
    expect(await page.evaluate<string>('document.documentElement.lang')).toBe('en');
    await expect(page.getByTestId('alert-filters').textContent()).resolves.toContain('Severity');

    await page.getByTestId('language-vi').click();
    await expect.poll(async () => page.locator('#alerts-title').textContent()).toBe('Cảnh báo');
  });
});
