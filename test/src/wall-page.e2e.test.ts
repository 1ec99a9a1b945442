// The video wall in real Chromium (WebGL through SwiftShader) against a real `ioc start --demo`:
// the app is built with Vite into a temporary folder and served by a small front server that
// hands every /api request to the running IOC, so the data is the demo province's own.
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath } from './browser.js';
import { ADMIN_PASSWORD, type IocServer, startIocServer } from './ioc-server.js';

const appRoot = fileURLToPath(new URL('../../ioc-web/app/', import.meta.url));

/** What WallPage exposes on window.__iocWall. */
interface WallProbe {
  room: string;
  connection: string;
  sensorCount: number;
  layers: Record<string, number>;
  openAlerts: number;
  devicesDenied: boolean;
  mapFailed: string | null;
}

// A rule that fires at once for every demo server-room sensor: open alerts for the wall.
const HOT_ROOM_RULE = {
  id: 'wall-e2e-hot-room',
  name: { vi: 'Phòng máy nóng (kiểm thử)', en: 'Hot server room (test)' },
  severity: 'critical',
  scope: { type: 'dc-environment' },
  condition: { kind: 'threshold', metric: 'temperature_c', op: 'above', value: -100 },
  message: {
    vi: 'Nhiệt độ tại {deviceName} là {value} {unit}',
    en: 'Temperature at {deviceName} is {value} {unit}',
  },
};

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.svg': 'image/svg+xml',
};

/** The built app from `root`, index.html for other paths, /api and /healthz to the IOC. */
async function frontServer(root: string, upstream: string): Promise<Server> {
  const target = new URL(upstream);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname.startsWith('/api/') || url.pathname === '/healthz') {
      const forward = request(
        {
          host: target.hostname,
          port: target.port,
          path: req.url,
          method: req.method,
          headers: req.headers,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', () => res.writeHead(502).end());
      req.pipe(forward);
      return;
    }
    serveFile(root, url.pathname, res).catch(() => res.writeHead(500).end());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

async function serveFile(root: string, path: string, res: ServerResponse): Promise<void> {
  const file = normalize(join(root, path));
  const inside = file.startsWith(root + sep) && extname(file) !== '';
  const body = inside ? await readFile(file).catch(() => undefined) : undefined;
  if (body) {
    res.writeHead(200, {
      'content-type': contentTypes[extname(file)] ?? 'application/octet-stream',
    });
    res.end(body);
    return;
  }
  res.writeHead(inside ? 404 : 200, { 'content-type': contentTypes['.html'] });
  res.end(inside ? '' : await readFile(join(root, 'index.html')));
}

async function buildApp(outDir: string): Promise<void> {
  // Vitest sets NODE_ENV=test, which would make Vite bundle React's development build.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({
      root: appRoot,
      configFile: join(appRoot, 'vite.config.ts'),
      mode: 'production',
      logLevel: 'warn',
      build: { outDir, emptyOutDir: true },
    });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
}

/** A signed-in cookie for direct API calls. */
async function signInCookie(base: string, username: string, password: string): Promise<string> {
  const answer = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  expect(answer.status).toBe(200);
  const cookie = answer.headers.get('set-cookie') ?? '';
  return cookie.split(';')[0] ?? '';
}

describe('the video wall in Chromium against the demo IOC', () => {
  let ioc: IocServer;
  let outDir: string;
  let front: Server;
  let baseUrl: string;
  let browser: Browser;
  let adminCookie: string;
  let operatorPassword: string;
  const contexts: BrowserContext[] = [];
  const requested: string[] = [];
  const pageErrors: Error[] = [];

  const api = async (cookie: string, path: string) => {
    const answer = await fetch(`${ioc.url}${path}`, { headers: { cookie } });
    return { status: answer.status, body: (await answer.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'ioc-wall-e2e-'));
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
    adminCookie = await signInCookie(ioc.url, 'admin', ADMIN_PASSWORD);
    const created = await fetch(`${ioc.url}/api/v1/rules`, {
      method: 'POST',
      headers: { cookie: adminCookie, 'content-type': 'application/json' },
      body: JSON.stringify(HOT_ROOM_RULE),
    });
    expect(created.status).toBe(201);
    // The demo server-room sensors report every few seconds: wait for their alerts.
    const deadline = Date.now() + 90_000;
    while ((await api(adminCookie, '/api/v1/alerts?state=open')).body.total === 0) {
      if (Date.now() > deadline) throw new Error('the test rule raised no alert in 90 s');
      await delay(1_000);
    }
    // SwiftShader gives headless Chromium WebGL 2 without a GPU (deck.gl and MapLibre need it).
    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--use-angle=swiftshader',
        '--enable-unsafe-swiftshader',
      ],
    });
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

  // No script error, and nothing asked of anything but the IOC on 127.0.0.1 (no CDN, no tiles).
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close()));
    const seen = requested.splice(0);
    expect(pageErrors.splice(0)).toEqual([]);
    expect(seen.length).toBeGreaterThan(0);
    expect(
      seen.filter((url) => /^https?:/.test(url) && new URL(url).hostname !== '127.0.0.1'),
    ).toEqual([]);
  });

  async function openWall(username: string, password: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
    contexts.push(context);
    context.on('request', (r) => requested.push(r.url()));
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error));
    await page.goto(`${baseUrl}/login`);
    await page.getByTestId('login-username').fill(username);
    await page.getByTestId('login-password').fill(password);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('console').waitFor();
    await page.goto(`${baseUrl}/wall/tinh`);
    await page.getByTestId('wall').waitFor();
    // Live, with the map fitted to the province (unit names drawn) and the data in.
    await page.waitForFunction(
      `(() => {
        const wall = window.__iocWall;
        return wall?.connection === 'live' && (wall.layers['unit-labels'] ?? 0) > 0 &&
          wall.openAlerts > 0;
      })()`,
      null,
      { timeout: 60_000 },
    );
    return page;
  }

  // Browser-side code is passed as text: this package type-checks for Node, without the DOM.
  const probe = (page: Page) => page.evaluate('window.__iocWall') as Promise<WallProbe>;

  it('draws the province, every positioned sensor and the open alerts (admin)', async () => {
    const page = await openWall('admin', ADMIN_PASSWORD);

    const devices = (await api(adminCookie, '/api/v1/devices?limit=1000')).body.devices as {
      lat: number | null;
      lon: number | null;
    }[];
    const positioned = devices.filter((d) => d.lat !== null && d.lon !== null).length;
    expect(positioned).toBeGreaterThan(0);
    await expect.poll(async () => (await probe(page)).sensorCount).toBe(positioned);
    const wall = await probe(page);
    expect(wall).toMatchObject({ room: 'tinh', devicesDenied: false, mapFailed: null });
    expect(wall.layers['sensor-points']).toBeGreaterThan(0);
    expect(wall.layers['sensor-points']).toBeLessThanOrEqual(positioned);

    // The map: MapLibre's canvas and deck.gl's, both full size.
    const canvases = (await page.evaluate(
      `[...document.querySelectorAll('[data-testid="wall-map"] canvas')].map((c) => [c.width, c.height])`,
    )) as [number, number][];
    expect(canvases.length).toBeGreaterThanOrEqual(2);
    for (const [width, height] of canvases) {
      expect(width).toBeGreaterThan(800);
      expect(height).toBeGreaterThan(500);
    }

    // Alerts: the panel lists the API's open alerts (critical first), with their Vietnamese text.
    const open = (await api(adminCookie, '/api/v1/alerts?state=open&limit=1000')).body.alerts as {
      id: string;
      message: { vi: string };
      parentId: string | null;
    }[];
    const topLevel = open.filter((a) => !a.parentId);
    await expect
      .poll(() => page.getByTestId('wall-alert-count').textContent())
      .toBe(String(topLevel.length));
    const listed = await page
      .getByTestId('wall-alert')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-alert-id')));
    expect(listed.length).toBe(Math.min(7, topLevel.length));
    const first = open.find((a) => a.id === listed[0]);
    expect(first).toBeDefined();
    const firstRow = (await page.getByTestId('wall-alert').first().textContent()) ?? '';
    expect(firstRow).toContain(first?.message.vi);
    expect(firstRow).toContain('Khẩn cấp');

    // Vietnamese, NFC, in the bundled Be Vietnam Pro (loaded from the IOC, not a CDN).
    const side = (await page.locator('.wall-side').textContent()) ?? '';
    for (const text of ['Cảnh báo đang mở', 'Chỉ số dịch vụ công', 'Tình trạng thiết bị']) {
      expect(side).toContain(text);
    }
    expect(side).toBe(side.normalize('NFC'));
    expect(await page.getByTestId('wall-title').textContent()).toBe('Bản đồ điều hành · Đà Nẵng');
    expect(
      await page.evaluate(`document.fonts.check('600 20px "Be Vietnam Pro"', 'Đà Nẵng ệ')`),
    ).toBe(true);
    expect(requested.some((u) => /be-vietnam-pro-vietnamese-\d+-normal.*\.woff2$/.test(u))).toBe(
      true,
    );
    expect(await page.getByTestId('wall-clock').textContent()).toMatch(
      /^\d{2}:\d{2}:\d{2}\d{2}\/\d{2}\/\d{4}$/,
    );
    expect(await page.getByTestId('wall-kpi').count()).toBe(4);

    // A screenshot with a picture in it: many distinct colours, not a blank or flat page.
    const shot = join(outDir, 'wall.png');
    const png = await page.screenshot({ path: shot });
    await page.screenshot({ path: '/tmp/ioc-wall.png' });
    const colours = await page.evaluate(`(async () => {
      const image = new Image();
      image.src = 'data:image/png;base64,${png.toString('base64')}';
      await image.decode();
      const canvas = document.createElement('canvas');
      canvas.width = image.width;
      canvas.height = image.height;
      const context = canvas.getContext('2d');
      context.drawImage(image, 0, 0);
      const { data } = context.getImageData(0, 0, image.width, image.height);
      const seen = new Set();
      for (let i = 0; i < data.length; i += 4 * 7) {
        seen.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
      }
      return seen.size;
    })()`);
    expect(colours).toBeGreaterThan(500);
  });

  it('shows the demo operator the alerts and KPIs, and devices as far as the role allows', async () => {
    const page = await openWall('operator', operatorPassword);
    const operatorCookie = await signInCookie(ioc.url, 'operator', operatorPassword);
    const devices = await api(operatorCookie, '/api/v1/devices?limit=1000');
    const wall = await probe(page);
    if (devices.status === 403) {
      // Today listing devices is an admin right: the wall says so instead of an empty map.
      expect(wall.devicesDenied).toBe(true);
      expect(await page.getByTestId('wall-devices-denied').textContent()).toBe(
        'Tài khoản này chưa có quyền xem danh sách thiết bị.',
      );
    } else {
      const list = devices.body.devices as { lat: number | null; lon: number | null }[];
      const positioned = list.filter((d) => d.lat !== null && d.lon !== null).length;
      await expect.poll(async () => (await probe(page)).sensorCount).toBe(positioned);
    }
    expect(Number(await page.getByTestId('wall-alert-count').textContent())).toBeGreaterThan(0);
    expect(await page.getByTestId('wall-kpi').count()).toBe(4);
    expect(await page.getByTestId('wall-room').textContent()).toBe('Toàn tỉnh');
  });

  it('shows "reconnecting" while the server cannot be reached, and recovers by itself', async () => {
    const page = await openWall('admin', ADMIN_PASSWORD);
    expect(await page.getByTestId('wall-connection').count()).toBe(0);

    await page.route('**/api/**', (route) => route.abort('connectionrefused'));
    await page.getByTestId('wall-connection').waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('wall-connection').textContent()).toBe(
      'Mất kết nối, đang kết nối lại…',
    );
    // The last picture stays: sensors and alerts are still drawn.
    expect((await probe(page)).sensorCount).toBeGreaterThan(0);
    expect(await page.getByTestId('wall-alert').count()).toBeGreaterThan(0);

    await page.unroute('**/api/**');
    await page.getByTestId('wall-connection').waitFor({ state: 'detached', timeout: 30_000 });
    expect((await probe(page)).connection).toBe('live');
  });
});
