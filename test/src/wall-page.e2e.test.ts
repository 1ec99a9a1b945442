// The video wall in real Chromium (WebGL through SwiftShader) against a real `ioc start --demo`:
// the app is built with Vite into a temporary folder and served by a small front server that
// hands every /api and /socket.io request (WebSocket upgrades too) to the running IOC, so the
// data is the demo province's own and the wall follows the room's live socket.io feed.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import mqtt from 'mqtt';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, frontServer } from './app-under-test.js';
import { launchChromium } from './browser.js';
import {
  ADMIN_PASSWORD,
  type IocPorts,
  type IocServer,
  iocEnvironment,
  startIocServer,
} from './ioc-server.js';

/** What WallPage exposes on window.__iocWall. */
interface WallProbe {
  room: string;
  connection: string;
  transport: string | null;
  roomName: string | null;
  roomMissing: boolean;
  scene: string | null;
  roomUnits: number | null;
  sensorCount: number;
  layers: Record<string, number>;
  openAlerts: number;
  activeAlerts: number;
  alertsInProgress: number;
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

// A device of the district room (placed in its first ward) whose level raises a critical alert.
const IN_ROOM_DEVICE = 'wall-e2e-ward';
const OUT_OF_ROOM_DEVICE = 'wall-e2e-hoi-an';
const HOI_AN = { unit: '20410', lon: 108.33, lat: 15.88 };
const WARD_RULE = {
  id: 'wall-e2e-ward-level',
  name: { vi: 'Mực nước phường (kiểm thử)', en: 'Ward water level (test)' },
  severity: 'critical',
  scope: { device: IN_ROOM_DEVICE },
  condition: { kind: 'threshold', metric: 'level_cm', op: 'above', value: 1000 },
  message: { vi: 'Ngập tại {deviceName}: {value} cm', en: 'Flooding at {deviceName}: {value} cm' },
};

/** A unit's shape as `GET /api/v1/units?format=geojson` gives it. */
type UnitGeometry =
  | { type: 'Polygon'; coordinates: number[][][] }
  | { type: 'MultiPolygon'; coordinates: number[][][][] };

// biome-ignore lint/suspicious/noExplicitAny: JSON answers, read by the assertions that use them
type Json = Record<string, any>;

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
  let environment: { env: NodeJS.ProcessEnv; ports: IocPorts; dataDir: string };
  let ioc: IocServer;
  let outDir: string;
  let front: Server;
  let baseUrl: string;
  let browser: Browser;
  let adminCookie: string;
  const passwords: Record<string, string> = {};
  const secrets: Record<string, string> = {};
  let roomUnits: string[] = [];
  const contexts: BrowserContext[] = [];
  const requested: string[] = [];
  const pageErrors: Error[] = [];

  const api = async (
    cookie: string,
    path: string,
    options: { method?: string; body?: unknown } = {},
  ) => {
    const answer = await fetch(`${ioc.url}${path}`, {
      method: options.method ?? 'GET',
      headers: {
        cookie,
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await answer.text();
    return { status: answer.status, body: (text ? JSON.parse(text) : {}) as Json };
  };

  async function publish(deviceId: string, values: Record<string, number>): Promise<void> {
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${ioc.ports.mqtt}`, {
      username: deviceId,
      password: secrets[deviceId],
      clientId: deviceId,
    });
    await client.publishAsync(`ioc/v1/devices/${deviceId}/telemetry`, JSON.stringify({ values }), {
      qos: 1,
    });
    await client.endAsync();
  }

  /** Registers a water-level device with a position; returns nothing, keeps its secret. */
  async function provision(id: string, unit: string, lon: number, lat: number): Promise<void> {
    const answer = await api(adminCookie, '/api/v1/devices', {
      method: 'POST',
      body: { id, type: 'water-level', unit, name: `Wall test ${id}`, lon, lat },
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    secrets[id] = answer.body.secret as string;
  }

  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'ioc-wall-e2e-'));
    environment = await iocEnvironment();
    [ioc] = await Promise.all([
      startIocServer({ args: ['--demo'], environment }),
      buildApp(join(outDir, 'app')),
    ]);
    front = await frontServer(join(outDir, 'app'), ioc.url);
    baseUrl = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
    const accounts = JSON.parse(await readFile(join(ioc.dataDir, 'demo-accounts.json'), 'utf8'));
    for (const account of accounts as { username: string; password: string }[]) {
      passwords[account.username] = account.password;
    }
    adminCookie = await signInCookie(ioc.url, 'admin', ADMIN_PASSWORD);

    // One device inside the district room (at a point of its first ward), one far outside.
    const room = await api(adminCookie, '/api/v1/rooms/khu-vuc');
    expect(room.status).toBe(200);
    roomUnits = room.body.room.scope.units as string[];
    expect(roomUnits.length).toBeGreaterThan(0);
    const shapes = await api(adminCookie, '/api/v1/units?format=geojson');
    const ward = (
      shapes.body.features as { properties: { code: string }; geometry: UnitGeometry }[]
    ).find((f) => f.properties.code === roomUnits[0]);
    const [lon, lat] = innerPoint(ward?.geometry);
    const located = await api(adminCookie, `/api/v1/units/locate?lon=${lon}&lat=${lat}`);
    expect(located.status).toBe(200);
    await provision(IN_ROOM_DEVICE, located.body.unit.code as string, lon, lat);
    await provision(OUT_OF_ROOM_DEVICE, HOI_AN.unit, HOI_AN.lon, HOI_AN.lat);
    for (const rule of [HOT_ROOM_RULE, WARD_RULE]) {
      const created = await api(adminCookie, '/api/v1/rules', { method: 'POST', body: rule });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
    }
    // The demo server-room sensors report every few seconds: wait for their alerts.
    const deadline = Date.now() + 90_000;
    while ((await api(adminCookie, '/api/v1/alerts?state=open')).body.total === 0) {
      if (Date.now() > deadline) throw new Error('the test rule raised no alert in 90 s');
      await delay(1_000);
    }
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

  // No script error, and nothing asked of anything but the IOC on 127.0.0.1 (no CDN, no tiles).
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close()));
    const seen = requested.splice(0);
    expect(pageErrors.splice(0)).toEqual([]);
    expect(seen.length).toBeGreaterThan(0);
    expect(
      seen.filter((url) => /^(https?|wss?):/.test(url) && new URL(url).hostname !== '127.0.0.1'),
    ).toEqual([]);
  });

  async function signedInPage(username: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
    contexts.push(context);
    context.on('request', (r) => requested.push(r.url()));
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error));
    page.on('websocket', (ws) => requested.push(ws.url()));
    await page.goto(`${baseUrl}/login`);
    await page.getByTestId('login-username').fill(username);
    await page
      .getByTestId('login-password')
      .fill(username === 'admin' ? ADMIN_PASSWORD : (passwords[username] as string));
    await page.getByTestId('login-submit').click();
    await page.getByTestId('console').waitFor();
    return page;
  }

  /** Opens the room's wall and waits until it is live on the socket with the map fitted. */
  async function openWall(username: string, room = 'tinh', withAlerts = true): Promise<Page> {
    const page = await signedInPage(username);
    await page.goto(`${baseUrl}/wall/${room}`);
    await page.getByTestId('wall').waitFor();
    await page.waitForFunction(
      `(() => {
        const wall = window.__iocWall;
        return wall?.connection === 'live' && wall.transport === 'socket' &&
          wall.roomName !== null && (wall.layers['unit-labels'] ?? 0) > 0 &&
          (${withAlerts} ? wall.openAlerts > 0 : true);
      })()`,
      null,
      { timeout: 60_000 },
    );
    return page;
  }

  // Browser-side code is passed as text: this package type-checks for Node, without the DOM.
  const probe = (page: Page) => page.evaluate('window.__iocWall') as Promise<WallProbe>;

  const positionedCount = (devices: { lat: number | null; lon: number | null }[]) =>
    devices.filter((d) => d.lat !== null && d.lon !== null).length;

  it('draws the province, every positioned sensor and the open alerts (admin)', async () => {
    const page = await openWall('admin');

    const devices = (await api(adminCookie, '/api/v1/devices?limit=1000')).body.devices;
    const positioned = positionedCount(devices);
    expect(positioned).toBeGreaterThan(0);
    await expect.poll(async () => (await probe(page)).sensorCount).toBe(positioned);
    const wall = await probe(page);
    expect(wall).toMatchObject({
      room: 'tinh',
      transport: 'socket',
      roomName: 'Trung tâm điều hành thông minh tỉnh',
      roomUnits: null,
      devicesDenied: false,
      mapFailed: null,
    });
    expect(wall.layers['sensor-points']).toBeGreaterThan(0);
    expect(wall.layers['sensor-points']).toBeLessThanOrEqual(positioned);
    expect(await page.getByTestId('wall-room').textContent()).toBe(
      'Trung tâm điều hành thông minh tỉnh',
    );

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
      state: string;
    }[];
    // The active list: alerts nobody has acknowledged yet (those are counted as in progress).
    const topLevel = open.filter((a) => !a.parentId && a.state === 'active');
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
    // KPI history is REST (static, daily figures), loaded once the room is known.
    await expect.poll(() => page.getByTestId('wall-kpi').count(), { timeout: 20_000 }).toBe(4);

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

  it("shows the district operator only their room's units and sensors", async () => {
    const page = await openWall('khuvuc', 'khu-vuc', false);
    const districtCookie = await signInCookie(ioc.url, 'khuvuc', passwords.khuvuc as string);
    const scoped = await api(districtCookie, '/api/v1/devices?limit=1000');
    expect(scoped.status).toBe(200);
    const ids = (scoped.body.devices as { id: string }[]).map((d) => d.id);
    expect(ids).toContain(IN_ROOM_DEVICE);
    expect(ids).not.toContain(OUT_OF_ROOM_DEVICE);
    const positioned = positionedCount(scoped.body.devices);
    await expect.poll(async () => (await probe(page)).sensorCount).toBe(positioned);
    const all = positionedCount(
      (await api(adminCookie, '/api/v1/devices?limit=1000')).body.devices,
    );
    expect(positioned).toBeLessThan(all);
    const wall = await probe(page);
    expect(wall.roomName).toBe(
      (await api(districtCookie, '/api/v1/rooms/khu-vuc')).body.room.name.vi,
    );
    expect(await page.getByTestId('wall-room').textContent()).toBe(wall.roomName);
    // The map is framed on the room: its units only (with their subtrees), named at ward level.
    expect(wall.roomUnits).toBeGreaterThanOrEqual(roomUnits.length);
    expect(wall.layers['unit-labels']).toBeLessThanOrEqual(wall.roomUnits as number);

    // The province room is not theirs: one clear message, in Vietnamese and in English.
    await page.goto(`${baseUrl}/wall/tinh`);
    const missing = page.getByTestId('wall-room-missing');
    await missing.waitFor({ timeout: 20_000 });
    const text = (await missing.textContent()) ?? '';
    expect(text).toContain('Không mở được phòng điều hành “tinh”');
    expect(text).toContain('Cannot open operations room “tinh”');
    expect(await page.getByTestId('wall-map').count()).toBe(0);
  });

  it('shows an alert a device raises within seconds, pushed over the socket', async () => {
    const page = await openWall('khuvuc', 'khu-vuc', false);
    const before = (await probe(page)).openAlerts;
    const polledSince = requested.length;

    const sent = Date.now();
    await publish(IN_ROOM_DEVICE, { level_cm: 1500, battery_v: 12 });
    // Critical and newest: the first row of the panel.
    await expect
      .poll(async () => (await probe(page)).openAlerts, { timeout: 10_000, interval: 100 })
      .toBe(before + 1);
    const elapsed = Date.now() - sent;
    expect(elapsed).toBeLessThan(10_000);
    const first = page.getByTestId('wall-alert').first();
    // The rule's Vietnamese message, with the value written the Vietnamese way (1.500).
    expect(await first.textContent()).toMatch(/Ngập tại Wall test wall-e2e-ward: 1\.?500 cm/);
    const open = await api(adminCookie, `/api/v1/alerts?state=open&limit=1000`);
    const raised = (open.body.alerts as { id: string; ruleId: string }[]).find(
      (a) => a.ruleId === WARD_RULE.id,
    );
    expect(await first.getAttribute('data-alert-id')).toBe(raised?.id);

    // It came over the socket: the wall never polled the REST alert list.
    expect((await probe(page)).transport).toBe('socket');
    expect(requested.slice(polledSince).filter((u) => u.includes('/api/v1/alerts'))).toEqual([]);
    expect(requested.filter((u) => u.includes('/api/v1/alerts'))).toEqual([]);
  });

  it('drops an alert acknowledged in the console from the active list within seconds, over the socket', async () => {
    // The ward alert the previous test raised, or a fresh one when this test runs alone.
    await publish(IN_ROOM_DEVICE, { level_cm: 1600, battery_v: 12 });
    let alertId: string | undefined;
    await expect
      .poll(async () => {
        const open = await api(adminCookie, '/api/v1/alerts?state=open&limit=1000');
        alertId = (open.body.alerts as { id: string; ruleId: string }[]).find(
          (a) => a.ruleId === WARD_RULE.id,
        )?.id;
        return alertId;
      })
      .toBeDefined();
    const wall = await openWall('khuvuc', 'khu-vuc');
    const onWall = wall.locator(`[data-testid="wall-alert"][data-alert-id="${alertId}"]`);
    await onWall.waitFor();
    const before = await probe(wall);
    const wallRequests: string[] = [];
    wall.on('request', (r) => wallRequests.push(r.url()));

    // The same operator, in a second page of the same browser, acknowledges it in the console;
    // it leaves the console's active (open) list.
    const desk = await wall.context().newPage();
    desk.on('pageerror', (error) => pageErrors.push(error));
    await desk.goto(`${baseUrl}/console`);
    await desk.getByTestId(`alert-row-${alertId}`).click();
    await desk.getByTestId('alert-acknowledge').click();
    await desk.getByTestId('alert-action-done').waitFor();
    const acknowledged = Date.now();
    await desk.getByTestId(`alert-row-${alertId}`).waitFor({ state: 'detached' });

    // The wall hears it as an alert.changed delta on its socket. As in the console, it leaves
    // the active list; someone is on it, so the wall counts it among those in progress.
    await onWall.waitFor({ state: 'detached', timeout: 10_000 });
    expect(Date.now() - acknowledged).toBeLessThan(10_000);
    const after = await probe(wall);
    expect(after.openAlerts).toBe(before.openAlerts);
    expect(after.activeAlerts).toBe(before.activeAlerts - 1);
    expect(after.alertsInProgress).toBe(before.alertsInProgress + 1);
    expect(await wall.getByTestId('wall-alerts-in-progress').textContent()).toBe(
      `${after.alertsInProgress} đang xử lý`,
    );
    const stored = await api(adminCookie, `/api/v1/alerts/${alertId}`);
    expect(stored.body.alert).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'khuvuc' });
    // The wall stayed on its socket: it never asked the REST alert list.
    expect((await probe(wall)).transport).toBe('socket');
    expect(wallRequests.filter((u) => u.includes('/api/v1/alerts'))).toEqual([]);
  });

  it('shows "reconnecting" while the IOC restarts, and recovers by itself', async () => {
    const page = await openWall('admin');
    const sensors = (await probe(page)).sensorCount;
    expect(await page.getByTestId('wall-connection').count()).toBe(0);

    expect(await ioc.stop()).toBe(0);
    await page.getByTestId('wall-connection').waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('wall-connection').textContent()).toBe(
      'Mất kết nối, đang kết nối lại…',
    );
    // The last picture stays: sensors and alerts are still drawn.
    expect((await probe(page)).sensorCount).toBe(sensors);
    expect(await page.getByTestId('wall-alert').count()).toBeGreaterThan(0);

    // Same ports, same data directory: the wall rejoins the room and takes a fresh snapshot.
    ioc = await startIocServer({ args: ['--demo'], environment });
    await page.getByTestId('wall-connection').waitFor({ state: 'detached', timeout: 60_000 });
    await page
      .waitForFunction(
        `window.__iocWall?.connection === 'live' && window.__iocWall.transport === 'socket'`,
        null,
        { timeout: 60_000 },
      )
      .catch(async (error) => {
        throw new Error(`${error}\nat ${page.url()}: ${JSON.stringify(await probe(page))}`);
      });
    await expect.poll(async () => (await probe(page)).sensorCount).toBe(sensors);
  }, 180_000);
});

/** A point inside a polygon's outer ring: the bounding-box centre, nudged along a scan line. */
function innerPoint(geometry: UnitGeometry | undefined): [number, number] {
  if (!geometry) throw new Error('the room unit has no geometry');
  const ring = (
    geometry.type === 'Polygon' ? geometry.coordinates[0] : geometry.coordinates[0]?.[0]
  ) as [number, number][];
  const xs = ring.map((p) => p[0]);
  const ys = ring.map((p) => p[1]);
  const y = (Math.min(...ys) + Math.max(...ys)) / 2;
  // Where the horizontal line through the middle crosses the ring: the midpoint of the first pair.
  const crossings: number[] = [];
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i] as [number, number];
    const [xj, yj] = ring[j] as [number, number];
    if (yi > y !== yj > y) crossings.push(xi + ((y - yi) * (xj - xi)) / (yj - yi));
  }
  crossings.sort((a, b) => a - b);
  const x =
    crossings.length >= 2
      ? ((crossings[0] as number) + (crossings[1] as number)) / 2
      : (Math.min(...xs) + Math.max(...xs)) / 2;
  return [x, y];
}
