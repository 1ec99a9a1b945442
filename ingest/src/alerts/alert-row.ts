import type { AlertChangeKind, AlertSeverity, AlertSnapshot, AlertState } from '@ioc/core';

/** A row of `alerts` as both SQL stores return it. */
export interface AlertRow {
  id: number;
  kind: 'alert' | 'storm';
  rule_id: string;
  source: string;
  severity: AlertSeverity;
  state: AlertState;
  message_vi: string;
  message_en: string;
  device_id: string | null;
  unit_code: string | null;
  storm_unit: string | null;
  sector: string | null;
  metric: string | null;
  value: number | boolean | null;
  count: number;
  raised_at: Date;
  last_seen_at: Date;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  assignee: string | null;
  ended_at: Date | null;
  ended_by: string | null;
  escalation_level: number;
  escalated_at: Date | null;
  parent_id: number | null;
}

/** A row of `alert_history`. */
export interface AlertHistoryRow {
  id: number;
  alert_id: number;
  at: Date;
  actor: string | null;
  change: AlertChangeKind;
  state: AlertState;
  comment: string | null;
  details: Record<string, unknown> | null;
}

/** One entry of an alert's history: what changed, who did it (null: the system), when. */
export interface AlertHistoryEntry {
  id: number;
  alertId: string;
  at: string;
  actor: string | null;
  change: AlertChangeKind;
  /** The alert's state after the change. */
  state: AlertState;
  /** The comment, or the note given with an acknowledgement or resolution. */
  comment: string | null;
  details: Record<string, unknown> | null;
}

export const OPEN_STATES: readonly AlertState[] = ['active', 'acknowledged'];
/** SQL for "the alert is open", matching the partial unique index of migration 0006. */
export const IS_OPEN = "state IN ('active', 'acknowledged')";

/** Prefix of a storm's source; device ids and KPI sources never contain ':' after it. */
export const STORM_SOURCE_PREFIX = 'storm:';

/** True for a storm: the parent alert that groups many alerts of one cause. */
export function isStormAlert(alert: Pick<AlertSnapshot, 'source'>): boolean {
  return alert.source.startsWith(STORM_SOURCE_PREFIX);
}

export function toSnapshot(row: AlertRow): AlertSnapshot {
  return {
    id: String(row.id),
    ruleId: row.rule_id,
    source: row.source,
    severity: row.severity,
    state: row.state,
    message: { vi: row.message_vi, en: row.message_en },
    deviceId: row.device_id,
    unit: row.unit_code,
    sector: row.sector,
    metric: row.metric,
    value: row.value,
    count: row.count,
    raisedAt: iso(row.raised_at),
    lastSeenAt: iso(row.last_seen_at),
    acknowledgedAt: row.acknowledged_at && iso(row.acknowledged_at),
    acknowledgedBy: row.acknowledged_by,
    assignee: row.assignee,
    endedAt: row.ended_at && iso(row.ended_at),
    endedBy: row.ended_by,
    escalationLevel: row.escalation_level,
    parentId: row.parent_id === null ? null : String(row.parent_id),
  };
}

export function toHistoryEntry(row: AlertHistoryRow): AlertHistoryEntry {
  return {
    id: row.id,
    alertId: String(row.alert_id),
    at: iso(row.at),
    actor: row.actor,
    change: row.change,
    state: row.state,
    comment: row.comment,
    details: row.details,
  };
}

function iso(value: Date | string): string {
  return new Date(value).toISOString();
}
