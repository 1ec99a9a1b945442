import { once } from 'node:events';
import {
  type AdminUnitTree,
  createLogger,
  LiveBus,
  loadUnitTree,
  type SqlStore,
  sqlTestBackends,
} from '@ioc/core';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  NotificationService,
  type NotificationServiceEvents,
  type NotificationServiceOptions,
} from './notification-service.js';
import { verifyWebhookSignature } from './signature.js';
import {
  alertChanged,
  ManualClock,
  type ReceivedRequest,
  readMail,
  type ScriptedAnswer,
  SmtpSink,
  sampleAlert,
  WebhookReceiver,
} from './test-support.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

// The service end to end on embedded SQL (the tables are tested on both stores in
// subscription-store.test.ts): real HTTP receivers, a real SMTP sink, a manual clock.
const { backends, cleanup } = sqlTestBackends('notify-service', inject('postgresUrl'));
const pglite = backends.find((b) => b.kind === 'pglite');
if (!pglite) throw new Error('no PGlite backend');

/** Da Nang (2025 units): the city, Hải Châu and Hải Vân below it. */
const CITY = '48';
const HAI_CHAU = '20242';
const HAI_VAN = '20194';

let units: AdminUnitTree;
let sql: SqlStore;
beforeAll(async () => {
  units = await loadUnitTree('da-nang-2025');
  sql = await pglite.open();
});
afterAll(async () => {
  await sql?.close();
  cleanup();
});

interface Running {
  service: NotificationService;
  bus: LiveBus;
  clock: ManualClock;
  metrics: Registry;
}
const running: NotificationService[] = [];
const receivers: WebhookReceiver[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
  await Promise.all(receivers.splice(0).map((r) => r.close()));
  // Each test starts from no subscriptions (deliveries go with them).
  await sql.query('DELETE FROM notification_subscriptions');
});

async function startService(
  options: Partial<NotificationServiceOptions> = {},
  clock = new ManualClock(),
): Promise<Running> {
  const bus = options.bus ?? new LiveBus();
  const metrics = new Registry();
  const service = await NotificationService.start({
    sql,
    bus,
    units,
    logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
    metrics,
    clock,
    ...options,
  });
  running.push(service);
  return { service, bus, clock, metrics };
}

async function receiver(
  answer?: (request: ReceivedRequest, index: number) => ScriptedAnswer,
): Promise<WebhookReceiver> {
  const started = await WebhookReceiver.start(answer);
  receivers.push(started);
  return started;
}

/** The next `event` of the service (listening starts now, before what triggers it). */
function next<K extends keyof NotificationServiceEvents>(
  service: NotificationService,
  event: K,
  matching: (...args: NotificationServiceEvents[K]) => boolean = () => true,
): Promise<NotificationServiceEvents[K][0]> {
  return new Promise((resolve) => {
    const listener = (...args: NotificationServiceEvents[K]) => {
      if (!matching(...args)) return;
      service.off(event, listener as never);
      resolve(args[0]);
    };
    service.on(event, listener as never);
  });
}

/** The next `count` `finished` events that match. */
function finishedMany(
  service: NotificationService,
  count: number,
  matching: (...args: NotificationServiceEvents['finished']) => boolean,
): Promise<Array<NotificationServiceEvents['finished'][0]>> {
  const seen: Array<NotificationServiceEvents['finished'][0]> = [];
  return new Promise((resolve) => {
    const listener = (...args: NotificationServiceEvents['finished']) => {
      if (!matching(...args)) return;
      seen.push(args[0]);
      if (seen.length < count) return;
      service.off('finished', listener);
      resolve(seen);
    };
    service.on('finished', listener);
  });
}

const body = (request: ReceivedRequest | undefined) =>
  JSON.parse(request?.body.toString('utf8') ?? 'null');

async function metricValue(metrics: Registry, name: string, labels: Record<string, string> = {}) {
  const metric = await metrics.getSingleMetric(name)?.get();
  return (
    metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))
      ?.value ?? 0
  );
}

describe('webhook delivery', () => {
  it('retries a failing endpoint with growing waits until it accepts: one delivery, 3 attempts, signed', async () => {
    const hook = await receiver((_: ReceivedRequest, index: number) => ({
      status: index < 2 ? 500 : 200,
    }));
    const { service, bus, clock } = await startService();
    const { subscription, secret } = await service.createSubscription(
      { name: 'Trực ban', channel: 'webhook', url: `${hook.url}/ioc` },
      'user:admin',
    );
    expect(secret).toBeTruthy();
    const event = alertChanged('raised', sampleAlert());

    const first = next(service, 'attempt');
    bus.publish('alert.changed', event);
    const a1 = await first;
    expect(a1).toMatchObject({ attempt: 1, result: { ok: false, retryable: true, status: 500 } });
    expect(a1.retryInMs).toBeGreaterThanOrEqual(15_000);
    expect(a1.retryInMs).toBeLessThan(30_000);
    const row = (await service.listDeliveries({ subscriptionId: subscription.id }))[0];
    expect(row).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastStatus: 500,
      lastError: 'HTTP 500',
    });
    expect(Date.parse(row?.nextAttemptAt ?? '')).toBe(clock.now() + (a1.retryInMs as number));

    // Nothing is sent again before the wait is over.
    clock.advance((a1.retryInMs as number) - 1);
    expect(hook.requests.length).toBe(1);
    const second = next(service, 'attempt');
    clock.advance(1);
    const a2 = await second;
    expect(a2).toMatchObject({ attempt: 2, result: { ok: false, status: 500 } });
    expect(a2.retryInMs).toBeGreaterThan(a1.retryInMs as number);

    const third = next(service, 'attempt');
    const finished = next(service, 'finished');
    clock.advance(a2.retryInMs as number);
    expect(await third).toMatchObject({ attempt: 3, result: { ok: true, status: 200 } });
    expect(await finished).toMatchObject({ status: 'delivered', attempts: 3, error: null });

    expect(hook.requests.length).toBe(3);
    const deliveryIds = new Set(hook.requests.map((r) => r.headers['x-ioc-delivery']));
    expect(deliveryIds.size).toBe(1);
    expect(hook.requests.map((r) => r.headers['x-ioc-attempt'])).toEqual(['1', '2', '3']);
    const timestamps = hook.requests.map((r) => Number(r.headers['x-ioc-timestamp']));
    expect(timestamps[2]).toBe(Math.floor(clock.now() / 1000));
    expect(timestamps[1]).toBeGreaterThan(timestamps[0] as number);
    for (const request of hook.requests) {
      expect(request.path).toBe('/ioc');
      expect(
        verifyWebhookSignature(
          secret as string,
          request.body,
          request.headers['x-ioc-signature'] as string,
        ),
      ).toBe(true);
      expect(body(request)).toEqual(event);
    }
    expect((await service.listDeliveries({ subscriptionId: subscription.id }))[0]).toMatchObject({
      status: 'delivered',
      attempts: 3,
      lastStatus: 200,
      lastError: null,
      nextAttemptAt: null,
      finishedAt: new Date(clock.now()).toISOString(),
    });
  });

  it('fails a 400 at once, without retrying', async () => {
    const hook = await receiver(() => ({ status: 400, body: 'unknown field "alert"' }));
    const { service, bus, metrics } = await startService();
    const { subscription } = await service.createSubscription(
      { name: 'Bad receiver', channel: 'webhook', url: hook.url },
      null,
    );
    const attempt = next(service, 'attempt');
    const finished = next(service, 'finished');
    bus.publish('alert.changed', alertChanged('raised', sampleAlert()));
    expect(await attempt).not.toHaveProperty('retryInMs');
    expect(await finished).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: 'HTTP 400: unknown field "alert"',
    });
    expect(hook.requests.length).toBe(1);
    expect(await service.listDeliveries({ status: 'failed' })).toEqual([
      expect.objectContaining({
        subscriptionId: subscription.id,
        attempts: 1,
        lastStatus: 400,
        nextAttemptAt: null,
      }),
    ]);
    expect(await metricValue(metrics, 'ioc_notifications_pending')).toBe(0);
    expect(
      await metricValue(metrics, 'ioc_notifications_deliveries_total', {
        channel: 'webhook',
        outcome: 'failed',
      }),
    ).toBe(1);
  });

  it('gives up after the last attempt', async () => {
    const hook = await receiver(() => ({ status: 502 }));
    const { service, bus, clock } = await startService({ retry: { maxAttempts: 3 } });
    await service.createSubscription({ name: 'Down', channel: 'webhook', url: hook.url }, null);
    const finished = next(service, 'finished');
    let attempt = next(service, 'attempt');
    bus.publish('alert.changed', alertChanged('raised', sampleAlert()));
    for (let n = 1; n < 3; n++) {
      const { retryInMs } = await attempt;
      attempt = next(service, 'attempt');
      clock.advance(retryInMs as number);
    }
    expect(await attempt).not.toHaveProperty('retryInMs');
    expect(await finished).toMatchObject({ status: 'failed', attempts: 3, error: 'HTTP 502' });
    expect(hook.requests.length).toBe(3);
  });

  it('resumes a pending delivery after a restart, same delivery id, at its planned time', async () => {
    const hook = await receiver(() => ({ status: 503 }));
    const clock = new ManualClock();
    const first = await startService({}, clock);
    const { subscription, secret } = await first.service.createSubscription(
      { name: 'Across restart', channel: 'webhook', url: hook.url },
      null,
    );
    const attempt = next(first.service, 'attempt');
    first.bus.publish('alert.changed', alertChanged('raised', sampleAlert()));
    const { retryInMs } = await attempt;
    await first.service.stop();
    expect(
      (await first.service.listDeliveries({ subscriptionId: subscription.id }))[0],
    ).toMatchObject({
      status: 'pending',
      attempts: 1,
    });

    hook.answerWith(() => ({ status: 202 }));
    const second = await startService({}, clock);
    const finished = next(second.service, 'finished');
    clock.advance((retryInMs as number) - 1);
    expect(hook.requests.length).toBe(1);
    clock.advance(1);
    expect(await finished).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(hook.requests.length).toBe(2);
    expect(hook.requests[1]?.headers['x-ioc-delivery']).toBe(
      hook.requests[0]?.headers['x-ioc-delivery'],
    );
    expect(hook.requests[1]?.body.equals(hook.requests[0]?.body as Buffer)).toBe(true);
    expect(
      verifyWebhookSignature(
        secret as string,
        hook.requests[1]?.body as Buffer,
        hook.requests[1]?.headers['x-ioc-signature'] as string,
      ),
    ).toBe(true);
  });

  it('a hung endpoint delays no other subscription; its queue is bounded, drops recorded', async () => {
    const hung = await receiver(() => ({ status: 200, hang: true }));
    const healthy = await receiver();
    const { service, bus, metrics } = await startService({
      webhookTimeoutMs: 60_000,
      maxPendingPerSubscription: 3,
    });
    const { subscription: stuck } = await service.createSubscription(
      { name: 'Hung', channel: 'webhook', url: hung.url },
      null,
    );
    const { subscription: ok } = await service.createSubscription(
      { name: 'Healthy', channel: 'webhook', url: healthy.url },
      null,
    );

    const dropped = finishedMany(service, 2, (f) => f.status === 'dropped');
    const alerts = [1, 2, 3, 4, 5].map(() => sampleAlert());
    for (const alert of alerts) {
      const delivered = next(service, 'finished', (f) => f.subscriptionId === ok.id);
      bus.publish('alert.changed', alertChanged('raised', alert));
      expect(await delivered).toMatchObject({ status: 'delivered', attempts: 1 });
    }
    // The healthy one got every alert while the hung one still holds its first request.
    expect(healthy.requests.map((r) => body(r).alert.id)).toEqual(alerts.map((a) => a.id));
    expect(hung.requests.map((r) => body(r).alert.id)).toEqual([alerts[0]?.id]);
    // One in flight + two queued; the last two were dropped, recorded and counted.
    expect((await dropped).map((f) => f.subscriptionId)).toEqual([stuck.id, stuck.id]);
    const rows = await service.listDeliveries({ subscriptionId: stuck.id, status: 'dropped' });
    expect(rows.map((r) => r.alertId).sort()).toEqual([alerts[3]?.id, alerts[4]?.id].sort());
    expect(rows[0]?.lastError).toContain('already pending');
    expect(
      await metricValue(metrics, 'ioc_notifications_dropped_total', { reason: 'queue_full' }),
    ).toBe(2);
    expect(await metricValue(metrics, 'ioc_notifications_pending')).toBe(3);
    expect(
      (await service.listDeliveries({ subscriptionId: stuck.id, status: 'pending' })).length,
    ).toBe(3);
  });

  it('disabling a subscription cancels what it has pending', async () => {
    const hook = await receiver(() => ({ status: 500 }));
    const { service, bus, clock } = await startService();
    const { subscription } = await service.createSubscription(
      { name: 'Soon disabled', channel: 'webhook', url: hook.url },
      null,
    );
    const attempt = next(service, 'attempt');
    bus.publish('alert.changed', alertChanged('raised', sampleAlert()));
    const { retryInMs } = await attempt;
    const cancelled = next(service, 'finished');
    await service.updateSubscription(subscription.id, { enabled: false });
    expect(await cancelled).toMatchObject({ status: 'cancelled' });
    clock.advance(retryInMs as number);
    await service.settled();
    expect(hook.requests.length).toBe(1);
    expect((await service.listDeliveries({ subscriptionId: subscription.id }))[0]).toMatchObject({
      status: 'cancelled',
      lastError: 'the subscription was disabled',
    });
  });

  it('sends a test notification on request and reports the answer', async () => {
    const hook = await receiver();
    const { service } = await startService();
    const { subscription, secret } = await service.createSubscription(
      { name: 'To test', channel: 'webhook', url: hook.url, unit: HAI_CHAU, enabled: false },
      null,
    );
    const result = await service.sendTest(subscription.id, 'user:admin');
    expect(result).toMatchObject({ delivered: true, status: 204, error: null });
    const received = hook.requests[0];
    expect(received?.headers['x-ioc-event']).toBe('alert.test');
    expect(
      verifyWebhookSignature(
        secret as string,
        received?.body as Buffer,
        received?.headers['x-ioc-signature'] as string,
      ),
    ).toBe(true);
    expect(body(received)).toMatchObject({
      change: 'test',
      actor: 'user:admin',
      alert: { unit: HAI_CHAU, ruleId: 'test' },
    });
    expect((await service.listDeliveries({ subscriptionId: subscription.id }))[0]).toMatchObject({
      id: result.deliveryId,
      change: 'test',
      status: 'delivered',
    });

    hook.answerWith(() => ({ status: 410, body: 'gone' }));
    expect(await service.sendTest(subscription.id, null)).toMatchObject({
      delivered: false,
      status: 410,
      error: 'HTTP 410: gone',
    });
    await expect(service.sendTest('no-such-id', null)).rejects.toMatchObject({
      statusCode: 404,
      code: 'SUBSCRIPTION_NOT_FOUND',
    });
  });
});

describe('who gets what', () => {
  it('filters by severity, sector, unit subtree and change kind; no re-triggers, no storm children', async () => {
    const hook = await receiver();
    const { service, bus } = await startService();
    const subscribe = async (name: string, filters: Record<string, unknown>) =>
      (
        await service.createSubscription(
          { name, channel: 'webhook', url: `${hook.url}/${name}`, ...filters },
          null,
        )
      ).subscription;
    await subscribe('all', {});
    await subscribe('critical', { minSeverity: 'critical' });
    await subscribe('transport', { sectors: ['transport', 'health'] });
    await subscribe('hai-chau', { unit: HAI_CHAU });
    await subscribe('city', { unit: CITY });
    await subscribe('cleared-only', { changes: ['cleared'] });
    const off = await subscribe('disabled', { enabled: false });
    expect(off.enabled).toBe(false);

    const critical = sampleAlert({ severity: 'critical', unit: HAI_VAN, sector: 'environment' });
    const majorTraffic = sampleAlert({ severity: 'major', unit: HAI_CHAU, sector: 'transport' });
    const noUnit = sampleAlert({
      severity: 'warning',
      unit: null,
      sector: null,
      source: 'kpi:x:48',
    });
    const parent = sampleAlert({ severity: 'critical', unit: CITY, sector: 'it-infrastructure' });
    const child = sampleAlert({ severity: 'critical', unit: HAI_CHAU, parentId: parent.id });
    const events = [
      alertChanged('raised', critical),
      alertChanged('raised', majorTraffic),
      alertChanged('retriggered', { ...majorTraffic, count: 2 }),
      alertChanged('acknowledged', majorTraffic, 'user:truc.ban'),
      alertChanged('cleared', majorTraffic),
      alertChanged('raised', noUnit),
      alertChanged('raised', parent),
      alertChanged('raised', child),
      alertChanged('escalated', { ...child, escalationLevel: 1 }),
    ];
    for (const event of events) bus.publish('alert.changed', event);
    await service.settled();

    const got = (path: string) =>
      hook.requests
        .filter((r) => r.path === `/${path}`)
        .map((r) => `${body(r).change}:${body(r).alert.id}`);
    expect(got('all')).toEqual([
      `raised:${critical.id}`,
      `raised:${majorTraffic.id}`,
      `cleared:${majorTraffic.id}`,
      `raised:${noUnit.id}`,
      `raised:${parent.id}`,
    ]);
    expect(got('critical')).toEqual([`raised:${critical.id}`, `raised:${parent.id}`]);
    expect(got('transport')).toEqual([`raised:${majorTraffic.id}`, `cleared:${majorTraffic.id}`]);
    expect(got('hai-chau')).toEqual([`raised:${majorTraffic.id}`, `cleared:${majorTraffic.id}`]);
    expect(got('city')).toEqual([
      `raised:${critical.id}`,
      `raised:${majorTraffic.id}`,
      `cleared:${majorTraffic.id}`,
      `raised:${parent.id}`,
    ]);
    expect(got('cleared-only')).toEqual([`cleared:${majorTraffic.id}`]);
    expect(got('disabled')).toEqual([]);
    expect(hook.requests.some((r) => body(r).alert.id === child.id)).toBe(false);
  });

  it('follows changes to the filters at once', async () => {
    const hook = await receiver();
    const { service, bus } = await startService();
    const { subscription } = await service.createSubscription(
      { name: 'Narrowed', channel: 'webhook', url: hook.url },
      null,
    );
    await service.updateSubscription(subscription.id, { minSeverity: 'critical' });
    bus.publish('alert.changed', alertChanged('raised', sampleAlert({ severity: 'major' })));
    await service.settled();
    expect(hook.requests.length).toBe(0);
    await service.deleteSubscription(subscription.id);
    await expect(service.deleteSubscription(subscription.id)).rejects.toMatchObject({
      statusCode: 404,
    });
    bus.publish('alert.changed', alertChanged('raised', sampleAlert({ severity: 'critical' })));
    await service.settled();
    expect(hook.requests.length).toBe(0);
  });
});

describe('e-mail over SMTP', () => {
  let sink: SmtpSink;
  beforeAll(async () => {
    sink = await SmtpSink.start({
      onAuth(auth, _session, callback) {
        if (auth.username === 'ioc' && auth.password === 'mật-khẩu-smtp')
          callback(null, { user: 'ioc' });
        else callback(new Error('535 authentication failed'));
      },
      onRcptTo(address, _session, callback) {
        if (address.address.startsWith('full@')) {
          const err = Object.assign(new Error('mailbox full, try later'), { responseCode: 452 });
          return callback(err);
        }
        if (address.address.endsWith('@nowhere.vn')) {
          const err = Object.assign(new Error('no such user'), { responseCode: 550 });
          return callback(err);
        }
        callback();
      },
    });
  });
  afterAll(() => sink?.close());

  const smtp = () => ({
    host: '127.0.0.1',
    port: sink.port,
    secure: false,
    starttls: 'off' as const,
    user: 'ioc',
    password: 'mật-khẩu-smtp',
    from: 'IOC Đà Nẵng <ioc@danang.gov.vn>',
  });

  it('sends a bilingual message to the recipients with Vietnamese intact', async () => {
    const { service, bus } = await startService({ smtp: smtp() });
    await service.createSubscription(
      {
        name: 'Lãnh đạo Sở',
        channel: 'email',
        recipients: ['giam.doc@danang.gov.vn', 'truc.ban@danang.gov.vn'],
      },
      null,
    );
    const alert = sampleAlert({ count: 3 });
    const mail = once(sink, 'mail');
    const finished = next(service, 'finished');
    bus.publish('alert.changed', alertChanged('raised', alert));
    const [received] = (await mail) as [{ to: string[]; from: string; raw: string; user: string }];
    expect(await finished).toMatchObject({ status: 'delivered', attempts: 1 });

    expect(received.to).toEqual(['giam.doc@danang.gov.vn', 'truc.ban@danang.gov.vn']);
    expect(received.from).toBe('ioc@danang.gov.vn');
    expect(received.user).toBe('ioc');
    const message = readMail(received.raw);
    expect(message.subject).toBe(
      '[IOC] Cảnh báo mới · Cao: Mực nước sông Hàn vượt ngưỡng báo động 2: 3,2 m / New alert · Major',
    );
    expect(message.subject).toBe(message.subject.normalize('NFC'));
    expect(message.headers.get('x-ioc-delivery')).toMatch(/^[0-9a-f-]{36}$/);
    // Vietnamese first, English below; 01:30 UTC is 08:30 in Vietnam.
    const vi = message.text.indexOf('Mực nước sông Hàn vượt ngưỡng báo động 2');
    const en = message.text.indexOf('Han river level above alarm level 2');
    expect(vi).toBeGreaterThanOrEqual(0);
    expect(en).toBeGreaterThan(vi);
    expect(message.text).toContain('05/03/2026 08:30 (giờ Việt Nam)');
    expect(message.text).toContain('Phường Hải Châu (20242)');
    expect(message.text).toContain('Tài nguyên và Môi trường');
    expect(message.text).toContain('Số lần xảy ra:');
    expect(message.html).toContain('Mực nước sông Hàn');
    expect(message.html).toContain('Natural resources and environment');
  });

  it('retries a temporary refusal (4xx) and fails a permanent one (5xx) at once', async () => {
    const { service, bus, clock } = await startService({ smtp: smtp() });
    const { subscription: full } = await service.createSubscription(
      { name: 'Full mailbox', channel: 'email', recipients: ['full@danang.gov.vn'] },
      null,
    );
    const { subscription: gone } = await service.createSubscription(
      { name: 'Unknown mailbox', channel: 'email', recipients: ['ai.do@nowhere.vn'] },
      null,
    );
    const tempAttempt = next(service, 'attempt', (a) => a.subscriptionId === full.id);
    const permanent = next(service, 'finished', (f) => f.subscriptionId === gone.id);
    bus.publish('alert.changed', alertChanged('raised', sampleAlert()));
    const temp = await tempAttempt;
    expect(temp).toMatchObject({ attempt: 1, result: { ok: false, retryable: true, status: 452 } });
    expect(temp.retryInMs).toBeGreaterThan(0);
    expect(await permanent).toMatchObject({ status: 'failed', attempts: 1 });
    expect((await service.listDeliveries({ subscriptionId: gone.id }))[0]?.lastStatus).toBe(550);
    const retried = next(service, 'attempt', (a) => a.subscriptionId === full.id);
    clock.advance(temp.retryInMs as number);
    expect(await retried).toMatchObject({ attempt: 2 });
  });

  it('refuses e-mail subscriptions without an SMTP server', async () => {
    const { service } = await startService();
    expect(service.emailEnabled).toBe(false);
    await expect(
      service.createSubscription({ name: 'Mail', channel: 'email', recipients: ['a@b.vn'] }, null),
    ).rejects.toMatchObject({ statusCode: 409, code: 'SMTP_NOT_CONFIGURED' });
  });
});
