import { randomUUID } from 'node:crypto';
import { type AlertSeverity, ApiError, type SqlExecutor } from '@ioc/core';
import type { SubscriptionFields } from './subscription-input.js';
import type { NotifiableChange, NotificationChannel, StoredSubscription } from './types.js';

interface SubscriptionRow {
  id: string;
  name: string;
  channel: NotificationChannel;
  webhook_url: string | null;
  webhook_secret: string | null;
  email_recipients: string[];
  min_severity: AlertSeverity;
  sectors: string[];
  unit_code: string | null;
  changes: NotifiableChange[];
  enabled: boolean;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
}

/** Table `notification_subscriptions`. Takes validated fields (see `subscription-input.ts`). */
export class SubscriptionStore {
  constructor(private readonly sql: SqlExecutor) {}

  /** Throws ApiError 409 SUBSCRIPTION_NAME_TAKEN when the name is in use. */
  async create(fields: SubscriptionFields, createdBy: string | null): Promise<StoredSubscription> {
    const { rows } = await this.sql.query<SubscriptionRow>(
      `INSERT INTO notification_subscriptions (id, name, channel, webhook_url, webhook_secret,
         email_recipients, min_severity, sectors, unit_code, changes, enabled, created_by)
       VALUES ($1, $2, $3, $4, $5, $6::text[], $7, $8::text[], $9, $10::text[], $11, $12)
       ON CONFLICT (name) DO NOTHING RETURNING *`,
      [randomUUID(), ...columnValues(fields), createdBy],
    );
    const row = rows[0];
    if (!row) throw nameTaken(fields.name);
    return toSubscription(row);
  }

  async get(id: string): Promise<StoredSubscription | undefined> {
    const { rows } = await this.sql.query<SubscriptionRow>(
      'SELECT * FROM notification_subscriptions WHERE id = $1',
      [id],
    );
    return rows[0] && toSubscription(rows[0]);
  }

  /** Every subscription, by name. */
  async list(): Promise<StoredSubscription[]> {
    const { rows } = await this.sql.query<SubscriptionRow>(
      'SELECT * FROM notification_subscriptions ORDER BY name',
    );
    return rows.map(toSubscription);
  }

  /** Undefined when no subscription has that id. */
  async update(id: string, fields: SubscriptionFields): Promise<StoredSubscription | undefined> {
    try {
      const { rows } = await this.sql.query<SubscriptionRow>(
        `UPDATE notification_subscriptions SET name = $2, webhook_url = $4, webhook_secret = $5,
           email_recipients = $6::text[], min_severity = $7, sectors = $8::text[], unit_code = $9,
           changes = $10::text[], enabled = $11, updated_at = now()
         WHERE id = $1 AND channel = $3 RETURNING *`,
        [id, ...columnValues(fields)],
      );
      return rows[0] && toSubscription(rows[0]);
    } catch (err) {
      if ((err as { code?: string }).code === '23505') throw nameTaken(fields.name);
      throw err;
    }
  }

  /** False when no subscription has that id. Its deliveries go with it. */
  async remove(id: string): Promise<boolean> {
    const { rowCount } = await this.sql.query(
      'DELETE FROM notification_subscriptions WHERE id = $1',
      [id],
    );
    return rowCount > 0;
  }
}

function columnValues(fields: SubscriptionFields): unknown[] {
  return [
    fields.name,
    fields.channel,
    fields.url,
    fields.secret,
    fields.recipients,
    fields.minSeverity,
    fields.sectors,
    fields.unit,
    fields.changes,
    fields.enabled,
  ];
}

function nameTaken(name: string): ApiError {
  return new ApiError(
    409,
    'SUBSCRIPTION_NAME_TAKEN',
    `a subscription named "${name}" exists already; choose another name`,
  );
}

function toSubscription(row: SubscriptionRow): StoredSubscription {
  return {
    id: row.id,
    name: row.name,
    channel: row.channel,
    url: row.webhook_url,
    secret: row.webhook_secret,
    recipients: row.email_recipients,
    minSeverity: row.min_severity,
    sectors: row.sectors,
    unit: row.unit_code,
    changes: row.changes,
    enabled: row.enabled,
    createdBy: row.created_by,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}
