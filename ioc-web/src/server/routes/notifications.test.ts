import { randomUUID } from 'node:crypto';
import {
  ApiError,
  ApiTokens,
  AuditLog,
  createLogger,
  HealthRegistry,
  loadUnitTree,
  type Role,
  SessionStore,
  type SqlStore,
  sqlTestBackends,
  UserAccounts,
} from '@ioc/core';
import { DeviceRegistry, loadDeviceCatalogue } from '@ioc/devices';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import type { WebContext } from '../context.js';
import { buildWebApp } from '../web-app.js';
import type {
  NotificationAdmin,
  NotificationDeliveryView,
  NotificationSubscriptionBody,
  NotificationSubscriptionView,
} from './notifications.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

/**
 * Stands in for ingest's NotificationService (the web package cannot import ingest; the
 * service itself is tested in ingest/src/notifications). It keeps what the routes hand it,
 * so the tests can check what reached it, and what did not.
 */
class InMemoryNotifications implements NotificationAdmin {
  readonly subscriptions = new Map<string, NotificationSubscriptionView & { secret?: string }>();
  readonly calls: string[] = [];
  readonly inputs: unknown[] = [];
  deliveryQueries: unknown[] = [];

  async listSubscriptions() {
    return [...this.subscriptions.values()];
  }
  async getSubscription(id: string) {
    // Returns the secret too, as a careless service might: the route must not pass it on.
    return this.subscriptions.get(id);
  }
  async createSubscription(input: NotificationSubscriptionBody, createdBy: string | null) {
    this.calls.push(`create:${input.name}`);
    this.inputs.push(input);
    const now = new Date().toISOString();
    const subscription = {
      id: randomUUID(),
      name: input.name,
      channel: input.channel,
      url: input.url ?? null,
      recipients: input.recipients ?? [],
      minSeverity: input.minSeverity ?? 'info',
      sectors: input.sectors ?? [],
      unit: input.unit ?? null,
      changes: input.changes ?? ['raised', 'escalated', 'resolved', 'cleared'],
      enabled: input.enabled ?? true,
      createdBy,
      createdAt: now,
      updatedAt: now,
    };
    const secret =
      input.channel === 'webhook' ? (input.secret ?? 'generated-secret-000000') : undefined;
    this.subscriptions.set(subscription.id, { ...subscription, ...(secret ? { secret } : {}) });
    return { subscription, ...(secret ? { secret } : {}) };
  }
  async updateSubscription(id: string, patch: Partial<NotificationSubscriptionBody>) {
    const current = this.subscriptions.get(id);
    if (!current) throw new ApiError(404, 'SUBSCRIPTION_NOT_FOUND', 'no such subscription');
    this.calls.push(`update:${id}`);
    const updated = { ...current, ...patch, updatedAt: new Date().toISOString() };
    this.subscriptions.set(id, updated);
    return updated;
  }
  async deleteSubscription(id: string) {
    if (!this.subscriptions.delete(id)) {
      throw new ApiError(404, 'SUBSCRIPTION_NOT_FOUND', 'no such subscription');
    }
    this.calls.push(`delete:${id}`);
  }
  async sendTest(id: string, actor: string | null) {
    if (!this.subscriptions.has(id)) {
      throw new ApiError(404, 'SUBSCRIPTION_NOT_FOUND', 'no such subscription');
    }
    this.calls.push(`test:${id}:${actor}`);
    return { deliveryId: 'd-test', delivered: false, status: 503, error: 'HTTP 503', ms: 12 };
  }
  async listDeliveries(query: Parameters<NotificationAdmin['listDeliveries']>[0]) {
    this.deliveryQueries.push(query);
    const delivery: NotificationDeliveryView = {
      id: 'd-1',
      subscriptionId: 's-1',
      alertId: 'a-1',
      change: 'raised',
      status: 'failed',
      attempts: 6,
      lastStatus: 500,
      lastError: 'HTTP 500',
      createdAt: '2026-03-05T01:30:00.000Z',
      lastAttemptAt: '2026-03-05T01:40:00.000Z',
      nextAttemptAt: null,
      finishedAt: '2026-03-05T01:40:00.000Z',
    };
    return [delivery];
  }
}

const { backends, cleanup } = sqlTestBackends('notify-routes', inject('postgresUrl'));
const pglite = backends.find((b) => b.kind === 'pglite');
if (!pglite) throw new Error('no PGlite backend');

let sql: SqlStore;
let ctx: WebContext;
let app: FastifyInstance;
let notifications: InMemoryNotifications;
const tokens: Partial<Record<Role, string>> = {};
const BASE = '/api/v1/notifications';

beforeAll(async () => {
  sql = await pglite.open();
  const units = await loadUnitTree('da-nang-2025');
  const catalogue = await loadDeviceCatalogue();
  const logger = createLogger('silent');
  const apiTokens = new ApiTokens(sql);
  ctx = {
    health: new HealthRegistry(),
    metrics: new Registry(),
    units,
    unitDataset: 'da-nang-2025',
    accounts: new UserAccounts(sql),
    sessions: new SessionStore(sql, 1),
    tokens: apiTokens,
    audit: new AuditLog(sql),
    devices: new DeviceRegistry({ sql, catalogue, units, logger }),
    catalogue,
    sessionTtlHours: 1,
  };
  app = await buildWebApp(ctx, { logger, version: 'test' });
  for (const role of ['admin', 'ioc-operator', 'viewer'] as const) {
    tokens[role] = (await apiTokens.create({ name: role, role, createdBy: 'test' })).token;
  }
});
afterAll(async () => {
  await app?.close();
  await sql?.close();
  cleanup();
});
beforeEach(() => {
  notifications = new InMemoryNotifications();
  ctx.notifications = notifications;
});

function call(
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  url: string,
  payload?: unknown,
  role: Role | null = 'admin',
) {
  return app.inject({
    method,
    url,
    ...(payload === undefined ? {} : { payload: payload as object }),
    headers: role ? { authorization: `Bearer ${tokens[role]}` } : {},
  });
}

const webhook = { name: 'Trực ban', channel: 'webhook', url: 'https://hooks.example.vn/ioc' };
const email = { name: 'Lãnh đạo', channel: 'email', recipients: ['giam.doc@danang.gov.vn'] };

async function auditEntries(action: string) {
  return (await ctx.audit.recent(1000)).filter((e) => e.action === action);
}

describe('notification routes', () => {
  it('are for admins only: operators and viewers get 403, anonymous callers 401, nothing reaches the service', async () => {
    for (const role of ['ioc-operator', 'viewer'] as const) {
      for (const [method, url, body] of [
        ['GET', `${BASE}/subscriptions`, undefined],
        ['POST', `${BASE}/subscriptions`, webhook],
        ['PATCH', `${BASE}/subscriptions/x`, { enabled: false }],
        ['DELETE', `${BASE}/subscriptions/x`, undefined],
        ['POST', `${BASE}/subscriptions/x/test`, undefined],
        ['GET', `${BASE}/deliveries`, undefined],
      ] as const) {
        const response = await call(method, url, body, role);
        expect(response.statusCode, `${role} ${method} ${url}`).toBe(403);
        expect(response.json()).toMatchObject({ code: 'FORBIDDEN' });
      }
    }
    expect((await call('GET', `${BASE}/subscriptions`, undefined, null)).statusCode).toBe(401);
    expect(notifications.calls).toEqual([]);
    expect(notifications.deliveryQueries).toEqual([]);
  });

  it('creates a webhook subscription: the secret is in the answer once, never in reads or the audit log', async () => {
    const created = await call('POST', `${BASE}/subscriptions`, {
      ...webhook,
      secret: 'a-secret-of-at-least-16',
      minSeverity: 'major',
      sectors: ['environment'],
      unit: '20242',
      changes: ['raised', 'cleared'],
    });
    expect(created.statusCode).toBe(201);
    const { subscription, secret } = created.json();
    expect(secret).toBe('a-secret-of-at-least-16');
    expect(subscription).toMatchObject({
      name: 'Trực ban',
      url: 'https://hooks.example.vn/ioc',
      minSeverity: 'major',
      unit: '20242',
      createdBy: 'token:admin',
    });
    expect(subscription).not.toHaveProperty('secret');

    const one = await call('GET', `${BASE}/subscriptions/${subscription.id}`);
    expect(one.statusCode).toBe(200);
    expect(one.json().subscription).toMatchObject({ id: subscription.id });
    expect(one.body).not.toContain('a-secret-of-at-least-16');
    const list = await call('GET', `${BASE}/subscriptions`);
    expect(list.json().subscriptions).toHaveLength(1);
    expect(list.body).not.toContain('a-secret-of-at-least-16');

    const [entry] = await auditEntries('notification.subscription.create');
    expect(entry).toMatchObject({
      actor: 'token:admin',
      target: `notification-subscription:${subscription.id}`,
      details: { name: 'Trực ban', channel: 'webhook', host: 'hooks.example.vn' },
    });
    expect(JSON.stringify(await ctx.audit.recent(1000))).not.toContain('a-secret-of-at-least-16');
  });

  it.each([
    ['a URL that is not one', { ...webhook, url: 'hooks.example.vn/ioc' }, 'INVALID_URL'],
    ['a non-http URL', { ...webhook, url: 'ftp://hooks.example.vn/ioc' }, 'INVALID_URL'],
    ['a webhook without URL', { name: 'x', channel: 'webhook' }, 'INVALID_URL'],
    ['an unknown unit', { ...webhook, unit: '99999' }, 'UNKNOWN_UNIT'],
    ['an unknown sector', { ...webhook, sectors: ['weather'] }, 'UNKNOWN_SECTOR'],
    ['e-mail without recipients', { ...email, recipients: [] }, 'NO_RECIPIENTS'],
    ['e-mail with no recipients field', { name: 'x', channel: 'email' }, 'NO_RECIPIENTS'],
    ['a malformed address', { ...email, recipients: ['giam doc'] }, 'INVALID_RECIPIENT'],
    ['recipients on a webhook', { ...webhook, recipients: ['a@b.vn'] }, 'FIELD_NOT_FOR_CHANNEL'],
    ['a URL on e-mail', { ...email, url: 'https://x.vn' }, 'FIELD_NOT_FOR_CHANNEL'],
    ['an unknown channel', { ...webhook, channel: 'sms' }, 'INVALID_REQUEST'],
    ['re-triggers as a change kind', { ...webhook, changes: ['retriggered'] }, 'INVALID_REQUEST'],
    ['an unknown severity', { ...webhook, minSeverity: 'urgent' }, 'INVALID_REQUEST'],
    ['a short secret', { ...webhook, secret: 'short' }, 'INVALID_REQUEST'],
    ['no name', { channel: 'webhook', url: 'https://x.vn' }, 'INVALID_REQUEST'],
  ])('refuses %s (%s) and creates nothing', async (_what, body, code) => {
    const response = await call('POST', `${BASE}/subscriptions`, body);
    expect(response.statusCode).toBe(400);
    expect(response.json().code).toBe(code);
    expect(response.json().message.length).toBeGreaterThan(10);
    expect(notifications.calls).toEqual([]);
  });

  it('drops unknown fields before they reach the service (Fastify strips them)', async () => {
    const response = await call('POST', `${BASE}/subscriptions`, { ...webhook, phone: '0905' });
    expect(response.statusCode).toBe(201);
    expect(notifications.inputs).toEqual([webhook]);
  });

  it("passes the service's own refusals through with their code", async () => {
    notifications.createSubscription = async () => {
      throw new ApiError(409, 'SMTP_NOT_CONFIGURED', 'set notifications.smtp.host');
    };
    const response = await call('POST', `${BASE}/subscriptions`, email);
    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({ code: 'SMTP_NOT_CONFIGURED' });
  });

  it('changes a subscription with the rules of its channel; a new secret is audited without its value', async () => {
    const { subscription } = (await call('POST', `${BASE}/subscriptions`, webhook)).json();
    const patched = await call('PATCH', `${BASE}/subscriptions/${subscription.id}`, {
      enabled: false,
      secret: 'another-secret-16-chars',
      unit: '48',
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json().subscription).toMatchObject({ enabled: false, unit: '48' });
    expect(patched.body).not.toContain('another-secret');
    const [entry] = await auditEntries('notification.subscription.update');
    expect(entry?.details).toEqual({ changed: ['enabled', 'unit'], secretReplaced: true });

    expect(
      (
        await call('PATCH', `${BASE}/subscriptions/${subscription.id}`, { recipients: ['a@b.vn'] })
      ).json().code,
    ).toBe('FIELD_NOT_FOR_CHANNEL');
    expect(
      (await call('PATCH', `${BASE}/subscriptions/${subscription.id}`, { url: 'not a url' })).json()
        .code,
    ).toBe('INVALID_URL');
    expect((await call('PATCH', `${BASE}/subscriptions/${subscription.id}`, {})).statusCode).toBe(
      400,
    );
    const missing = await call('PATCH', `${BASE}/subscriptions/${randomUUID()}`, { enabled: true });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('SUBSCRIPTION_NOT_FOUND');

    const mail = (await call('POST', `${BASE}/subscriptions`, email)).json().subscription;
    expect(
      (await call('PATCH', `${BASE}/subscriptions/${mail.id}`, { recipients: [] })).json().code,
    ).toBe('NO_RECIPIENTS');
    expect(notifications.calls.filter((c) => c.startsWith('update:'))).toEqual([
      `update:${subscription.id}`,
    ]);
  });

  it('sends a test notification and audits its outcome', async () => {
    const { subscription } = (await call('POST', `${BASE}/subscriptions`, webhook)).json();
    const response = await call('POST', `${BASE}/subscriptions/${subscription.id}/test`);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      result: { deliveryId: 'd-test', delivered: false, status: 503, error: 'HTTP 503', ms: 12 },
    });
    expect(notifications.calls).toContain(`test:${subscription.id}:token:admin`);
    const [entry] = await auditEntries('notification.subscription.test');
    expect(entry).toMatchObject({
      target: `notification-subscription:${subscription.id}`,
      details: { delivered: false, status: 503, error: 'HTTP 503' },
    });
    expect((await call('POST', `${BASE}/subscriptions/${randomUUID()}/test`)).statusCode).toBe(404);
  });

  it('lists deliveries filtered by status and subscription', async () => {
    const response = await call('GET', `${BASE}/deliveries?status=failed&subscription=s-1&limit=5`);
    expect(response.statusCode).toBe(200);
    expect(response.json().deliveries[0]).toMatchObject({
      id: 'd-1',
      status: 'failed',
      attempts: 6,
    });
    expect(notifications.deliveryQueries).toEqual([
      { status: 'failed', subscriptionId: 's-1', limit: 5 },
    ]);
    const bad = await call('GET', `${BASE}/deliveries?status=lost`);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('INVALID_REQUEST');
    expect(notifications.deliveryQueries).toHaveLength(1);
  });

  it('deletes a subscription (audited); a second delete is 404', async () => {
    const { subscription } = (await call('POST', `${BASE}/subscriptions`, webhook)).json();
    const deleted = await call('DELETE', `${BASE}/subscriptions/${subscription.id}`);
    expect(deleted.statusCode).toBe(204);
    expect(notifications.subscriptions.size).toBe(0);
    expect((await auditEntries('notification.subscription.delete')).at(0)?.target).toBe(
      `notification-subscription:${subscription.id}`,
    );
    expect((await call('DELETE', `${BASE}/subscriptions/${subscription.id}`)).statusCode).toBe(404);
    expect((await call('GET', `${BASE}/subscriptions/${subscription.id}`)).statusCode).toBe(404);
  });

  it('answers 503 when ingest does not run in this process', async () => {
    ctx.notifications = undefined;
    const response = await call('GET', `${BASE}/subscriptions`);
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ code: 'INGEST_UNAVAILABLE' });
  });
});
