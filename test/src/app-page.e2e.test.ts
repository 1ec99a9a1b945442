// The web app shell in real Chromium: built with Vite, served by a tiny static server that
// also answers the auth, health and unit routes with canned JSON. This checks the app alone;
// the full stack against the real ioc-web server is tested elsewhere.
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app-under-test.js';
import { launchChromium } from './browser.js';

const operator = { username: 'dieuhanh', role: 'ioc-operator', displayName: 'Nguyễn Thị Hà' };
// Non-ASCII on purpose: the password must reach the server intact as UTF-8 JSON.
const operatorPassword = 'mật-khẩu-đúng';
const sessionCookie = 'ioc_session=e2e-session';

type Health = {
  status: 'up' | 'down';
  components: Record<string, { status: 'up' | 'down'; reason?: string }>;
};

function healthWith(down: Record<string, string>): Health {
  const components: Health['components'] = {};
  for (const name of ['web', 'sql', 'influx', 'broker', 'media']) {
    const reason = down[name];
    components[name] = reason === undefined ? { status: 'up' } : { status: 'down', reason };
  }
  return { status: Object.keys(down).length === 0 ? 'up' : 'down', components };
}

// A slice of the Đà Nẵng 2025 dataset (core/data), in the shape GET /api/v1/units returns.
const unitList = {
  dataset: 'da-nang-2025',
  units: [
    {
      code: '48',
      name: 'Đà Nẵng',
      nameEn: 'Da Nang',
      type: 'province',
      parentCode: null,
      level: 0,
    },
    { code: '20194', name: 'Hải Vân', nameEn: 'Hai Van', type: 'ward', parentCode: '48', level: 1 },
    {
      code: '20200',
      name: 'Hoà Khánh',
      nameEn: 'Hoa Khanh',
      type: 'ward',
      parentCode: '48',
      level: 1,
    },
    {
      code: '20209',
      name: 'Thanh Khê',
      nameEn: 'Thanh Khe',
      type: 'ward',
      parentCode: '48',
      level: 1,
    },
    { code: '20314', name: 'Bà Nà', nameEn: 'Ba Na', type: 'commune', parentCode: '48', level: 1 },
    {
      code: '20333',
      name: 'Hòa Vang',
      nameEn: 'Hoa Vang',
      type: 'commune',
      parentCode: '48',
      level: 1,
    },
    {
      code: '20335',
      name: 'Hoàng Sa',
      nameEn: 'Hoang Sa',
      type: 'special-zone',
      parentCode: '48',
      level: 1,
    },
  ],
};

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
};

/** Static files from `root`, index.html for any other GET (SPA fallback), and canned API. */
class AppShellServer {
  readonly apiCalls: string[] = [];
  health: Health = healthWith({ media: 'mediasoup worker chưa khởi động' });
  /** Answer /healthz with a bare 500, as a crashed proxy would. */
  healthFails = false;
  private readonly server: Server;

  constructor(private readonly root: string) {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        res.writeHead(500).end(String(error));
      });
    });
  }

  async listen(): Promise<string> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const route = `${req.method} ${url.pathname}`;
    const signedIn = req.headers.cookie?.split(/;\s*/).includes(sessionCookie) ?? false;
    if (url.pathname.startsWith('/api/') || url.pathname === '/healthz') this.apiCalls.push(route);

    switch (route) {
      case 'POST /api/v1/auth/login': {
        const body = JSON.parse((await readBody(req)) || '{}') as Record<string, unknown>;
        if (typeof body.username !== 'string' || typeof body.password !== 'string') {
          return json(res, 400, { code: 'VALIDATION', message: 'username and password required' });
        }
        if (body.username !== operator.username || body.password !== operatorPassword) {
          return json(res, 401, { code: 'INVALID_CREDENTIALS', message: 'wrong password' });
        }
        res.setHeader('set-cookie', `${sessionCookie}; HttpOnly; Path=/; SameSite=Strict`);
        return json(res, 200, { user: operator });
      }
      case 'POST /api/v1/auth/logout':
        res.setHeader('set-cookie', `${sessionCookie}; HttpOnly; Path=/; Max-Age=0`);
        return void res.writeHead(204).end();
      case 'GET /api/v1/auth/me':
        return signedIn
          ? json(res, 200, { user: operator })
          : json(res, 401, { code: 'UNAUTHENTICATED', message: 'sign in first' });
      case 'GET /healthz':
        if (this.healthFails) return void res.writeHead(500).end('upstream failed');
        return json(res, this.health.status === 'up' ? 200 : 503, this.health);
      case 'GET /api/v1/units':
        return signedIn
          ? json(res, 200, unitList)
          : json(res, 401, { code: 'UNAUTHENTICATED', message: 'sign in first' });
    }
    if (req.method !== 'GET') return json(res, 404, { code: 'NOT_FOUND', message: route });

    const file = normalize(join(this.root, url.pathname));
    const inside = file.startsWith(this.root + sep) && extname(file) !== '';
    const body = inside ? await readFile(file).catch(() => undefined) : undefined;
    if (body) {
      res.writeHead(200, {
        'content-type': contentTypes[extname(file)] ?? 'application/octet-stream',
      });
      return void res.end(body);
    }
    res.writeHead(200, { 'content-type': contentTypes['.html'] });
    res.end(await readFile(join(this.root, 'index.html')));
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

describe('web app shell in Chromium', () => {
  let outDir: string;
  let server: AppShellServer;
  let baseUrl: string;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  /** Every URL the current test's pages asked for. */
  const requested: string[] = [];
  const pageErrors: Error[] = [];

  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'ioc-app-e2e-'));
    await buildApp(outDir);
    server = new AppShellServer(outDir);
    baseUrl = await server.listen();
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  // After every test: no script error, and no request to anything but the IOC server on
  // 127.0.0.1 (no CDN font, no tile server, no telemetry).
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close()));
    const seen = requested.splice(0);
    expect(pageErrors.splice(0)).toEqual([]);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter((url) => new URL(url).hostname !== '127.0.0.1')).toEqual([]);
  });

  async function openPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1600, height: 900 } });
    contexts.push(context);
    context.on('request', (request) => requested.push(request.url()));
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error));
    return page;
  }

  async function signIn(page: Page): Promise<void> {
    await page.goto(`${baseUrl}/`);
    await page.getByTestId('login-username').fill(operator.username);
    await page.getByTestId('login-password').fill(operatorPassword);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('console').waitFor();
  }

  const text = async (page: Page, testId: string) =>
    (await page.getByTestId(testId).textContent()) ?? '';

  it('shows the Vietnamese login form in #root when signed out', async () => {
    const page = await openPage();
    await page.goto(`${baseUrl}/`);
    await page.waitForURL(`${baseUrl}/login`);

    const form = page.locator('#root [data-testid="login-form"]');
    await form.waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('vi');
    expect(await page.title()).toBe('Trung tâm điều hành thông minh (IOC)');
    const formText = (await form.textContent()) ?? '';
    expect(formText).toContain('Tên đăng nhập');
    expect(formText).toContain('Mật khẩu');
    expect(formText).toBe(formText.normalize('NFC'));
    expect(await page.getByTestId('login-password').getAttribute('type')).toBe('password');
    await page.screenshot({ path: '/tmp/ioc-login.png' });

    await page.goto(`${baseUrl}/khong-co-trang-nay`);
    expect(await text(page, 'not-found')).toContain('Không tìm thấy trang');
  });

  it('explains an empty form and a wrong password in Vietnamese', async () => {
    const page = await openPage();
    await page.goto(`${baseUrl}/login`);
    const loginCalls = () => server.apiCalls.filter((c) => c.endsWith('/auth/login')).length;
    const before = loginCalls();

    await page.getByTestId('login-submit').click();
    await expect
      .poll(() => text(page, 'login-error'))
      .toBe('Vui lòng nhập tên đăng nhập và mật khẩu.');
    expect(loginCalls()).toBe(before); // checked in the browser, nothing sent

    await page.getByTestId('login-username').fill(operator.username);
    await page.getByTestId('login-password').fill('sai-mật-khẩu');
    const answer = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/login'));
    await page.getByTestId('login-submit').click();
    expect((await answer).status()).toBe(401);
    await page.getByText('Tên đăng nhập hoặc mật khẩu không đúng.').waitFor();
    expect(new URL(page.url()).pathname).toBe('/login');
    expect(await page.getByTestId('login-password').inputValue()).toBe('');
    expect(await page.getByTestId('console').count()).toBe(0);
  });

  it('signs in to the console: user, system status polled every 5 s, unit tree', async () => {
    server.health = healthWith({ media: 'mediasoup worker chưa khởi động' });
    const page = await openPage();
    await signIn(page);

    expect(new URL(page.url()).pathname).toBe('/');
    expect(await text(page, 'product-name')).toBe('Trung tâm điều hành thông minh (IOC)');
    expect(await text(page, 'user-name')).toBe('Nguyễn Thị Hà');
    expect(await text(page, 'user-role')).toBe('Điều hành viên IOC');
    expect(await text(page, 'clock')).toMatch(/^\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}:\d{2}$/);

    // System status: every component by name, the one that is down with its reason.
    const panel = page.getByTestId('status-panel');
    await page.getByTestId('status-media').waitFor();
    expect(await panel.locator('h2').textContent()).toBe('Tình trạng hệ thống');
    const labels = {
      web: 'Máy chủ web và API',
      sql: 'Cơ sở dữ liệu quan hệ (SQL)',
      influx: 'Cơ sở dữ liệu chuỗi thời gian (InfluxDB)',
      broker: 'Máy chủ MQTT (kết nối thiết bị)',
      media: 'Hội nghị truyền hình (SFU)',
    };
    for (const [name, label] of Object.entries(labels)) {
      const row = await text(page, `status-${name}`);
      expect(row).toContain(label);
      expect(row).toContain(name === 'media' ? 'Mất kết nối' : 'Trực tuyến');
    }
    expect(await text(page, 'status-media-reason')).toBe('mediasoup worker chưa khởi động');
    expect(await text(page, 'status-summary')).toBe('1 thành phần mất kết nối');
    expect(await text(page, 'status-updated')).toMatch(
      /^Cập nhật lúc \d{2}\/\d{2}\/\d{4} \d{2}:\d{2}:\d{2}$/,
    );

    // Units: the city and its communes, counted by type.
    await page.getByTestId('unit-tree').waitFor();
    expect(await text(page, 'unit-total')).toBe('7 đơn vị');
    expect(await text(page, 'unit-count-province')).toBe('1 Tỉnh, thành phố');
    expect(await text(page, 'unit-count-ward')).toBe('3 Phường');
    expect(await text(page, 'unit-count-commune')).toBe('2 Xã');
    expect(await text(page, 'unit-count-special-zone')).toBe('1 Đặc khu');
    const tree = (await text(page, 'unit-tree')).normalize('NFC');
    for (const unit of unitList.units) expect(tree).toContain(unit.name);

    // Accent-insensitive search: "hoa" finds both spellings, Hoà Khánh and Hòa Vang.
    await page.getByTestId('unit-filter').fill('hoa');
    await page.getByTestId('unit-matches').waitFor();
    const matches = await text(page, 'unit-matches');
    expect(matches).toContain('Hoà Khánh');
    expect(matches).toContain('Hòa Vang');
    expect(matches).not.toContain('Thanh Khê');
    await page.getByTestId('unit-filter').fill('');

    // The next poll picks up a change without a reload.
    server.health = healthWith({ broker: 'cổng 1883 đang bị chiếm' });
    await page.waitForResponse((r) => r.url().endsWith('/healthz'), { timeout: 8_000 });
    await page.locator('[data-testid="status-broker"][data-status="down"]').waitFor();
    await page.locator('[data-testid="status-media"][data-status="up"]').waitFor();
    expect(await text(page, 'status-broker-reason')).toBe('cổng 1883 đang bị chiếm');

    await page.screenshot({ path: '/tmp/ioc-app.png' });

    // A failing /healthz keeps the last report on screen, marked as not current.
    server.healthFails = true;
    await page.getByTestId('status-unreachable').waitFor({ timeout: 8_000 });
    expect(await text(page, 'status-unreachable')).toMatch(
      /^Không nhận được tình trạng từ máy chủ IOC \(lần cuối: \d{2}\/\d{2}\/\d{4} [\d:]{8}\)/,
    );
    expect(await text(page, 'status-summary')).toBe('Tình trạng chưa được cập nhật');
    expect(await page.getByTestId('status-broker').getAttribute('data-status')).toBe('down');
    server.healthFails = false;
    await page.getByTestId('status-unreachable').waitFor({ state: 'detached', timeout: 8_000 });
  });

  it('switches to English and keeps the choice after a reload', async () => {
    server.health = healthWith({});
    const page = await openPage();
    await signIn(page);
    await page.getByTestId('status-web').waitFor();

    await page.getByTestId('language-en').click();
    await expect.poll(() => page.locator('html').getAttribute('lang')).toBe('en');
    expect(await text(page, 'product-name')).toBe('Intelligent Operations Centre (IOC)');
    expect(await text(page, 'status-web')).toContain('Online');
    expect(await text(page, 'status-summary')).toBe('All components are working normally');

    await page.reload();
    await page.getByTestId('status-web').waitFor();
    expect(await text(page, 'logout')).toBe('Sign out');
    expect(await page.title()).toBe('Intelligent Operations Centre (IOC)');

    await page.getByTestId('language-vi').click();
    await expect.poll(() => text(page, 'logout')).toBe('Đăng xuất');
  });

  it('signs out to the login page, and stays signed out after a reload', async () => {
    const page = await openPage();
    await signIn(page);
    await page.getByTestId('logout').click();
    await page.waitForURL(`${baseUrl}/login`);
    expect(await text(page, 'login-notice')).toBe('Bạn đã đăng xuất.');
    await page.reload();
    await page.getByTestId('login-form').waitFor();
    expect(await page.getByTestId('console').count()).toBe(0);
  });

  it('says so in Vietnamese when the server cannot be reached at sign-in', async () => {
    const lonely = new AppShellServer(outDir);
    const lonelyUrl = await lonely.listen();
    const page = await openPage();
    await page.goto(`${lonelyUrl}/login`);
    await page.getByTestId('login-form').waitFor();
    await lonely.close();

    await page.getByTestId('login-username').fill(operator.username);
    await page.getByTestId('login-password').fill(operatorPassword);
    await page.getByTestId('login-submit').click();
    await expect
      .poll(() => text(page, 'login-error'))
      .toBe('Không kết nối được tới máy chủ IOC. Kiểm tra kết nối mạng rồi thử lại.');
  });
});
