// The wall's live feed between snapshots, in real Chromium against a real `ioc start --demo`
// (PostgreSQL or PGlite, InfluxDB, ingest, broker, the demo simulators): a device provisioned
// after the wall opened appears on it, a posted KPI figure changes a tile without a REST
// re-read, a kiosk room rotates its scenes, and a wall whose socket is blocked keeps showing
// data by polling REST and says so. Also the console's read-only KPI admin page.
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

/** What WallPage exposes on window.__iocWall (the parts these tests read). */
interface WallProbe {
  connection: string;
  transport: string | null;
  scene: string | null;
  sensorCount: number;
  openAlerts: number;
}

// biome-ignore lint/suspicious/noExplicitAny: JSON answers, read by the assertions that use them
type Json = Record<string, any>;

const OPERATOR = { username: 'dieu-hanh-kpi-e2e', password: 'mat-khau-dieu-hanh-kpi-e2e' };

/** Today's local day in Viet Nam, as KPI observations name it. */
function localToday(): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Ho_Chi_Minh' }).format(new Date());
}

describe('the wall between snapshots, in Chromium against the demo IOC', () => {
  let ioc: IocServer;
  let outDir: string;
  let front: Server;
  let baseUrl: string;
  let browser: Browser;
  let adminCookie: string;
  const contexts: BrowserContext[] = [];
  const pageErrors: Error[] = [];

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
    outDir = await mkdtemp(join(tmpdir(), 'ioc-wall-live-e2e-'));
    [ioc] = await Promise.all([
      startIocServer({ args: ['--demo'] }),
      buildApp(join(outDir, 'app')),
    ]);
    front = await frontServer(join(outDir, 'app'), ioc.url);
    baseUrl = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
    const login = await fetch(`${ioc.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    });
    expect(login.status).toBe(200);
    adminCookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const operator = await api('/api/v1/users', {
      method: 'POST',
      body: { ...OPERATOR, role: 'ioc-operator' },
    });
    expect(operator.status, JSON.stringify(operator.body)).toBe(201);
    browser = await launchChromium({ webgl: true });
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

  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close()));
    expect(pageErrors.splice(0).map((e) => e.message)).toEqual([]);
  });

  /** A signed-in page; `requests` collects every URL it asks for from then on. */
  async function signedInPage(
    username = 'admin',
    password = ADMIN_PASSWORD,
  ): Promise<{ page: Page; requests: string[] }> {
    const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
    contexts.push(context);
    const page = await context.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (error) => pageErrors.push(error));
    await page.goto(`${baseUrl}/login`);
    await page.getByTestId('login-username').fill(username);
    await page.getByTestId('login-password').fill(password);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('console').waitFor();
    return { page, requests };
  }

  /** Opens a room's wall, live on its socket with the map drawn. */
  async function openWall(room = 'tinh', query = ''): Promise<{ page: Page; requests: string[] }> {
    const signedIn = await signedInPage();
    await signedIn.page.goto(`${baseUrl}/wall/${room}${query}`);
    await signedIn.page
      .waitForFunction(
        `window.__iocWall?.connection === 'live' && window.__iocWall.transport === 'socket' &&
         window.__iocWall.roomName !== null && (window.__iocWall.layers['unit-labels'] ?? 0) > 0`,
        null,
        { timeout: 90_000 },
      )
      .catch(async (error) => {
        const wall = await signedIn.page.evaluate('JSON.stringify(window.__iocWall)');
        throw new Error(`${error}\nthe wall of ${room}: ${wall}`);
      });
    return signedIn;
  }

  // Browser-side code is passed as text: this package type-checks for Node, without the DOM.
  const probe = (page: Page) => page.evaluate('window.__iocWall') as Promise<WallProbe>;

  it('draws a device provisioned after the wall opened, from the live feed alone', async () => {
    const { page, requests } = await openWall();
    const listed = (await api('/api/v1/devices?limit=1000')).body.devices as Json[];
    const positioned = listed.filter((d) => d.lat !== null && d.lon !== null).length;
    await expect.poll(async () => (await probe(page)).sensorCount).toBe(positioned);
    const opened = requests.length;

    const created = await api('/api/v1/devices', {
      method: 'POST',
      body: {
        id: 'wall-live-new',
        type: 'water-level',
        unit: '20410',
        name: 'Trạm mới Hội An',
        lon: 108.33,
        lat: 15.88,
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    await expect
      .poll(async () => (await probe(page)).sensorCount, { timeout: 10_000, interval: 100 })
      .toBe(positioned + 1);
    // It came in a delta: no snapshot was asked for (no resync) and no REST device list.
    expect(requests.slice(opened).filter((u) => u.includes('/api/v1/devices'))).toEqual([]);
    expect((await probe(page)).transport).toBe('socket');
  }, 150_000);

  it('changes a KPI tile when a figure is posted, without re-reading the KPI over REST', async () => {
    const { page, requests } = await openWall();
    const tile = page.locator('[data-testid="wall-kpi"][data-kpi="on_time_rate"]');
    await tile.locator('.wall-kpi-value').waitFor({ timeout: 30_000 });
    const before = await tile.locator('.wall-kpi-value').textContent();
    const loaded = requests.length;
    expect(requests.some((u) => u.includes('/api/v1/kpi?kpi=on_time_rate'))).toBe(true);

    // A flood of late dossiers recorded at the province itself (its own figures count in the
    // roll-up; no simulated commune overwrites them): today's on-time rate collapses.
    const units = (await api('/api/v1/units')).body.units as Json[];
    const province = units.find((u) => u.parentCode === null)?.code as string;
    const posted = await api('/api/v1/kpi', {
      method: 'POST',
      body: {
        observations: [
          { kpi: 'dossiers_on_time', unit: province, date: localToday(), value: 0 },
          { kpi: 'dossiers_late', unit: province, date: localToday(), value: 1_000_000 },
        ],
      },
    });
    expect(posted.body).toMatchObject({ accepted: 2, rejected: 0 });

    const series = await api('/api/v1/kpi?kpi=on_time_rate&every=1d');
    const today = (series.body.points as Json[]).find((p) => p.date === localToday());
    expect(today?.value).toBeLessThan(5);
    const expected = `${new Intl.NumberFormat('vi-VN', { maximumFractionDigits: 1 }).format(today?.value)}%`;
    await expect
      .poll(() => tile.locator('.wall-kpi-value').textContent(), { timeout: 10_000, interval: 100 })
      .toBe(expected);
    expect(expected).not.toBe(before);
    expect(await tile.locator('.wall-kpi-badge').textContent()).toBe('✗ Chưa đạt');
    // The tile followed the room's roll-up in a delta; its series was not fetched again.
    expect(requests.slice(loaded).filter((u) => u.includes('/api/v1/kpi?'))).toEqual([]);
  }, 150_000);

  it('rotates a kiosk room through its scenes, each with its own layers', async () => {
    const scene = (id: string, vi: string, layers: string[], unit?: string) => ({
      id,
      title: { vi, en: id },
      durationS: 5,
      view: { layers, ...(unit ? { unit } : {}) },
    });
    const created = await api('/api/v1/rooms', {
      method: 'POST',
      body: {
        id: 'xoay-vong',
        name: { vi: 'Phòng xoay vòng', en: 'Rotating room' },
        scope: { units: [], sectors: [] },
        scenes: [
          scene('cam-bien', 'Cảm biến', ['sensors', 'alerts']),
          scene('chi-so', 'Chỉ số Hội An', ['kpi'], '20410'),
        ],
        kiosk: { rotation: true },
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const { page } = await openWall('xoay-vong', '?kiosk=1');
    const subtitle = page.getByTestId('wall-scene');
    const titles: Record<string, string> = {
      'cam-bien': ' · Cảm biến',
      'chi-so': ' · Chỉ số Hội An',
    };
    /** Waits for a scene, then checks its title and its layers (no sensors on the KPI scene). */
    const shows = async (id: string) => {
      await page.waitForFunction(`window.__iocWall?.scene === '${id}'`, null, {
        timeout: 15_000,
      });
      await expect.poll(() => subtitle.textContent()).toBe(titles[id]);
      if (id === 'chi-so') await expect.poll(async () => (await probe(page)).sensorCount).toBe(0);
      else await expect.poll(async () => (await probe(page)).sensorCount).toBeGreaterThan(0);
    };
    // Whichever scene it shows now, the other follows after 5 s, then this one again.
    const first = (await probe(page)).scene as string;
    expect(Object.keys(titles)).toContain(first);
    const second = first === 'cam-bien' ? 'chi-so' : 'cam-bien';
    await shows(second);
    await shows(first);
  }, 150_000);

  it('keeps showing data over REST when the socket is blocked, and says so discreetly', async () => {
    const { page, requests } = await signedInPage();
    // A proxy that refuses WebSocket and long polling alike.
    await page.route('**/socket.io/**', (route) => route.abort('connectionrefused'));
    await page.goto(`${baseUrl}/wall/tinh`);
    const listed = (await api('/api/v1/devices?limit=1000')).body.devices as Json[];
    const positioned = listed.filter((d) => d.lat !== null && d.lon !== null).length;

    const badge = page.getByTestId('wall-transport');
    await badge.waitFor({ timeout: 45_000 });
    expect(await badge.textContent()).toBe('Cập nhật định kỳ');
    expect(await badge.getAttribute('title')).toContain('REST');
    const wall = await probe(page);
    expect(wall).toMatchObject({ connection: 'live', transport: 'poll' });
    await expect.poll(async () => (await probe(page)).sensorCount).toBe(positioned);
    expect(requests.some((u) => u.includes('/api/v1/alerts?state=open'))).toBe(true);
    expect(requests.some((u) => u.includes('/api/v1/devices?'))).toBe(true);
    // Not the alarm of a lost connection: that badge is for when nothing gets through.
    expect(await page.getByTestId('wall-connection').count()).toBe(0);
    // The open alerts as the API lists them (they change while the demo runs: compare afresh
    // until the wall's next poll has caught up with the API).
    await expect
      .poll(
        async () => {
          const open = (await api('/api/v1/alerts?state=open&limit=1000')).body.total as number;
          return (await probe(page)).openAlerts - open;
        },
        { timeout: 30_000, interval: 500 },
      )
      .toBe(0);
    expect((await probe(page)).openAlerts).toBeGreaterThan(0);
  }, 150_000);

  it('lists the KPI definitions read-only for admins, and says where they come from', async () => {
    const definitions = (await api('/api/v1/kpi/definitions')).body.kpis as Json[];
    expect(definitions.length).toBeGreaterThan(0);
    const { page } = await signedInPage();
    await page.goto(`${baseUrl}/console/alerts`);
    await page.getByTestId('nav-kpi-admin').click();
    await page.getByTestId('kpi-admin-table').waitFor();
    expect(await page.locator('[data-testid^="kpi-row-"]').count()).toBe(definitions.length);
    const row = page.getByTestId('kpi-row-on_time_rate');
    const text = (await row.textContent()) ?? '';
    expect(text).toContain('Dịch vụ hành chính công');
    expect(text).toContain('Càng cao càng tốt');
    expect(await page.getByTestId('kpi-target-on_time_rate').textContent()).toBe('95 %');
    expect(await page.getByTestId('kpi-target-dossiers_received').textContent()).toBe('Không đặt');
    const source = (await page.getByTestId('kpi-admin-source').textContent()) ?? '';
    expect(source).toContain('ingest/data/kpis.json');
    expect(source).toContain('ingest.kpiFile');
    // Read-only: nothing on the page to edit a target with.
    expect(await page.locator('[data-testid="kpi-admin-view"] input').count()).toBe(0);

    const operator = await signedInPage(OPERATOR.username, OPERATOR.password);
    await operator.page.goto(`${baseUrl}/console/alerts`);
    await operator.page.getByTestId('nav-alerts').waitFor();
    expect(await operator.page.getByTestId('nav-kpi-admin').count()).toBe(0);
  });
});
