import type { SqlExecutor } from '@ioc/core';
import type {
  NotificationDelivery,
  NotificationDeliveryQuery,
  NotificationDeliveryStatus,
  NotificationEvent,
} from './types.js';

/** A delivery as it is created: the body is the exact JSON every attempt sends. */
export interface NewDelivery {
  id: string;
  subscriptionId: string;
  alertId: string;
  change: NotificationEvent['change'];
  body: string;
  status: 'pending' | 'dropped';
  lastError?: string;
  at: Date;
}

/** What one attempt (or a decision not to try again) changes. */
export interface DeliveryUpdate {
  status: NotificationDeliveryStatus;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  lastAttemptAt: Date | null;
  nextAttemptAt: Date | null;
  /** When it reached a final status; null while pending. */
  finishedAt: Date | null;
}

/** A pending delivery read back after a restart. */
export interface PendingDelivery {
  id: string;
  subscriptionId: string;
  alertId: string;
  change: NotificationEvent['change'];
  body: string;
  attempts: number;
  createdAt: Date;
  nextAttemptAt: Date | null;
}

interface DeliveryRow {
  id: string;
  subscription_id: string;
  alert_id: string;
  change: NotificationEvent['change'];
  body: string;
  status: NotificationDeliveryStatus;
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  created_at: Date;
  last_attempt_at: Date | null;
  next_attempt_at: Date | null;
  finished_at: Date | null;
}

const COLUMNS = 8;
const FINISHED: readonly NotificationDeliveryStatus[] = [
  'delivered',
  'failed',
  'dropped',
  'cancelled',
];

/** Table `notification_deliveries`: every notification with its attempts and outcome. */
export class DeliveryLog {
  constructor(private readonly sql: SqlExecutor) {}

  /** Inserts deliveries in one statement. */
  async insert(deliveries: NewDelivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    const params: unknown[] = [];
    const rows = deliveries.map((d, i) => {
      const finished = d.status === 'dropped' ? d.at : null;
      params.push(
        d.id,
        d.subscriptionId,
        d.alertId,
        d.change,
        d.body,
        d.status,
        d.lastError ?? null,
        d.at,
      );
      const $ = (n: number) => `$${i * COLUMNS + n}`;
      return `(${$(1)}, ${$(2)}, ${$(3)}, ${$(4)}, ${$(5)}, ${$(6)}, ${$(7)}, ${$(8)}, ${d.status === 'pending' ? $(8) : 'NULL'}, ${finished ? $(8) : 'NULL'})`;
    });
    await this.sql.query(
      `INSERT INTO notification_deliveries (id, subscription_id, alert_id, change, body, status,
         last_error, created_at, next_attempt_at, finished_at) VALUES ${rows.join(', ')}`,
      params,
    );
  }

  async update(id: string, update: DeliveryUpdate): Promise<void> {
    await this.sql.query(
      `UPDATE notification_deliveries SET status = $2, attempts = $3, last_status = $4,
         last_error = $5, last_attempt_at = COALESCE($6, last_attempt_at), next_attempt_at = $7,
         finished_at = $8
       WHERE id = $1`,
      [
        id,
        update.status,
        update.attempts,
        update.lastStatus,
        update.lastError,
        update.lastAttemptAt,
        update.nextAttemptAt,
        update.finishedAt,
      ],
    );
  }

  /** Every pending delivery, oldest first (resumed after a restart). */
  async pending(): Promise<PendingDelivery[]> {
    const { rows } = await this.sql.query<DeliveryRow>(
      `SELECT * FROM notification_deliveries WHERE status = 'pending' ORDER BY created_at, id`,
    );
    return rows.map((row) => ({
      id: row.id,
      subscriptionId: row.subscription_id,
      alertId: row.alert_id,
      change: row.change,
      body: row.body,
      attempts: row.attempts,
      createdAt: new Date(row.created_at),
      nextAttemptAt: row.next_attempt_at && new Date(row.next_attempt_at),
    }));
  }

  /** Marks a subscription's pending deliveries cancelled (disabled or its channel changed). */
  async cancelPending(subscriptionId: string, reason: string): Promise<number> {
    const { rowCount } = await this.sql.query(
      `UPDATE notification_deliveries SET status = 'cancelled', last_error = $2,
         next_attempt_at = NULL, finished_at = now()
       WHERE subscription_id = $1 AND status = 'pending'`,
      [subscriptionId, reason],
    );
    return rowCount;
  }

  async get(id: string): Promise<NotificationDelivery | undefined> {
    const { rows } = await this.sql.query<DeliveryRow>(
      'SELECT * FROM notification_deliveries WHERE id = $1',
      [id],
    );
    return rows[0] && toRecord(rows[0]);
  }

  /** Newest first. */
  async list(query: NotificationDeliveryQuery = {}): Promise<NotificationDelivery[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.status) {
      params.push(query.status);
      where.push(`status = $${params.length}`);
    }
    if (query.subscriptionId) {
      params.push(query.subscriptionId);
      where.push(`subscription_id = $${params.length}`);
    }
    params.push(query.limit ?? 100);
    const { rows } = await this.sql.query<DeliveryRow>(
      `SELECT * FROM notification_deliveries ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map(toRecord);
  }

  /** Deletes finished deliveries created before `before`; returns how many. */
  async prune(before: Date): Promise<number> {
    const { rowCount } = await this.sql.query(
      'DELETE FROM notification_deliveries WHERE status = ANY($1::text[]) AND created_at < $2',
      [FINISHED, before],
    );
    return rowCount;
  }
}

function toRecord(row: DeliveryRow): NotificationDelivery {
  const iso = (value: Date | null) => (value ? new Date(value).toISOString() : null);
  return {
    id: row.id,
    subscriptionId: row.subscription_id,
    alertId: row.alert_id,
    change: row.change,
    status: row.status,
    attempts: row.attempts,
    lastStatus: row.last_status,
    lastError: row.last_error,
    createdAt: new Date(row.created_at).toISOString(),
    lastAttemptAt: iso(row.last_attempt_at),
    nextAttemptAt: iso(row.next_attempt_at),
    finishedAt: iso(row.finished_at),
  };
}
