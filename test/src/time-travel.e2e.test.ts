// Time travel end to end on a real `ioc start --demo`: a sensor reports one value, then a
// later one; at an instant between them the API (`GET /api/v1/telemetry/at`, alerts open at
// T) and the wall in Chromium (`/wall/{room}?at=`) show the earlier state, scoped to the room.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp, frontServer } from './app-under-test.js';
import { launchChromium } from './browser.js';
import { ADMIN_PASSWORD, type IocServer, startIocServer } from './ioc-server.js';

const IN_ROOM = { id: 'tt-ward', unit: '20242' }; // Hải Châu, in the demo room khu-vuc
const OUT_OF_ROOM = { id: 'tt-hoi-an', unit: '20410' };
const LEVEL_RULE = {
  id: 'time-travel-level',
  name: { vi: 'Mực nước cao (kiểm thử)', en: 'High water (test)' },
  severity: 'critical',
  scope: { device: IN_ROOM.id },
  condition: { kind: 'threshold', metric: 'level_cm', op: 'above', value: 300 },
  message: { vi: 'Mực nước {value} cm', en: 'Water level {value} cm' },
};

// biome-ignore lint/suspicious/noExplicitAny: JSON answers, read by the assertions that use them
type Json = Record<string, any>;

let ioc: IocServer;
let outDir: string;
let front: Server;
let browser: Browser;
let admin: string;
let district: string;
const passwords: Record<string, string> = {};
const secrets: Record<string, string> = {};

async function login(username: string, password: string): Promise<string> {
  const res = await fetch(`${ioc.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  expect(res.status).toBe(200);
  return (res.headers.get('set-cookie') ?? '').split(';')[0] as string;
}

async function api(
  cookie: string,
  path: string,
  options: { method?: string; body?: unknown } = {},
): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${ioc.url}${path}`, {
    method: options.method ?? 'GET',
    headers: {
      cookie,
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}

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

/** A device's values at `at` as the caller sees them, or undefined when not listed. */
async function valuesAt(cookie: string, at: Date, room?: string): Promise<Json | undefined> {
  const query = `at=${encodeURIComponent(at.toISOString())}${room ? `&room=${room}` : ''}`;
  const res = await api(cookie, `/api/v1/telemetry/at?${query}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return Object.fromEntries(
    (res.body.devices as { device: string; values: Json }[]).map((d) => [d.device, d.values]),
  );
}

/** Publishes a level and waits until InfluxDB holds it (what "now" shows). */
async function report(deviceId: string, level: number): Promise<void> {
  await publish(deviceId, { level_cm: level });
  await vi.waitFor(
    async () => expect((await valuesAt(admin, new Date()))?.[deviceId]?.level_cm).toBe(level),
    { timeout: 20_000, interval: 100 },
  );
}

/** dd/MM/yyyy HH:mm in Viet Nam's time, as the banner writes it. */
function minuteInVietnam(at: Date): string {
  const p: Record<string, string> = {};
  const format = new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Asia/Ho_Chi_Minh',
    day: '2-digit',
    month: '2-digit',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  });
  for (const { type, value } of format.formatToParts(at)) p[type] = value;
  return `${p.day}/${p.month}/${p.year} ${p.hour}:${p.minute}`;
}

let beforeFirst: Date;
let between: Date;

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'ioc-time-travel-'));
  [ioc] = await Promise.all([startIocServer({ args: ['--demo'] }), buildApp(join(outDir, 'app'))]);
  front = await frontServer(join(outDir, 'app'), ioc.url);
  browser = await launchChromium();
  admin = await login('admin', ADMIN_PASSWORD);
  const accounts = JSON.parse(await readFile(join(ioc.dataDir, 'demo-accounts.json'), 'utf8'));
  for (const account of accounts as { username: string; password: string }[]) {
    passwords[account.username] = account.password;
  }
  district = await login('khuvuc', passwords.khuvuc as string);
  for (const { id, unit } of [IN_ROOM, OUT_OF_ROOM]) {
    const res = await api(admin, '/api/v1/devices', {
      method: 'POST',
      body: { id, type: 'water-level', unit, name: `Time travel ${id}` },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    secrets[id] = res.body.secret as string;
  }
  expect((await api(admin, '/api/v1/rules', { method: 'POST', body: LEVEL_RULE })).status).toBe(
    201,
  );

  beforeFirst = new Date();
  await report(IN_ROOM.id, 120);
  await report(OUT_OF_ROOM.id, 55);
  between = new Date();
  // The second value must be stored after `between`, whatever the clock's resolution.
  await new Promise<void>((resolve) => setImmediate(resolve));
  while (Date.now() <= between.getTime()) await new Promise<void>((r) => setImmediate(r));
  await report(IN_ROOM.id, 340);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  front?.close();
  await ioc?.stop();
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

describe('time travel', () => {
  it('answers sensor values as they stood at T, scoped to the caller and the room', async () => {
    expect((await valuesAt(admin, between))?.[IN_ROOM.id]).toEqual({ level_cm: 120 });
    expect((await valuesAt(admin, new Date()))?.[IN_ROOM.id]).toEqual({ level_cm: 340 });
    expect((await valuesAt(admin, beforeFirst))?.[IN_ROOM.id]).toBeUndefined();

    const districtView = await valuesAt(district, between);
    expect(districtView?.[IN_ROOM.id]).toEqual({ level_cm: 120 });
    expect(districtView?.[OUT_OF_ROOM.id]).toBeUndefined();
    expect((await valuesAt(admin, between))?.[OUT_OF_ROOM.id]).toEqual({ level_cm: 55 });
    // The admin looking through the district room's eyes sees that room only.
    expect((await valuesAt(admin, between, 'khu-vuc'))?.[OUT_OF_ROOM.id]).toBeUndefined();
    expect((await valuesAt(admin, between, 'khu-vuc'))?.[IN_ROOM.id]).toEqual({ level_cm: 120 });

    expect((await api(district, '/api/v1/telemetry/at?at=yesterday')).status).toBe(400);
    expect((await api(district, '/api/v1/telemetry/at')).status).toBe(400);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await api(district, `/api/v1/telemetry/at?at=${future}`)).status).toBe(400);
    const otherRoom = await api(
      district,
      `/api/v1/telemetry/at?at=${between.toISOString()}&room=so-tnmt`,
    );
    expect(otherRoom).toMatchObject({ status: 404, body: { code: 'ROOM_NOT_FOUND' } });
  });

  it('lists the alerts open at T: the high-water alert only after the second value', async () => {
    const raised = async (at: Date) =>
      (
        (await api(district, `/api/v1/alerts?openAt=${at.toISOString()}&limit=1000`)).body
          .alerts as { ruleId: string }[]
      ).some((a) => a.ruleId === LEVEL_RULE.id);
    await expect.poll(() => raised(new Date()), { timeout: 15_000 }).toBe(true);
    expect(await raised(between)).toBe(false);
  });

  it('shows the wall as it was at T with a banner, and goes back to live in one click', async () => {
    const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
    const page = await context.newPage();
    const errors: Error[] = [];
    page.on('pageerror', (error) => errors.push(error));
    const base = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
    await page.goto(`${base}/login`);
    await page.getByTestId('login-username').fill('khuvuc');
    await page.getByTestId('login-password').fill(passwords.khuvuc as string);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('console').waitFor();

    await page.goto(`${base}/wall/khu-vuc?at=${encodeURIComponent(between.toISOString())}`);
    const banner = page.getByTestId('time-travel-banner');
    await expect
      .poll(() => banner.textContent())
      .toContain(`Đang xem lúc ${minuteInVietnam(between)}`);
    await page.waitForFunction(
      'window.__iocWall?.at != null && window.__iocWall.roomName !== null',
    );
    expect(await page.evaluate('window.__iocWall.at')).toBe(between.toISOString());

    // Kiosk screens never show the panel; operators open it with key T.
    await page.keyboard.press('t');
    const row = page.locator(`[data-testid="time-travel-values"] li[data-device="${IN_ROOM.id}"]`);
    await page.getByTestId('time-travel-filter').fill(IN_ROOM.id);
    await expect.poll(() => row.textContent()).toContain('level_cm 120');
    expect(await page.locator(`li[data-device="${OUT_OF_ROOM.id}"]`).count()).toBe(0);
    await page.screenshot({ path: join(outDir, 'time-travel.png') });

    await page.getByTestId('time-travel-live').click();
    await expect.poll(() => banner.count()).toBe(0);
    expect(await page.evaluate('window.__iocWall.at')).toBeNull();
    expect(new URL(page.url()).searchParams.has('at')).toBe(false);

    const kiosk = await context.newPage();
    await kiosk.goto(
      `${base}/wall/khu-vuc?kiosk=1&at=${encodeURIComponent(between.toISOString())}`,
    );
    await kiosk.getByTestId('time-travel-banner').waitFor();
    await kiosk.keyboard.press('t');
    expect(await kiosk.getByTestId('time-travel-panel').count()).toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  });
});
