import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  type AdminUnitTree,
  type AlertSnapshot,
  ApiError,
  errorMessage,
  type LiveBus,
  type LiveEvents,
  type Logger,
  type SqlStore,
} from '@ioc/core';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { type Clock, type ClockTimer, systemClock } from '../clock.js';
import { DeliveryLane, type QueuedDelivery } from './delivery-lane.js';
import { DeliveryLog, type DeliveryUpdate } from './delivery-log.js';
import { composeAlertEmail } from './email-message.js';
import { EmailSender, type SmtpSettings } from './email-sender.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy, retryDelay } from './retry-policy.js';
import { isNotifiable, wantsNotification } from './subscription-filter.js';
import {
  type SubscriptionFields,
  type ValidationContext,
  validateNewSubscription,
  validatePatch,
} from './subscription-input.js';
import { SubscriptionStore } from './subscription-store.js';
import type {
  AttemptResult,
  NotificationDelivery,
  NotificationDeliveryQuery,
  NotificationDeliveryStatus,
  NotificationEvent,
  NotificationSubscription,
  NotificationSubscriptionInput,
  NotificationSubscriptionPatch,
  StoredSubscription,
  TestNotificationResult,
} from './types.js';
import { postWebhook } from './webhook-sender.js';

export interface NotificationServiceOptions {
  sql: SqlStore;
  bus: LiveBus;
  units: AdminUnitTree;
  logger: Logger;
  metrics?: Registry;
  /** E-mail goes out only when `smtp.host` is set. */
  smtp?: SmtpSettings;
  retry?: Partial<RetryPolicy>;
  /** Time and retry timers; tests move it by hand. */
  clock?: Clock;
  /** Jitter source in [0, 1); Math.random by default. */
  random?: () => number;
  /** One webhook exchange, in ms; default 10 s. */
  webhookTimeoutMs?: number;
  /** Deliveries one subscription may have pending; more are dropped. Default 500. */
  maxPendingPerSubscription?: number;
  /** A delivery still pending this long after its alert change is given up; default 24 h. */
  maxDeliveryAgeMs?: number;
  /** Finished deliveries are deleted after this; default 30 days. */
  retentionMs?: number;
}

/** Events for observers (tests, the wall): each delivery's progress. */
export interface NotificationServiceEvents {
  queued: [delivery: { id: string; subscriptionId: string; alertId: string; change: string }];
  attempt: [
    attempt: {
      deliveryId: string;
      subscriptionId: string;
      attempt: number;
      result: AttemptResult;
      /** Set when another attempt is scheduled. */
      retryInMs?: number;
    },
  ];
  finished: [
    delivery: {
      deliveryId: string;
      subscriptionId: string;
      status: Exclude<NotificationDeliveryStatus, 'pending'>;
      attempts: number;
      error: string | null;
    },
  ];
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** Alert changes waiting to be turned into deliveries (SQL slow or down); more are dropped. */
const MAX_INTAKE_BACKLOG = 10_000;
/** At most one "dropped" warning per subscription this often; the metric counts every drop. */
const DROP_LOG_INTERVAL_MS = 60_000;
const METRIC_NAMES = [
  'ioc_notifications_deliveries_total',
  'ioc_notifications_attempts_total',
  'ioc_notifications_dropped_total',
  'ioc_notifications_pending',
  'ioc_notifications_attempt_seconds',
];

/**
 * Alert notifications. Follows `alert.changed` on the live bus, picks the subscriptions
 * whose filters match (severity, sector, unit subtree, change kind; never re-triggers nor
 * storm children), records one delivery per subscription in SQL and hands it over: webhooks
 * POSTed with an HMAC signature, e-mails through SMTP. Failed attempts worth retrying are
 * retried with exponential backoff and jitter; pending deliveries survive a restart. Each
 * subscription has its own bounded lane, so a dead endpoint never delays the others nor
 * the rule engine (publishing on the bus never waits for any of this).
 */
export class NotificationService extends EventEmitter<NotificationServiceEvents> {
  readonly #bus: LiveBus;
  readonly #units: AdminUnitTree;
  readonly #logger: Logger;
  readonly #metrics: Registry | undefined;
  readonly #store: SubscriptionStore;
  readonly #log: DeliveryLog;
  readonly #email: EmailSender | undefined;
  readonly #policy: RetryPolicy;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #webhookTimeoutMs: number;
  readonly #maxPending: number;
  readonly #maxDeliveryAgeMs: number;
  readonly #retentionMs: number;
  readonly #subscriptions = new Map<string, StoredSubscription>();
  readonly #lanes = new Map<string, DeliveryLane>();
  readonly #dropLog = new Map<string, { at: number; count: number }>();
  readonly #abort = new AbortController();
  #intake: Promise<void> = Promise.resolve();
  #intakeBacklog = 0;
  #unsubscribe: (() => void) | undefined;
  #pruneTimer: ClockTimer | undefined;
  #stopping = false;
  readonly #deliveries: Counter<'channel' | 'outcome'>;
  readonly #attempts: Counter<'channel' | 'result'>;
  readonly #dropped: Counter<'reason'>;
  readonly #attemptSeconds: Histogram<'channel'>;

  private constructor(options: NotificationServiceOptions) {
    super();
    this.#bus = options.bus;
    this.#units = options.units;
    this.#logger = options.logger.child({ component: 'notifications' });
    this.#metrics = options.metrics;
    this.#store = new SubscriptionStore(options.sql);
    this.#log = new DeliveryLog(options.sql);
    this.#email = options.smtp?.host ? new EmailSender({ smtp: options.smtp }) : undefined;
    this.#policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#webhookTimeoutMs = options.webhookTimeoutMs ?? 10_000;
    this.#maxPending = options.maxPendingPerSubscription ?? 500;
    this.#maxDeliveryAgeMs = options.maxDeliveryAgeMs ?? DAY_MS;
    this.#retentionMs = options.retentionMs ?? 30 * DAY_MS;

    const registers = this.#metrics ? [this.#metrics] : [];
    this.#deliveries = new Counter({
      name: 'ioc_notifications_deliveries_total',
      help: 'Notifications finished, by channel and outcome (delivered, failed, cancelled)',
      labelNames: ['channel', 'outcome'],
      registers,
    });
    this.#attempts = new Counter({
      name: 'ioc_notifications_attempts_total',
      help: 'Delivery attempts, by channel and result (ok, retry, failed)',
      labelNames: ['channel', 'result'],
      registers,
    });
    this.#dropped = new Counter({
      name: 'ioc_notifications_dropped_total',
      help: 'Notifications dropped before any attempt: a subscription queue or the intake was full',
      labelNames: ['reason'],
      registers,
    });
    this.#attemptSeconds = new Histogram({
      name: 'ioc_notifications_attempt_seconds',
      help: 'Duration of one delivery attempt',
      labelNames: ['channel'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    const lanes = this.#lanes;
    new Gauge({
      name: 'ioc_notifications_pending',
      help: 'Deliveries queued, in flight or waiting for a retry',
      registers,
      collect() {
        let pending = 0;
        for (const lane of lanes.values()) pending += lane.size;
        this.set(pending);
      },
    });
  }

  /**
   * Loads the subscriptions, resumes the deliveries a previous run left pending and starts
   * following `alert.changed`.
   */
  static async start(options: NotificationServiceOptions): Promise<NotificationService> {
    const service = new NotificationService(options);
    try {
      await service.#reload();
      service.#intake = service.#resume();
      service.#unsubscribe = service.#bus.subscribe('alert.changed', (event) =>
        service.#onAlertChanged(event),
      );
      service.#schedulePrune(0);
      await service.#intake;
      service.#logger.info(
        {
          subscriptions: service.#subscriptions.size,
          email: options.smtp?.host ? `${options.smtp.host}:${options.smtp.port}` : 'off',
        },
        'notifications ready',
      );
    } catch (err) {
      await service.stop();
      throw err;
    }
    return service;
  }

  /** Whether e-mail subscriptions can be delivered (an SMTP server is configured). */
  get emailEnabled(): boolean {
    return this.#email !== undefined;
  }

  // ---- Subscriptions (the admin API) ----

  async listSubscriptions(): Promise<NotificationSubscription[]> {
    return (await this.#store.list()).map(publicView);
  }

  async getSubscription(id: string): Promise<NotificationSubscription | undefined> {
    const stored = await this.#store.get(id);
    return stored && publicView(stored);
  }

  /**
   * Validates and stores a subscription. A webhook's signing secret is in this answer only
   * (generated when the input has none).
   */
  async createSubscription(
    input: NotificationSubscriptionInput,
    createdBy: string | null,
  ): Promise<{ subscription: NotificationSubscription; secret?: string }> {
    const { fields } = validateNewSubscription(input, this.#validation());
    const stored = await this.#store.create(fields, createdBy);
    this.#subscriptions.set(stored.id, stored);
    this.#logger.info(
      { subscription: stored.id, name: stored.name, channel: stored.channel },
      'notification subscription created',
    );
    return {
      subscription: publicView(stored),
      ...(stored.secret ? { secret: stored.secret } : {}),
    };
  }

  /** Throws ApiError 404 SUBSCRIPTION_NOT_FOUND. Disabling cancels what is pending. */
  async updateSubscription(
    id: string,
    patch: NotificationSubscriptionPatch,
  ): Promise<NotificationSubscription> {
    const current = await this.#requireStored(id);
    const fields: SubscriptionFields = validatePatch(current, patch, this.#validation());
    const stored = await this.#store.update(id, fields);
    if (!stored) throw notFound(id);
    this.#subscriptions.set(id, stored);
    if (!stored.enabled) await this.#cancelLane(id, 'the subscription was disabled');
    return publicView(stored);
  }

  /** Throws ApiError 404 SUBSCRIPTION_NOT_FOUND. Its pending deliveries and history go too. */
  async deleteSubscription(id: string): Promise<void> {
    this.#subscriptions.delete(id);
    const lane = this.#lanes.get(id);
    this.#lanes.delete(id);
    lane?.cancel();
    if (!(await this.#store.remove(id))) throw notFound(id);
    await lane?.close();
  }

  /**
   * Sends a test notification now (one attempt, no retries; also when the subscription is
   * disabled) and reports what the receiver answered. Recorded in the delivery log.
   */
  async sendTest(id: string, actor: string | null): Promise<TestNotificationResult> {
    const subscription = await this.#requireStored(id);
    const now = new Date(this.#clock.now());
    const event: NotificationEvent = {
      change: 'test',
      alert: testAlert(subscription, now),
      actor,
      at: now.toISOString(),
    };
    const delivery = this.#newDelivery(subscription.id, event, JSON.stringify(event), now);
    await this.#log.insert([{ ...delivery, status: 'pending', at: now }]);
    const started = performance.now();
    const result = await this.#send(subscription, delivery, 1);
    const ms = Math.round(performance.now() - started);
    delivery.attempts = 1;
    await this.#record(delivery, subscription.channel, result, undefined);
    return {
      deliveryId: delivery.id,
      delivered: result.ok,
      status: result.status,
      error: result.ok ? null : result.error,
      ms,
    };
  }

  /**
   * Resolves once every alert change published so far has become deliveries and no attempt
   * is running or ready to run (retries waiting for their time do not count).
   */
  async settled(): Promise<void> {
    for (;;) {
      const intake = this.#intake;
      await intake;
      await Promise.all([...this.#lanes.values()].map((lane) => lane.drained()));
      if (intake === this.#intake) return;
    }
  }

  async listDeliveries(query: NotificationDeliveryQuery = {}): Promise<NotificationDelivery[]> {
    return this.#log.list(query);
  }

  /**
   * Stops following the bus and retrying. What is still pending stays pending in SQL and
   * is resumed by the next start; an attempt cut short by the stop does not count.
   */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#unsubscribe?.();
    this.#pruneTimer?.cancel();
    await this.#intake.catch(() => {}); // a failed start has reported its error already
    this.#abort.abort();
    this.#email?.close();
    await Promise.all([...this.#lanes.values()].map((lane) => lane.close()));
    this.#lanes.clear();
    for (const name of METRIC_NAMES) this.#metrics?.removeSingleMetric(name);
  }

  // ---- From the bus to deliveries ----

  #onAlertChanged(event: LiveEvents['alert.changed']): void {
    if (this.#stopping || !isNotifiable(event)) return;
    const targets = [...this.#subscriptions.values()].filter((s) =>
      wantsNotification(s, event, this.#units),
    );
    if (targets.length === 0) return;
    if (this.#intakeBacklog >= MAX_INTAKE_BACKLOG) {
      this.#dropped.inc({ reason: 'intake_full' }, targets.length);
      this.#logger.warn(
        { alert: event.alert.id, change: event.change, subscriptions: targets.length },
        'notification intake is full (SQL too slow?); dropping this alert change',
      );
      return;
    }
    this.#intakeBacklog++;
    // One at a time, so each subscription receives alert changes in the order they happened.
    this.#intake = this.#intake.then(async () => {
      try {
        await this.#enqueue(targets, event);
      } catch (err) {
        this.#logger.error(
          { err: errorMessage(err), alert: event.alert.id },
          'cannot queue notifications',
        );
      } finally {
        this.#intakeBacklog--;
      }
    });
  }

  async #enqueue(targets: StoredSubscription[], event: LiveEvents['alert.changed']): Promise<void> {
    const body = JSON.stringify({
      change: event.change,
      alert: event.alert,
      actor: event.actor,
      at: event.at,
    });
    const now = new Date(this.#clock.now());
    const admitted: Array<[DeliveryLane, QueuedDelivery]> = [];
    const rows = targets.map((subscription) => {
      const lane = this.#laneFor(subscription.id);
      const delivery = this.#newDelivery(subscription.id, event, body, now);
      if (!lane.full) {
        admitted.push([lane, delivery]);
        return { ...delivery, status: 'pending' as const, at: now };
      }
      this.#noteDropped(subscription, delivery);
      return {
        ...delivery,
        status: 'dropped' as const,
        lastError: `dropped: ${this.#maxPending} deliveries of this subscription were already pending`,
        at: now,
      };
    });
    try {
      await this.#log.insert(rows);
    } catch (err) {
      // Tell people anyway; only the record of it is lost.
      this.#logger.error(
        { err: errorMessage(err), alert: event.alert.id },
        'cannot record notification deliveries; sending them unrecorded',
      );
      for (const [, delivery] of admitted) delivery.persisted = false;
    }
    for (const [lane, delivery] of admitted) {
      if (!lane.offer(delivery)) continue;
      this.emit('queued', {
        id: delivery.id,
        subscriptionId: delivery.subscriptionId,
        alertId: delivery.alertId,
        change: delivery.change,
      });
    }
  }

  async #resume(): Promise<void> {
    const pending = await this.#log.pending();
    const now = this.#clock.now();
    let resumed = 0;
    for (const row of pending) {
      const delivery: QueuedDelivery = {
        ...row,
        createdAt: row.createdAt.getTime(),
        persisted: true,
      };
      const subscription = this.#subscriptions.get(row.subscriptionId);
      const finish = (status: 'failed' | 'cancelled' | 'dropped', error: string) =>
        this.#finish(delivery, subscription?.channel ?? 'webhook', status, error);
      if (!subscription?.enabled) {
        await finish('cancelled', 'the subscription was disabled');
      } else if (now - delivery.createdAt > this.#maxDeliveryAgeMs) {
        await finish(
          'failed',
          `given up: still pending ${Math.round(this.#maxDeliveryAgeMs / 3_600_000)} h after the alert change`,
        );
      } else if (
        !this.#laneFor(subscription.id).offer(delivery, (row.nextAttemptAt?.getTime() ?? now) - now)
      ) {
        await finish(
          'dropped',
          `dropped on restart: ${this.#maxPending} deliveries of this subscription were already pending`,
        );
      } else {
        resumed++;
      }
    }
    if (pending.length > 0) {
      this.#logger.info(
        { pending: pending.length, resumed },
        'resumed pending notification deliveries',
      );
    }
  }

  // ---- Attempts ----

  /** One attempt of a queued delivery; the lane's worker. Never throws. */
  async #attempt(delivery: QueuedDelivery, retry: (delayMs: number) => void): Promise<void> {
    const subscription = this.#subscriptions.get(delivery.subscriptionId);
    try {
      if (!subscription?.enabled) {
        await this.#finish(
          delivery,
          subscription?.channel ?? 'webhook',
          'cancelled',
          'the subscription was disabled or deleted',
        );
        return;
      }
      const attempt = delivery.attempts + 1;
      const result = await this.#send(subscription, delivery, attempt);
      // Cut short by stop(): not an attempt; the next start sends it again.
      if (!result.ok && this.#abort.signal.aborted) return;
      delivery.attempts = attempt;
      const retryInMs =
        !result.ok && result.retryable && attempt < this.#policy.maxAttempts
          ? retryDelay(this.#policy, attempt, result.retryAfterMs, this.#random)
          : undefined;
      await this.#record(delivery, subscription.channel, result, retryInMs, () => {
        if (retryInMs !== undefined) retry(retryInMs);
      });
    } catch (err) {
      this.#logger.error(
        { err: errorMessage(err), delivery: delivery.id },
        'notification attempt failed unexpectedly',
      );
    }
  }

  async #send(
    subscription: StoredSubscription,
    delivery: QueuedDelivery,
    attempt: number,
  ): Promise<AttemptResult> {
    const timer = this.#attemptSeconds.startTimer({ channel: subscription.channel });
    try {
      if (subscription.channel === 'webhook') {
        return await postWebhook(
          {
            url: subscription.url as string,
            secret: subscription.secret as string,
            deliveryId: delivery.id,
            change: delivery.change,
            body: delivery.body,
            attempt,
          },
          {
            timeoutMs: this.#webhookTimeoutMs,
            signal: this.#abort.signal,
            now: () => this.#clock.now(),
          },
        );
      }
      if (!this.#email) {
        return {
          ok: false,
          retryable: false,
          status: null,
          error: 'no SMTP server is configured (notifications.smtp.host / IOC_SMTP_HOST)',
        };
      }
      const event = JSON.parse(delivery.body) as NotificationEvent;
      return await this.#email.send(
        subscription.recipients,
        composeAlertEmail(event, this.#units),
        delivery.id,
      );
    } finally {
      timer();
    }
  }

  /** Stores the outcome of an attempt, counts it, logs it and tells observers. */
  async #record(
    delivery: QueuedDelivery,
    channel: string,
    result: AttemptResult,
    retryInMs: number | undefined,
    beforeAnnouncing?: () => void,
  ): Promise<void> {
    const now = this.#clock.now();
    const status: NotificationDeliveryStatus = result.ok
      ? 'delivered'
      : retryInMs !== undefined
        ? 'pending'
        : 'failed';
    const error = result.ok ? null : result.error;
    this.#attempts.inc({
      channel,
      result: result.ok ? 'ok' : status === 'pending' ? 'retry' : 'failed',
    });
    const context = {
      delivery: delivery.id,
      subscription: delivery.subscriptionId,
      alert: delivery.alertId,
      attempt: delivery.attempts,
      status: result.status,
    };
    if (!result.ok) {
      if (status === 'pending')
        this.#logger.info(
          { ...context, err: error, retryInMs },
          'notification attempt failed; will retry',
        );
      else this.#logger.warn({ ...context, err: error }, 'notification failed for good');
    } else {
      this.#logger.debug(context, 'notification delivered');
    }
    await this.#update(delivery, {
      status,
      attempts: delivery.attempts,
      lastStatus: result.status,
      lastError: error,
      lastAttemptAt: new Date(now),
      nextAttemptAt: retryInMs === undefined ? null : new Date(now + retryInMs),
      finishedAt: status === 'pending' ? null : new Date(now),
    });
    beforeAnnouncing?.();
    this.emit('attempt', {
      deliveryId: delivery.id,
      subscriptionId: delivery.subscriptionId,
      attempt: delivery.attempts,
      result,
      ...(retryInMs === undefined ? {} : { retryInMs }),
    });
    if (status !== 'pending') this.#announceFinished(delivery, channel, status, error);
  }

  /** Ends a delivery without (another) attempt. */
  async #finish(
    delivery: QueuedDelivery,
    channel: string,
    status: 'failed' | 'cancelled' | 'dropped',
    error: string,
  ): Promise<void> {
    const now = new Date(this.#clock.now());
    await this.#update(delivery, {
      status,
      attempts: delivery.attempts,
      lastStatus: null,
      lastError: error,
      lastAttemptAt: null,
      nextAttemptAt: null,
      finishedAt: now,
    });
    if (status === 'dropped') this.#dropped.inc({ reason: 'queue_full' });
    this.#announceFinished(delivery, channel, status, error);
  }

  #announceFinished(
    delivery: QueuedDelivery,
    channel: string,
    status: Exclude<NotificationDeliveryStatus, 'pending'>,
    error: string | null,
  ): void {
    if (status !== 'dropped') this.#deliveries.inc({ channel, outcome: status });
    this.emit('finished', {
      deliveryId: delivery.id,
      subscriptionId: delivery.subscriptionId,
      status,
      attempts: delivery.attempts,
      error,
    });
  }

  async #update(delivery: QueuedDelivery, update: DeliveryUpdate): Promise<void> {
    if (!delivery.persisted) return;
    try {
      await this.#log.update(delivery.id, update);
    } catch (err) {
      this.#logger.warn(
        { err: errorMessage(err), delivery: delivery.id },
        'cannot record a notification attempt',
      );
    }
  }

  // ---- Helpers ----

  #laneFor(subscriptionId: string): DeliveryLane {
    let lane = this.#lanes.get(subscriptionId);
    if (!lane) {
      lane = new DeliveryLane({
        maxPending: this.#maxPending,
        clock: this.#clock,
        attempt: (delivery, retry) => this.#attempt(delivery, retry),
      });
      this.#lanes.set(subscriptionId, lane);
    }
    return lane;
  }

  async #cancelLane(subscriptionId: string, reason: string): Promise<void> {
    const cancelled = this.#lanes.get(subscriptionId)?.cancel() ?? [];
    const subscription = this.#subscriptions.get(subscriptionId);
    await this.#log.cancelPending(subscriptionId, reason);
    for (const delivery of cancelled) {
      this.#announceFinished(delivery, subscription?.channel ?? 'webhook', 'cancelled', reason);
    }
  }

  #noteDropped(subscription: StoredSubscription, delivery: QueuedDelivery): void {
    this.#dropped.inc({ reason: 'queue_full' });
    this.emit('finished', {
      deliveryId: delivery.id,
      subscriptionId: subscription.id,
      status: 'dropped',
      attempts: 0,
      error: 'queue full',
    });
    const now = this.#clock.now();
    const last = this.#dropLog.get(subscription.id) ?? { at: Number.NEGATIVE_INFINITY, count: 0 };
    last.count++;
    if (now - last.at >= DROP_LOG_INTERVAL_MS) {
      this.#logger.warn(
        {
          subscription: subscription.id,
          name: subscription.name,
          dropped: last.count,
          pending: this.#maxPending,
        },
        'notification queue of this subscription is full (endpoint slow or down?); dropping notifications',
      );
      last.at = now;
      last.count = 0;
    }
    this.#dropLog.set(subscription.id, last);
  }

  #newDelivery(
    subscriptionId: string,
    event: NotificationEvent,
    body: string,
    now: Date,
  ): QueuedDelivery {
    return {
      id: randomUUID(),
      subscriptionId,
      alertId: event.alert.id,
      change: event.change,
      body,
      attempts: 0,
      createdAt: now.getTime(),
      persisted: true,
    };
  }

  async #reload(): Promise<void> {
    const all = await this.#store.list();
    this.#subscriptions.clear();
    for (const subscription of all) this.#subscriptions.set(subscription.id, subscription);
  }

  #schedulePrune(delayMs: number): void {
    this.#pruneTimer = this.#clock.setTimer(() => {
      if (this.#stopping) return;
      const before = new Date(this.#clock.now() - this.#retentionMs);
      this.#log
        .prune(before)
        .then((deleted) => {
          if (deleted > 0) this.#logger.info({ deleted }, 'pruned old notification deliveries');
        })
        .catch((err) =>
          this.#logger.warn({ err: errorMessage(err) }, 'cannot prune notification deliveries'),
        )
        .finally(() => {
          if (!this.#stopping) this.#schedulePrune(DAY_MS);
        });
    }, delayMs);
  }

  async #requireStored(id: string): Promise<StoredSubscription> {
    const stored = await this.#store.get(id);
    if (!stored) throw notFound(id);
    return stored;
  }

  #validation(): ValidationContext {
    return { units: this.#units, emailEnabled: this.emailEnabled };
  }
}

function publicView(stored: StoredSubscription): NotificationSubscription {
  const { secret: _secret, ...view } = stored;
  return view;
}

function notFound(id: string): ApiError {
  return new ApiError(
    404,
    'SUBSCRIPTION_NOT_FOUND',
    `no notification subscription with id "${id}"`,
  );
}

/** A harmless alert for `sendTest`, placed where the subscription listens. */
function testAlert(subscription: StoredSubscription, now: Date): AlertSnapshot {
  const at = now.toISOString();
  return {
    id: `test-${randomUUID()}`,
    ruleId: 'test',
    source: 'test',
    severity: subscription.minSeverity,
    state: 'active',
    message: {
      vi: `Thông báo thử của đăng ký "${subscription.name}": kênh này hoạt động.`,
      en: `Test notification of subscription "${subscription.name}": this channel works.`,
    },
    deviceId: null,
    unit: subscription.unit,
    sector: subscription.sectors[0] ?? null,
    metric: null,
    value: null,
    count: 1,
    raisedAt: at,
    lastSeenAt: at,
    acknowledgedAt: null,
    acknowledgedBy: null,
    assignee: null,
    endedAt: null,
    endedBy: null,
    escalationLevel: 0,
    parentId: null,
  };
}
