import { randomUUID } from 'node:crypto';
import { type AdminUnitTree, loadUnitTree, type SqlStore, sqlTestBackends } from '@ioc/core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DeliveryLog } from './delivery-log.js';
import { validateNewSubscription, validatePatch } from './subscription-input.js';
import { SubscriptionStore } from './subscription-store.js';
import type { NotificationSubscriptionInput } from './types.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

// The subscription and delivery tables on both stores the IOC supports.
const { backends, cleanup } = sqlTestBackends('notifications', inject('postgresUrl'));
afterAll(cleanup);

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
let units: AdminUnitTree;
beforeAll(async () => {
  units = await loadUnitTree('da-nang-2025');
});

let serial = 0;
const uniqueName = (base: string) => `${base} ${++serial}`;

describe.each(backends)('notification subscriptions and deliveries on $kind', (backend) => {
  let sql: SqlStore;
  let store: SubscriptionStore;
  let log: DeliveryLog;
  beforeAll(async () => {
    sql = await backend.open();
    store = new SubscriptionStore(sql);
    log = new DeliveryLog(sql);
  });
  afterAll(async () => {
    await sql?.close();
    await backend.drop();
  });

  const context = () => ({ units, emailEnabled: true });
  const create = (input: Partial<NotificationSubscriptionInput> = {}) =>
    store.create(
      validateNewSubscription(
        {
          name: uniqueName('Trực ban'),
          channel: 'webhook',
          url: 'https://hooks.example.vn/ioc',
          ...input,
        },
        context(),
      ).fields,
      'user:admin',
    );

  it('stores a webhook subscription with its secret and defaults, and reads it back', async () => {
    const created = await create({
      name: uniqueName('Sở TN&MT'),
      sectors: ['environment'],
      unit: '20242',
    });
    expect(created).toMatchObject({
      channel: 'webhook',
      url: 'https://hooks.example.vn/ioc',
      recipients: [],
      minSeverity: 'info',
      sectors: ['environment'],
      unit: '20242',
      changes: ['raised', 'escalated', 'resolved', 'cleared'],
      enabled: true,
      createdBy: 'user:admin',
    });
    expect(created.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(created.createdAt).toMatch(ISO);
    expect(await store.get(created.id)).toEqual(created);
    expect((await store.list()).map((s) => s.id)).toContain(created.id);
  });

  it('stores an e-mail subscription with its recipients and no secret', async () => {
    const created = await store.create(
      validateNewSubscription(
        {
          name: uniqueName('Lãnh đạo'),
          channel: 'email',
          recipients: ['lanh.dao@danang.gov.vn', 'truc.ban@danang.gov.vn'],
          minSeverity: 'critical',
          changes: ['raised'],
        },
        context(),
      ).fields,
      null,
    );
    expect(created).toMatchObject({
      channel: 'email',
      url: null,
      secret: null,
      recipients: ['lanh.dao@danang.gov.vn', 'truc.ban@danang.gov.vn'],
      minSeverity: 'critical',
      changes: ['raised'],
    });
  });

  it('refuses a second subscription with the same name (409), on create and on rename', async () => {
    const first = await create();
    const second = await create();
    await expect(create({ name: first.name })).rejects.toMatchObject({
      statusCode: 409,
      code: 'SUBSCRIPTION_NAME_TAKEN',
    });
    const rename = validatePatch(second, { name: first.name }, context());
    await expect(store.update(second.id, rename)).rejects.toMatchObject({
      statusCode: 409,
      code: 'SUBSCRIPTION_NAME_TAKEN',
    });
    expect((await store.get(second.id))?.name).toBe(second.name);
  });

  it('updates filters and the secret; an unknown id updates nothing', async () => {
    const created = await create();
    const fields = validatePatch(
      created,
      {
        minSeverity: 'major',
        sectors: ['transport'],
        unit: '48',
        enabled: false,
        secret: 'n'.repeat(20),
      },
      context(),
    );
    const updated = await store.update(created.id, fields);
    expect(updated).toMatchObject({
      minSeverity: 'major',
      sectors: ['transport'],
      unit: '48',
      enabled: false,
      secret: 'n'.repeat(20),
      url: created.url,
    });
    expect(await store.update(randomUUID(), fields)).toBeUndefined();
  });

  it('records deliveries and their attempts, lists them by status, resumes the pending', async () => {
    const subscription = await create();
    const at = new Date('2026-03-05T01:30:00Z');
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    await log.insert([
      {
        id: a,
        subscriptionId: subscription.id,
        alertId: 'al-1',
        change: 'raised',
        body: '{"a":1}',
        status: 'pending',
        at,
      },
      {
        id: b,
        subscriptionId: subscription.id,
        alertId: 'al-2',
        change: 'raised',
        body: '{"b":2}',
        status: 'pending',
        at,
      },
      {
        id: c,
        subscriptionId: subscription.id,
        alertId: 'al-3',
        change: 'cleared',
        body: '{}',
        status: 'dropped',
        lastError: 'queue full',
        at,
      },
    ]);
    const retryAt = new Date(at.getTime() + 20_000);
    await log.update(a, {
      status: 'pending',
      attempts: 1,
      lastStatus: 500,
      lastError: 'HTTP 500',
      lastAttemptAt: at,
      nextAttemptAt: retryAt,
      finishedAt: null,
    });
    await log.update(b, {
      status: 'delivered',
      attempts: 1,
      lastStatus: 204,
      lastError: null,
      lastAttemptAt: at,
      nextAttemptAt: null,
      finishedAt: at,
    });

    const pending = (await log.pending()).filter((p) => p.subscriptionId === subscription.id);
    expect(pending).toEqual([
      {
        id: a,
        subscriptionId: subscription.id,
        alertId: 'al-1',
        change: 'raised',
        body: '{"a":1}',
        attempts: 1,
        createdAt: at,
        nextAttemptAt: retryAt,
      },
    ]);
    expect(await log.get(b)).toMatchObject({
      status: 'delivered',
      lastStatus: 204,
      finishedAt: at.toISOString(),
    });
    expect(await log.get(c)).toMatchObject({
      status: 'dropped',
      lastError: 'queue full',
      attempts: 0,
      finishedAt: at.toISOString(),
    });
    const dropped = await log.list({ status: 'dropped', subscriptionId: subscription.id });
    expect(dropped.map((d) => d.id)).toEqual([c]);
    expect((await log.list({ subscriptionId: subscription.id, limit: 2 })).length).toBe(2);

    expect(await log.cancelPending(subscription.id, 'disabled')).toBe(1);
    expect(await log.get(a)).toMatchObject({
      status: 'cancelled',
      lastError: 'disabled',
      nextAttemptAt: null,
    });
  });

  it('prunes only finished deliveries older than the cut-off', async () => {
    const subscription = await create();
    const old = new Date('2025-01-01T00:00:00Z');
    const ids = [randomUUID(), randomUUID()];
    await log.insert([
      {
        id: ids[0] as string,
        subscriptionId: subscription.id,
        alertId: 'x',
        change: 'raised',
        body: '{}',
        status: 'dropped',
        at: old,
      },
      {
        id: ids[1] as string,
        subscriptionId: subscription.id,
        alertId: 'y',
        change: 'raised',
        body: '{}',
        status: 'pending',
        at: old,
      },
    ]);
    expect(await log.prune(new Date('2025-06-01T00:00:00Z'))).toBeGreaterThanOrEqual(1);
    expect(await log.get(ids[0] as string)).toBeUndefined();
    expect(await log.get(ids[1] as string)).toMatchObject({ status: 'pending' });
  });

  it('deletes a subscription with its deliveries; deleting again finds nothing', async () => {
    const subscription = await create();
    const id = randomUUID();
    await log.insert([
      {
        id,
        subscriptionId: subscription.id,
        alertId: 'z',
        change: 'raised',
        body: '{}',
        status: 'pending',
        at: new Date(),
      },
    ]);
    expect(await store.remove(subscription.id)).toBe(true);
    expect(await store.get(subscription.id)).toBeUndefined();
    expect(await log.get(id)).toBeUndefined();
    expect(await store.remove(subscription.id)).toBe(false);
  });

  it('the table itself refuses a webhook without a URL (the schema backs the validation)', async () => {
    await expect(
      sql.query(
        `INSERT INTO notification_subscriptions (id, name, channel, changes) VALUES ($1, $2, 'webhook', '{raised}')`,
        [randomUUID(), uniqueName('no url')],
      ),
    ).rejects.toMatchObject({ code: '23514' });
  });
});
