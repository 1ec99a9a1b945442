// The console's conference pages in real Chromium against real stores: the web service runs in
// this process on PGlite with media's ConferenceStore and ingest's AlertStore, so the test can
// check what the pages did where it lands (the stored conference, and whether a join link the
// page handed out is admitted), as the SFU's signalling would ask.
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ApiError,
  createLogger,
  LiveBus,
  loadUnitTree,
  type SqlStore,
  sqlTestBackends,
  UserAccounts,
} from '@ioc/core';
import { loadDeviceCatalogue } from '@ioc/devices';
import { AlertStore } from '@ioc/ingest';
import * as web from '@ioc/ioc-web';
import { type Conference, ConferenceStore } from '@ioc/media';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from './app-under-test.js';
import { launchChromium } from './browser.js';
import { startWebInProcess } from './web-in-process.js';

const OPERATOR = { username: 'dieu-hanh-hoi-nghi', password: 'mat-khau-dieu-hanh-hoi-nghi' };
const VIEWER = { username: 'nguoi-xem-hoi-nghi', password: 'mat-khau-nguoi-xem-hoi-nghi' };
// Đà Nẵng 2025 in three tiers: 48 → KV48 (old Đà Nẵng) / KV49 (old Quảng Nam) → communes.
const PROVINCE = '48';
const HAI_CHAU = '20242';
const HAI_VAN = '20194';
/** Every commune, ward and special zone of KV48, in data order (read off the dataset by hand). */
const KV48_COMMUNES = [
  '20194',
  '20197',
  '20200',
  '20209',
  '20242',
  '20257',
  '20260',
  '20263',
  '20275',
  '20285',
  '20305',
  '20308',
  '20314',
  '20320',
  '20332',
  '20333',
];
const MINUTE = 60_000;

/** `dd/MM/yyyy HH:mm` in Viet Nam (UTC+7, no daylight saving), computed without the app's code. */
function vietNamText(ms: number): string {
  const d = new Date(ms + 7 * 60 * MINUTE);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getUTCDate())}/${two(d.getUTCMonth() + 1)}/${d.getUTCFullYear()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}`;
}

/** The ApiError code an admission with this token fails with, or the role it seats. */
async function admitted(store: ConferenceStore, conferenceId: string, token: string) {
  try {
    const seat = await store.admit({ conferenceId, token });
    return `${seat.role} ${seat.unit}`;
  } catch (err) {
    return (err as ApiError).code;
  }
}

const { backends, cleanup } = sqlTestBackends('console-conferences', inject('postgresUrl'));
const pglite = backends.find((b) => b.kind === 'pglite');

describe('the console conference pages in Chromium against real stores', () => {
  let dir: string;
  let sql: SqlStore;
  let running: web.RunningWeb;
  let browser: Browser;
  let conferences: ConferenceStore;
  let alerts: AlertStore;
  const contexts: BrowserContext[] = [];
  const pageErrors: Error[] = [];

  beforeAll(async () => {
    if (!pglite) throw new Error('no PGlite backend');
    dir = await mkdtemp(join(tmpdir(), 'ioc-console-conferences-e2e-'));
    const [opened, units, catalogue] = await Promise.all([
      pglite.open(),
      loadUnitTree('da-nang-2025-regions'),
      loadDeviceCatalogue(),
      buildApp(join(dir, 'app')),
    ]);
    sql = opened;
    const logger = createLogger('silent');
    const accounts = new UserAccounts(sql);
    await accounts.create({ ...OPERATOR, role: 'ioc-operator' });
    const bus = new LiveBus();
    alerts = new AlertStore({
      sql,
      bus,
      units,
      logger,
      storm: { threshold: 10, windowSeconds: 300 },
    });
    const rooms = new web.RoomStore(sql);
    // A viewer sees what their rooms cover: here the wards of old Đà Nẵng.
    await rooms.create({
      id: 'kv48',
      name: { vi: 'Khu vực Đà Nẵng cũ', en: 'Former Da Nang' },
      scope: { units: ['KV48'], sectors: [] },
      scenes: [],
      kiosk: { rotation: false },
    });
    const viewer = await accounts.create({ ...VIEWER, role: 'viewer' });
    await rooms.setMember('kv48', viewer.id, 'viewer');
    conferences = new ConferenceStore({
      sql,
      units,
      roomScopesOf: async (id) => (await rooms.membershipsOf(id)).map((m) => m.scope),
    });
    running = await startWebInProcess({
      sql,
      dataDir: dir,
      logger,
      bus,
      units,
      accounts,
      catalogue,
      alerts,
      rooms,
      conferences,
      appDir: join(dir, 'app'),
    });
    browser = await launchChromium();
  }, 240_000);

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

  /** A signed-in page whose browser lives in New York: the times typed must still be Viet Nam's. */
  async function signedIn(who: { username: string; password: string }): Promise<Page> {
    const context = await browser.newContext({
      viewport: { width: 1600, height: 1000 },
      timezoneId: 'America/New_York',
    });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error));
    await page.goto(`${running.url}/login`);
    await page.getByTestId('login-username').fill(who.username);
    await page.getByTestId('login-password').fill(who.password);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('console').waitFor();
    return page;
  }

  /** A conference under way (or starting later), put straight into the store. */
  const schedule = (title: string, startsInMinutes: number, invitedUnits = [HAI_CHAU]) => {
    const startsAt = new Date(Date.now() + startsInMinutes * MINUTE);
    return conferences.create(
      {
        title,
        chairUnit: PROVINCE,
        invitedUnits,
        startsAt,
        endsAt: new Date(startsAt.getTime() + 120 * MINUTE),
      },
      'user:test',
    );
  };

  /** Clicks a button that asks first, answers, and gives back the question asked. */
  async function answerConfirmation(page: Page, testId: string, accept: boolean) {
    const dialog = page.waitForEvent('dialog');
    // The click completes only once the dialog is answered.
    const clicked = page.getByTestId(testId).click();
    const asked = await dialog;
    const question = asked.message();
    await (accept ? asked.accept() : asked.dismiss());
    await clicked;
    return question;
  }

  const detailOf = async (page: Page, id: string) => {
    await page.goto(`${running.url}/console/conferences/${id}`);
    const detail = page.locator(`[data-testid=conference-detail][data-conference-id="${id}"]`);
    await detail.locator('.ops-facts').waitFor();
    return detail;
  };

  it('lets an IOC operator schedule from the form; its links are admitted until it is cancelled', async () => {
    const page = await signedIn(OPERATOR);
    await page.goto(`${running.url}/console/conferences`);
    await page.getByTestId('conferences-view').waitFor();
    await page.getByTestId('conference-new').click();

    // A day that does not exist is refused before anything is sent.
    const before = (await conferences.list()).total;
    await page.getByTestId('conference-title').fill('Giao ban trực tuyến tháng 12');
    await page.getByTestId('conference-starts').fill('31/02/2026 08:00');
    await page.getByTestId('conference-submit').click();
    await expect(page.locator('.conference-problems').textContent()).resolves.toContain(
      'dd/MM/yyyy HH:mm',
    );
    expect((await conferences.list()).total).toBe(before);

    const start = Math.floor(Date.now() / MINUTE) * MINUTE;
    const startText = vietNamText(start);
    const endText = vietNamText(start + 90 * MINUTE);
    await page.getByTestId('conference-starts').fill(startText);
    await page.getByTestId('conference-ends').fill(endText);
    await page.getByTestId('conference-unit-filter').fill('hai chau');
    await page.locator(`input[data-unit="${HAI_CHAU}"]`).check();
    await page.getByTestId('conference-unit-filter').fill('hai van');
    await page.locator(`input[data-unit="${HAI_VAN}"]`).check();
    await page.getByLabel(/Hải Vân phát biểu/).check();
    await expect(page.getByTestId('conference-selected').textContent()).resolves.toBe(
      'Đã chọn 2 điểm cầu',
    );
    await page.getByTestId('conference-submit').click();

    const detail = page.getByTestId('conference-detail');
    await detail.locator('.ops-facts').waitFor();
    const id = (await detail.getAttribute('data-conference-id')) as string;
    expect(page.url()).toBe(`${running.url}/console/conferences/${id}`);
    const stored = (await conferences.get(id)) as Conference;
    expect(stored).toMatchObject({
      title: 'Giao ban trực tuyến tháng 12',
      chairUnit: PROVINCE,
      speakerUnits: [HAI_VAN],
      startsAt: new Date(start).toISOString(),
      endsAt: new Date(start + 90 * MINUTE).toISOString(),
      status: 'scheduled',
      createdBy: `user:${OPERATOR.username}`,
    });
    expect([...stored.invitedUnits].sort()).toEqual([HAI_VAN, HAI_CHAU]);

    // The list shows it as live, with the times as typed (Viet Nam time).
    const row = page.locator(`[data-testid=conferences-live] tr[data-conference-id="${id}"]`);
    await row.waitFor();
    await expect(row.textContent()).resolves.toContain('Giao ban trực tuyến tháng 12');
    await expect(row.textContent()).resolves.toContain(`${startText} – ${endText}`);

    // Join links, one per unit; the one the page shows for Hải Vân seats Hải Vân as a speaker.
    await page.getByTestId('conference-show-links').click();
    const links = page.getByTestId('join-links');
    await links.waitFor();
    const linkUnits = await links
      .locator('tr[data-unit]')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-unit')));
    expect(linkUnits).toEqual([PROVINCE, ...stored.invitedUnits]);
    const tokenOf = async (unit: string) => {
      const url = new URL(await links.locator(`tr[data-unit="${unit}"] input`).inputValue());
      expect(`${url.origin}${url.pathname}`).toBe(`${running.url}/conference/${id}`);
      return url.searchParams.get('t') as string;
    };
    const haiVan = await tokenOf(HAI_VAN);
    const haiChau = await tokenOf(HAI_CHAU);
    expect(await admitted(conferences, id, haiVan)).toBe(`speaker ${HAI_VAN}`);
    expect(await admitted(conferences, id, haiChau)).toBe(`participant ${HAI_CHAU}`);
    expect(await admitted(conferences, id, `${haiChau}x`)).toBe('JOIN_TOKEN_INVALID');

    // Cancelling asks first; then the links are refused and the list moves it.
    expect(await answerConfirmation(page, 'conference-cancel', true)).toContain(
      'Hủy hội nghị này?',
    );
    await detail.locator('.conference-phase-cancelled').waitFor();
    expect(await admitted(conferences, id, haiVan)).toBe('CONFERENCE_CANCELLED');
    await page
      .locator(`[data-testid=conferences-cancelled] tr[data-conference-id="${id}"]`)
      .waitFor();
    expect(await page.getByTestId('conference-show-links').count()).toBe(0);
  });

  it('ends a live conference early after a confirmation; its links stop working', async () => {
    const conference = await schedule('Họp khẩn ứng phó mưa lớn', -60);
    const [link] = (await conferences.links(conference.id)).filter((l) => l.unit === HAI_CHAU);
    const token = link?.token as string;
    expect(await admitted(conferences, conference.id, token)).toBe(`participant ${HAI_CHAU}`);
    const start = Date.parse(conference.startsAt);
    const at = (minutes: number) => new Date(start + minutes * MINUTE).toISOString();
    await conferences.recordAttendance({
      conferenceId: conference.id,
      peerId: 'peer-hai-chau',
      unit: HAI_CHAU,
      userId: null,
      displayName: 'Phường Hải Châu',
      role: 'participant',
      event: 'joined',
      at: at(2),
    });
    await conferences.recordAttendance({
      conferenceId: conference.id,
      peerId: 'peer-hai-chau',
      unit: HAI_CHAU,
      userId: null,
      displayName: 'Phường Hải Châu',
      role: 'participant',
      event: 'left',
      at: at(37),
      reason: 'disconnect',
    });
    await conferences.recordAttendance({
      conferenceId: conference.id,
      peerId: 'peer-chair',
      unit: null,
      userId: 'u-chair',
      displayName: 'Chủ trì tỉnh',
      role: 'chair',
      event: 'joined',
      at: at(1),
    });

    const page = await signedIn(OPERATOR);
    const detail = await detailOf(page, conference.id);
    const stay = (peer: string) =>
      detail.locator(`tr[data-peer-id="${peer}"] [data-testid=attendance-stay]`).textContent();
    await expect(stay('peer-hai-chau')).resolves.toBe('35 phút');
    await expect(stay('peer-chair')).resolves.toMatch(/^Đang trong phòng · (\d+ giờ )?\d+ phút$/);

    // Saying no to the confirmation leaves it running.
    expect(await answerConfirmation(page, 'conference-end', false)).toContain(
      'Kết thúc hội nghị ngay bây giờ?',
    );
    expect((await conferences.get(conference.id))?.status).toBe('scheduled');
    expect(await admitted(conferences, conference.id, token)).toBe(`participant ${HAI_CHAU}`);

    const ended = once(conferences, 'ended') as Promise<[Conference]>;
    await answerConfirmation(page, 'conference-end', true);
    const [event] = await ended;
    expect(event).toMatchObject({ id: conference.id, status: 'ended' });
    await expect(detail.locator('.banner-info').textContent()).resolves.toBe(
      'Đã kết thúc hội nghị.',
    );
    await detail.locator('.conference-phase-past').waitFor();
    expect(await page.getByTestId('conference-end').count()).toBe(0);
    expect(await page.getByTestId('conference-cancel').count()).toBe(0);
    expect(await conferences.get(conference.id)).toMatchObject({
      status: 'ended',
      endedBy: `user:${OPERATOR.username}`,
      endedAt: expect.any(String),
    });
    expect(await admitted(conferences, conference.id, token)).toBe('CONFERENCE_NOT_OPEN');
    // Once it is over, a peer with no leave logged has no known stay.
    await expect(stay('peer-hai-chau')).resolves.toBe('35 phút');
    await expect(stay('peer-chair')).resolves.toBe('');

    // An upcoming one: nobody yet, said so; it can be cancelled but not ended.
    const later = await schedule('Giao ban tuần sau', 7 * 24 * 60);
    const upcoming = await detailOf(page, later.id);
    await expect(upcoming.getByTestId('conference-attendance-empty').textContent()).resolves.toBe(
      'Chưa có ai tham gia.',
    );
    expect(await upcoming.getByTestId('conference-cancel').count()).toBe(1);
    expect(await upcoming.getByTestId('conference-end').count()).toBe(0);
  });

  it('convenes the affected communes of a region alert from the alert', async () => {
    await alerts.raise({
      ruleId: 'e2e-heavy-rain',
      source: 'kv48-rain',
      severity: 'critical',
      message: { vi: 'Mưa lớn khu vực Đà Nẵng cũ', en: 'Heavy rain over former Da Nang' },
      deviceId: null,
      unit: 'KV48',
      sector: 'environment',
      metric: null,
      value: null,
      at: new Date(),
    });
    const alert = await alerts.findOpen('e2e-heavy-rain', 'kv48-rain');
    expect(alert).toBeDefined();
    const page = await signedIn(OPERATOR);
    await page.goto(`${running.url}/console/alerts/${alert?.id}`);
    await page.getByTestId('alert-convene-button').click();
    const done = page.getByTestId('alert-convene-done');
    await expect(done.textContent()).resolves.toContain(
      `Đã tạo hội nghị khẩn với ${KV48_COMMUNES.length} điểm cầu.`,
    );
    const units = await page
      .locator('[data-testid=join-links] tr[data-unit]')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-unit')));
    expect(units).toEqual([PROVINCE, ...KV48_COMMUNES]);

    await done.getByRole('link').click();
    const detail = page.getByTestId('conference-detail');
    await detail.locator('.ops-facts').waitFor();
    const id = (await detail.getAttribute('data-conference-id')) as string;
    expect(await conferences.get(id)).toMatchObject({
      title: 'Mưa lớn khu vực Đà Nẵng cũ',
      chairUnit: PROVINCE,
      invitedUnits: KV48_COMMUNES,
      alertId: alert?.id,
      status: 'scheduled',
    });
  });

  it('shows a viewer the conferences but no way to schedule; the API refuses them', async () => {
    const conference = await schedule('Họp giao ban để xem', -5);
    const page = await signedIn(VIEWER);
    await page.goto(`${running.url}/console/conferences`);
    await page.locator(`tr[data-conference-id="${conference.id}"]`).waitFor();
    expect(await page.getByTestId('conference-new').count()).toBe(0);
    const detail = await detailOf(page, conference.id);
    for (const action of ['conference-show-links', 'conference-cancel', 'conference-end']) {
      expect(await detail.getByTestId(action).count()).toBe(0);
    }
    const statuses = await page.evaluate(async (id) => {
      const post = (path: string, body: unknown) =>
        fetch(path, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        }).then((r) => r.status);
      return [
        await post('/api/v1/conferences', {
          title: 'Không được phép',
          invitedUnits: ['20242'],
          startsAt: '2026-12-01T01:00:00Z',
          endsAt: '2026-12-01T02:00:00Z',
        }),
        await post(`/api/v1/conferences/${id}/end`, {}),
        await fetch(`/api/v1/conferences/${id}/links`).then((r) => r.status),
      ];
    }, conference.id);
    expect(statuses).toEqual([403, 403, 403]);
    expect((await conferences.get(conference.id))?.status).toBe('scheduled');
  });

  it('speaks English when switched', async () => {
    const conference = await schedule('Weekly briefing', -10);
    const page = await signedIn(OPERATOR);
    await page.goto(`${running.url}/console/conferences/${conference.id}`);
    await page.getByTestId('conference-detail').locator('.ops-facts').waitFor();
    await expect(page.locator('#conferences-title').textContent()).resolves.toBe(
      'Hội nghị truyền hình',
    );
    await page.getByTestId('language-en').click();
    await expect
      .poll(() => page.locator('#conferences-title').textContent())
      .toBe('Video conferences');
    await expect(page.getByTestId('conference-new').textContent()).resolves.toBe(
      'Schedule a conference',
    );
    await expect(page.getByTestId('conference-end').textContent()).resolves.toBe(
      'End the conference',
    );
    await expect(page.getByTestId('conference-cancel').textContent()).resolves.toBe(
      'Cancel the conference',
    );
    await expect(page.getByTestId('conference-attendance-empty').textContent()).resolves.toBe(
      'Nobody has joined yet.',
    );
    await expect(page.getByTestId('conferences-live').locator('h3').textContent()).resolves.toMatch(
      /^Live \(\d+\)$/,
    );
  });
});
