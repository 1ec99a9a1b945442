// Conference endpoints on the wall, in real Chromium: the web service runs in this process
// (real PostgreSQL, real socket.io, the built app) so the test can publish the
// `conference.endpoints` bus event that the SFU publishes in production, and watch the
// province wall and a ward's wall show the endpoints their room covers.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ConferenceEndpoint,
  createLogger,
  LiveBus,
  type LiveEvents,
  loadUnitTree,
  type SqlStore,
  sqlTestBackends,
  UserAccounts,
} from '@ioc/core';
import { loadDeviceCatalogue } from '@ioc/devices';
import * as web from '@ioc/ioc-web';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from './app-under-test.js';
import { launchChromium } from './browser.js';
import { startWebInProcess } from './web-in-process.js';

const ADMIN_PASSWORD = 'mat-khau-quan-tri-hoi-nghi';
// Đà Nẵng (da-nang-2025): Hải Châu, Hội An, Thanh Khê.
const HAI_CHAU = '20242';
const HOI_AN = '20410';
const THANH_KHE = '20209';

const { backends, cleanup } = sqlTestBackends('wall-conference', inject('postgresUrl'));
const postgres = backends.find((b) => b.kind === 'postgres');

function endpoint(
  unit: string,
  displayName: string,
  link: Partial<ConferenceEndpoint> = {},
): ConferenceEndpoint {
  return {
    unit,
    peerId: null,
    displayName,
    role: 'participant',
    connected: false,
    joinedAt: null,
    sendBitrate: 0,
    recvBitrate: 0,
    packetLoss: 0,
    rttMs: null,
    recvLayer: null,
    quality: null,
    handRaised: false,
    audioMuted: false,
    ...link,
  };
}

function meeting(ended = false): LiveEvents['conference.endpoints'] {
  const joinedAt = new Date().toISOString();
  return {
    conferenceId: 'giao-ban-tuan',
    title: 'Họp giao ban tuần với các phường',
    activeSpeaker: 'peer-hoi-an',
    endpoints: [
      endpoint(HAI_CHAU, 'UBND phường Hải Châu', {
        peerId: 'peer-hai-chau',
        connected: true,
        joinedAt,
        quality: 'good',
        rttMs: 35,
        handRaised: true,
      }),
      endpoint(HOI_AN, 'UBND phường Hội An', {
        peerId: 'peer-hoi-an',
        connected: true,
        joinedAt,
        quality: 'poor',
        packetLoss: 0.14,
        rttMs: 420,
      }),
      endpoint(THANH_KHE, 'UBND phường Thanh Khê'),
    ],
    ended,
    at: new Date().toISOString(),
  };
}

describe('conference endpoints on the wall, in Chromium', () => {
  let dir: string;
  let sql: SqlStore;
  let running: web.RunningWeb;
  let browser: Browser;
  const bus = new LiveBus();
  const contexts: BrowserContext[] = [];
  const pageErrors: Error[] = [];

  beforeAll(async () => {
    if (!postgres) throw new Error('no PostgreSQL backend');
    dir = await mkdtemp(join(tmpdir(), 'ioc-wall-conference-e2e-'));
    const [opened, units, catalogue] = await Promise.all([
      postgres.open(),
      loadUnitTree('da-nang-2025'),
      loadDeviceCatalogue(),
      buildApp(join(dir, 'app')),
    ]);
    sql = opened;
    const accounts = new UserAccounts(sql);
    await accounts.ensureAdmin(ADMIN_PASSWORD);
    const rooms = new web.RoomStore(sql);
    await rooms.create({
      id: 'hai-chau',
      name: { vi: 'Phường Hải Châu', en: 'Hai Chau ward' },
      scope: { units: [HAI_CHAU], sectors: [] },
      scenes: [],
      kiosk: { rotation: false },
    });
    const logger = createLogger('silent');
    running = await startWebInProcess({
      sql,
      dataDir: dir,
      logger,
      bus,
      units,
      accounts,
      catalogue,
      rooms,
      appDir: join(dir, 'app'),
    });
    browser = await launchChromium({ webgl: true });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await running?.stop();
    await sql?.close();
    cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close()));
    expect(pageErrors.splice(0).map((e) => e.message)).toEqual([]);
  });

  async function openWall(room: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error));
    await page.goto(`${running.url}/login`);
    await page.getByTestId('login-username').fill('admin');
    await page.getByTestId('login-password').fill(ADMIN_PASSWORD);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('console').waitFor();
    await page.goto(`${running.url}/wall/${room}`);
    await page
      .waitForFunction(
        `window.__iocWall?.connection === 'live' && window.__iocWall.transport === 'socket' &&
       (window.__iocWall.layers['unit-labels'] ?? 0) > 0`,
        null,
        { timeout: 90_000 },
      )
      .catch(async (error) => {
        const wall = await page.evaluate('JSON.stringify(window.__iocWall)');
        throw new Error(`${error}\nthe wall of ${room}: ${wall}`);
      });
    return page;
  }

  const probe = (page: Page) =>
    page.evaluate('window.__iocWall') as Promise<{
      conferenceEndpoints: number;
      conferenceConnected: number;
      layers: Record<string, number>;
    }>;

  it('lists the endpoints its room covers in "Điểm cầu" and marks them on the map', async () => {
    const province = await openWall('tinh');
    const ward = await openWall('hai-chau');
    expect(await province.getByTestId('wall-conference').count()).toBe(0);

    bus.publish('conference.endpoints', meeting());

    // The province room: every endpoint, connected out of invited, the speaker first.
    const panel = province.getByTestId('wall-conference');
    await panel.waitFor({ timeout: 10_000 });
    expect(await panel.locator('h2').textContent()).toBe('Điểm cầu2/3');
    expect(await panel.textContent()).toContain('Họp giao ban tuần với các phường');
    const rows = panel.getByTestId('wall-endpoint');
    expect(await rows.count()).toBe(3);
    const first = rows.first();
    expect(await first.getAttribute('data-unit')).toBe(HOI_AN);
    expect(await first.getAttribute('data-speaking')).toBe('true');
    expect(await first.getAttribute('data-state')).toBe('poor');
    // Said in words and by shape, not by colour alone.
    expect(await first.textContent()).toContain('Đang phát biểu');
    expect(await first.getByTestId('wall-endpoint-state').textContent()).toBe('Kém');
    const haiChau = panel.locator(`[data-testid="wall-endpoint"][data-unit="${HAI_CHAU}"]`);
    expect(await haiChau.textContent()).toContain('Giơ tay');
    expect(await haiChau.getByTestId('wall-endpoint-state').textContent()).toBe('Tốt');
    const thanhKhe = panel.locator(`[data-testid="wall-endpoint"][data-unit="${THANH_KHE}"]`);
    expect(await thanhKhe.getAttribute('data-state')).toBe('offline');
    expect(await thanhKhe.getByTestId('wall-endpoint-state').textContent()).toBe('Chưa kết nối');
    // The slot the active speaker's video goes into.
    expect(await panel.getByTestId('wall-speaker-slot').getAttribute('data-peer-id')).toBe(
      'peer-hoi-an',
    );
    // On the map: one marker per invited unit, and the legend explains their shapes.
    await expect.poll(async () => (await probe(province)).layers['conference-endpoints']).toBe(3);
    expect(await province.getByTestId('wall-legend-endpoints').textContent()).toContain('Kém');
    expect(await probe(province)).toMatchObject({ conferenceEndpoints: 3, conferenceConnected: 2 });
    await province.screenshot({ path: join(dir, 'wall-conference.png') });
    await province.screenshot({ path: '/tmp/ioc-wall-conference.png' });

    // The ward's room: its own endpoint only; the speaker (Hội An) is none of its business.
    const wardPanel = ward.getByTestId('wall-conference');
    await wardPanel.waitFor({ timeout: 10_000 });
    expect(await wardPanel.getByTestId('wall-endpoint').count()).toBe(1);
    expect(await wardPanel.getByTestId('wall-endpoint').getAttribute('data-unit')).toBe(HAI_CHAU);
    expect(await wardPanel.getByTestId('wall-speaker-slot').count()).toBe(0);
    expect(await wardPanel.getByTestId('wall-conference-connected').textContent()).toBe('1/1');
    await expect.poll(async () => (await probe(ward)).layers['conference-endpoints']).toBe(1);

    // The conference ends: the panel and the markers go.
    bus.publish('conference.endpoints', meeting(true));
    await panel.waitFor({ state: 'detached', timeout: 10_000 });
    await wardPanel.waitFor({ state: 'detached', timeout: 10_000 });
    await expect
      .poll(async () => (await probe(province)).layers['conference-endpoints'] ?? 0)
      .toBe(0);
  }, 240_000);

  it('shows a conference already running when the wall opens (from its snapshot)', async () => {
    bus.publish('conference.endpoints', meeting());
    const province = await openWall('tinh');
    const panel = province.getByTestId('wall-conference');
    await panel.waitFor({ timeout: 10_000 });
    expect(await panel.getByTestId('wall-endpoint').count()).toBe(3);
    bus.publish('conference.endpoints', meeting(true));
    await panel.waitFor({ state: 'detached', timeout: 10_000 });
  }, 120_000);
});
