import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AlertSnapshot } from '@ioc/core';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IocServer, runIoc, startIocServer } from './ioc-server.js';

// The whole alert chain with real components: a device provisioned over REST publishes over a
// real MQTT connection, the broker hands it to ingest, the rule engine (rules made over the
// API) raises and clears alerts in SQL, a person acknowledges one over REST, and a webhook
// receiver gets the signed notification.
describe('alert chain: telemetry → rules → alerts → people and webhooks', () => {
  const DEVICE = 'wl-e2e-alerts-01';
  const WEBHOOK_SECRET = 'e2e-webhook-secret-0123456789';
  let ioc: IocServer;
  let admin: string;
  let operator: string;
  let device: MqttClient | undefined;
  let receiver: WebhookReceiver;
  let secret = '';

  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
    ioc = await startIocServer({
      // The demo, so its rules file is loaded; no fleet or KPI feed: only this test's device.
      args: ['--demo', '--only', 'broker,ingest,web,simulators'],
      // Offline by connection only, so that the device's silence between steps changes nothing.
      env: { IOC_SIM_DEVICES: '0', IOC_SIM_KPI_DAYS: '0', IOC_OFFLINE_AFTER_MISSED_REPORTS: '0' },
    });
    admin = await token('admin');
    operator = await token('ioc-operator');
  });

  afterAll(async () => {
    await device?.endAsync(true);
    await ioc?.stop('SIGINT');
    ioc?.cleanup();
    await receiver?.close();
  });

  async function token(role: string): Promise<string> {
    const created = await runIoc(['token', 'create', '--role', role, '--json'], ioc.env);
    expect(created.code, created.stderr).toBe(0);
    return (JSON.parse(created.stdout) as { token: string }).token;
  }

  async function api(
    method: string,
    path: string,
    body?: unknown,
    as = admin,
  ): Promise<{ status: number; json: Record<string, unknown> }> {
    const response = await fetch(`${ioc.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${as}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, json: text ? JSON.parse(text) : {} };
  }

  async function alertsOf(rule: string, state?: string): Promise<AlertSnapshot[]> {
    const query = `rule=${rule}&device=${DEVICE}${state ? `&state=${state}` : ''}`;
    const answer = await api('GET', `/api/v1/alerts?${query}`);
    expect(answer.status).toBe(200);
    return answer.json.alerts as AlertSnapshot[];
  }

  /** Publishes one reading at QoS 1: resolves once the broker acknowledged it (ingest has it). */
  async function report(levelCm: number): Promise<void> {
    const payload = JSON.stringify({ ts: Date.now(), values: { level_cm: levelCm } });
    await device?.publishAsync(`ioc/v1/devices/${DEVICE}/telemetry`, payload, { qos: 1 });
  }

  const levelRule = {
    id: 'e2e-level-high',
    name: { vi: 'Mực nước cao (kiểm thử)', en: 'Water level high (test)' },
    severity: 'major',
    scope: { device: DEVICE },
    condition: {
      kind: 'threshold',
      metric: 'level_cm',
      op: 'above',
      value: 500,
      clear: 450,
      forS: 2,
    },
    message: {
      vi: 'Mực nước tại {deviceName} là {value} {unit}, vượt {threshold} {unit}',
      en: 'Water level at {deviceName} is {value} {unit}, above {threshold} {unit}',
    },
  };
  const offlineRule = {
    id: 'e2e-offline',
    name: { vi: 'Mất kết nối (kiểm thử)', en: 'Offline (test)' },
    severity: 'minor',
    scope: { device: DEVICE },
    condition: { kind: 'offline' },
    message: { vi: '{deviceName} mất kết nối', en: '{deviceName} is offline' },
  };

  it('loads the demo rules from ingest/data/demo-rules.json, read-only over the API', async () => {
    const answer = await api('GET', '/api/v1/rules');
    expect(answer.status).toBe(200);
    const ids = (answer.json.rules as Array<{ id: string }>).map((r) => r.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        'water-level-alert-i',
        'water-level-alert-iii',
        'rain-intense',
        'pm25-qcvn-05-2023',
        'offline-pump-station',
        'kpi-on-time-rate-low',
      ]),
    );
    const change = await api('DELETE', '/api/v1/rules/rain-intense');
    expect(change.status).toBe(409);
    expect(change.json.code).toBe('RULE_MANAGED_BY_FILE');
  });

  it('lets an admin, not an operator, create rules', async () => {
    // The rules watch one device, provisioned over REST; it connects later.
    const provisioned = await api('POST', '/api/v1/devices', {
      id: DEVICE,
      type: 'water-level',
      unit: '20194',
      name: 'Trạm đo mực nước kiểm thử',
    });
    expect(provisioned.status).toBe(201);
    secret = provisioned.json.secret as string;

    const refused = await api('POST', '/api/v1/rules', levelRule, operator);
    expect(refused.status).toBe(403);
    expect((await api('GET', `/api/v1/rules/${levelRule.id}`)).status).toBe(404);

    const bad = await api('POST', '/api/v1/rules', {
      ...levelRule,
      condition: { ...levelRule.condition, clear: 550 },
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.json)).toContain('CLEAR_LEVEL_WRONG_SIDE');

    expect((await api('POST', '/api/v1/rules', levelRule)).status).toBe(201);
    expect((await api('POST', '/api/v1/rules', offlineRule)).status).toBe(201);
  });

  it('raises one alert after "for", however many high readings follow, and notifies once', async () => {
    const subscribed = await api('POST', '/api/v1/notifications/subscriptions', {
      name: 'e2e receiver',
      channel: 'webhook',
      url: receiver.url,
      secret: WEBHOOK_SECRET,
      minSeverity: 'major',
      changes: ['raised'],
    });
    expect(subscribed.status, JSON.stringify(subscribed.json)).toBe(201);

    device = await connectAsync(`mqtt://127.0.0.1:${ioc.ports.mqtt}`, {
      clientId: DEVICE,
      username: DEVICE,
      password: secret,
      reconnectPeriod: 0,
      connectTimeout: 5000,
    });

    const firstHigh = Date.now();
    await report(620);
    // Pending, not yet raised: the value has not held for 2 s.
    expect(await alertsOf(levelRule.id)).toEqual([]);
    for (let i = 0; i < 5; i++) await report(600 + i);
    const [alert] = await until(
      'the level alert',
      () => alertsOf(levelRule.id),
      (a) => a.length > 0,
    );
    expect(Date.parse(alert?.raisedAt as string) - firstHigh).toBeGreaterThanOrEqual(1900);
    expect(alert).toMatchObject({
      state: 'active',
      severity: 'major',
      deviceId: DEVICE,
      unit: '20194',
      metric: 'level_cm',
      count: 1,
    });
    expect(alert?.message.vi).toMatch(/^Mực nước tại Trạm đo mực nước kiểm thử là 60\d cm/);

    // Many more readings above the threshold, and some between it and the clear level:
    // still that one alert (one raise per firing; hysteresis holds it).
    for (let i = 0; i < 20; i++) await report(i % 2 === 0 ? 640 : 470);
    const webhook = await receiver.next((body) => body.alert?.ruleId === levelRule.id);
    const still = await alertsOf(levelRule.id);
    expect(still.map((a) => [a.id, a.state, a.count])).toEqual([[alert?.id, 'active', 1]]);

    // The signed `raised` notification, HMAC-SHA256 of the exact body with the secret.
    expect(webhook.body).toMatchObject({ change: 'raised', alert: { id: alert?.id } });
    const expected = createHmac('sha256', WEBHOOK_SECRET).update(webhook.raw).digest('hex');
    expect(webhook.headers['x-ioc-signature']).toBe(`sha256=${expected}`);
    expect(webhook.headers['x-ioc-event']).toBe('alert.raised');
    expect(receiver.received.filter((r) => r.body.alert?.ruleId === levelRule.id)).toHaveLength(1);
  });

  it('clears the alert once the value is back below the clear level', async () => {
    await report(430);
    const [cleared] = await until(
      'the level alert cleared',
      () => alertsOf(levelRule.id),
      (a) => a[0]?.state === 'cleared',
    );
    expect(cleared).toMatchObject({ endedBy: 'system', count: 1 });
    expect(await alertsOf(levelRule.id, 'open')).toEqual([]);
  });

  it('raises the offline alert when the device stops, which an operator acknowledges', async () => {
    expect(await alertsOf(offlineRule.id)).toEqual([]);
    await device?.endAsync();
    device = undefined;
    const [offline] = await until(
      'the offline alert',
      () => alertsOf(offlineRule.id, 'active'),
      (a) => a.length === 1,
    );
    expect(offline).toMatchObject({ severity: 'minor', message: { en: expect.any(String) } });
    expect(offline?.message.vi).toBe('Trạm đo mực nước kiểm thử mất kết nối');

    const viewer = await token('viewer');
    const refused = await api('POST', `/api/v1/alerts/${offline?.id}/acknowledge`, {}, viewer);
    expect(refused.status).toBe(403);
    const acked = await api(
      'POST',
      `/api/v1/alerts/${offline?.id}/acknowledge`,
      { note: 'Đã cử kỹ thuật viên kiểm tra' },
      operator,
    );
    expect(acked.status).toBe(200);
    expect(acked.json.alert).toMatchObject({ state: 'acknowledged', acknowledgedBy: /^token:/ });
    expect(await alertsOf(offlineRule.id, 'active')).toEqual([]);
    expect((await alertsOf(offlineRule.id, 'acknowledged')).map((a) => a.id)).toEqual([
      offline?.id,
    ]);
    const again = await api('POST', `/api/v1/alerts/${offline?.id}/acknowledge`, {}, operator);
    expect(again.status).toBe(409);

    const audit = await api('GET', '/api/v1/audit?limit=50');
    const entries = audit.json.entries as Array<Record<string, unknown>>;
    const acknowledged = entries.filter(
      (e) => e.action === 'alert.acknowledge' && e.target === `alert:${offline?.id}`,
    );
    // Newest first: the refused second try, then the acknowledgement.
    expect(acknowledged).toMatchObject([
      { outcome: 'failed', details: { code: 'ALERT_ALREADY_ACKNOWLEDGED' } },
      {
        outcome: 'ok',
        actor: (acked.json.alert as AlertSnapshot).acknowledgedBy,
        details: { note: 'Đã cử kỹ thuật viên kiểm tra' },
      },
    ]);
  });
});

/** Polls the API (it has no push for these) until `check` holds, for at most 20 s. */
async function until<T>(what: string, read: () => Promise<T>, check: (v: T) => boolean) {
  const deadline = Date.now() + 20_000;
  let value = await read();
  while (!check(value)) {
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await read();
  }
  return value;
}

interface WebhookRequest {
  headers: IncomingHttpHeaders;
  raw: Buffer;
  body: { change?: string; alert?: { id?: string; ruleId?: string } };
}

/** A local HTTP endpoint that records every webhook POST and answers 204. */
class WebhookReceiver {
  readonly received: WebhookRequest[] = [];
  readonly #waiters: Array<{
    match: (r: WebhookRequest) => boolean;
    resolve(r: WebhookRequest): void;
  }> = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<WebhookReceiver> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const receiver = new WebhookReceiver(server, `http://127.0.0.1:${port}/ioc-alerts`);
    server.on('request', (request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const raw = Buffer.concat(chunks);
        const entry = { headers: request.headers, raw, body: JSON.parse(raw.toString('utf8')) };
        receiver.received.push(entry);
        for (const waiter of [...receiver.#waiters]) {
          if (!waiter.match(entry)) continue;
          receiver.#waiters.splice(receiver.#waiters.indexOf(waiter), 1);
          waiter.resolve(entry);
        }
        response.writeHead(204).end();
      });
    });
    return receiver;
  }

  /** The first request (received already or later) whose body matches; 20 s at most. */
  next(match: (body: WebhookRequest['body']) => boolean): Promise<WebhookRequest> {
    const seen = this.received.find((r) => match(r.body));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no matching webhook in 20 s')), 20_000);
      this.#waiters.push({
        match: (r) => match(r.body),
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
      });
    });
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
