import type { AlertChangeKind, LiveEvents, SqlExecutor } from '@ioc/core';
import { type AlertHistoryRow, type AlertRow, toSnapshot } from './alert-row.js';

/** Advisory-lock namespace (first key) of alert groups; the second key hashes rule and unit. */
const GROUP_LOCK_NAMESPACE = 7_242_006;

export interface HistoryExtra {
  comment?: string | null;
  details?: Record<string, unknown> | null;
}

/**
 * One SQL transaction over alerts: writes rows and their history, and collects the
 * `alert.changed` events to publish once it has committed (never for a rolled-back change).
 */
export class AlertTransaction {
  readonly events: LiveEvents['alert.changed'][] = [];

  constructor(readonly sql: SqlExecutor) {}

  /**
   * Serialises every write to the alerts of one rule under one storm unit, across processes
   * sharing the database: storm counting and a storm's open-member check then see every
   * committed change, and parent/child updates cannot deadlock.
   */
  async lockGroup(ruleId: string, stormUnit: string | null): Promise<void> {
    await this.sql.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
      GROUP_LOCK_NAMESPACE,
      `${ruleId}|${stormUnit ?? ''}`,
    ]);
  }

  /** The alert, locked until the transaction ends; undefined when there is none. */
  async lockAlert(id: number | string): Promise<AlertRow | undefined> {
    const { rows } = await this.sql.query<AlertRow>(
      'SELECT * FROM alerts WHERE id = $1 FOR UPDATE',
      [id],
    );
    return rows[0];
  }

  /** `UPDATE alerts SET <assignments>, updated_at = now() WHERE id = $1 RETURNING *`. */
  async update(id: number, assignments: string, params: unknown[] = []): Promise<AlertRow> {
    const { rows } = await this.sql.query<AlertRow>(
      `UPDATE alerts SET ${assignments}, updated_at = now() WHERE id = $1 RETURNING *`,
      [id, ...params],
    );
    const row = rows[0];
    if (!row) throw new Error(`alert ${id} vanished inside its transaction`);
    return row;
  }

  /** Writes a history row for `alert` (as it is after the change) and queues its event. */
  async record(
    alert: AlertRow,
    change: AlertChangeKind,
    at: Date,
    actor: string | null,
    extra: HistoryExtra = {},
  ): Promise<AlertHistoryRow> {
    const { rows } = await this.sql.query<AlertHistoryRow>(
      `INSERT INTO alert_history (alert_id, at, actor, change, state, comment, details)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb) RETURNING *`,
      [
        alert.id,
        at,
        actor,
        change,
        alert.state,
        extra.comment ?? null,
        extra.details ? JSON.stringify(extra.details) : null,
      ],
    );
    this.announce(alert, change, at, actor);
    return rows[0] as AlertHistoryRow;
  }

  /** Queues an event without a history row (re-triggers: the count and last-seen tell them). */
  announce(alert: AlertRow, change: AlertChangeKind, at: Date, actor: string | null): void {
    this.events.push({ change, alert: toSnapshot(alert), actor, at: at.toISOString() });
  }
}
