import {
  type AdminUnitTree,
  type AlertChangeKind,
  type AlertSeverity,
  type AlertSnapshot,
  ApiError,
  type LiveBus,
  type Logger,
  type SqlStore,
} from '@ioc/core';
import { Counter, type Registry } from 'prom-client';
import { type AlertFilter, alertIdNumber, buildAlertQuery } from './alert-query.js';
import {
  type AlertHistoryEntry,
  type AlertHistoryRow,
  type AlertRow,
  IS_OPEN,
  toHistoryEntry,
  toSnapshot,
} from './alert-row.js';
import type { AlertClear, AlertRaise, AlertSink } from './alert-sink.js';
import { AlertTransaction } from './alert-transaction.js';
import { checkClear, checkRaise } from './sink-input.js';
import { AlertStormGrouping, type StormSettings } from './storm-grouping.js';

export interface AlertStoreOptions {
  sql: SqlStore;
  bus: LiveBus;
  /** For unit-subtree filters and the parent unit storms are counted under. */
  units: AdminUnitTree;
  logger: Logger;
  storm: StormSettings;
  metrics?: Registry;
  /** The clock of person actions; default the system clock. */
  now?: () => Date;
}

export interface AlertPage {
  alerts: AlertSnapshot[];
  /** Alerts matching the filter, all pages together. */
  total: number;
  limit: number;
  offset: number;
}

export interface AlertDetail {
  alert: AlertSnapshot;
  /** `storm`: a parent grouping many alerts of one cause (list them with `parentId`). */
  kind: 'alert' | 'storm';
  /** Alerts grouped under this one (storms only; 0 otherwise). */
  children: number;
  /** Every change, oldest first. */
  history: AlertHistoryEntry[];
}

/** Longest comment or note, in characters. */
export const MAX_COMMENT_LENGTH = 2000;

/**
 * The alerts of the IOC in SQL. The rule engine raises and clears them (`AlertSink`); people
 * acknowledge, assign, comment and resolve them; every change is a history row and one
 * `alert.changed` event on the live bus, published after it committed. One alert is open per
 * rule and source (a unique index, so concurrent raises from several processes meet in one
 * row); a closed alert is never reopened. Storms: see `AlertStormGrouping`.
 */
export class AlertStore implements AlertSink {
  readonly #sql: SqlStore;
  readonly #bus: LiveBus;
  readonly #units: AdminUnitTree;
  readonly #logger: Logger;
  readonly #storms: AlertStormGrouping;
  readonly #now: () => Date;
  readonly #changes: Counter;

  constructor(options: AlertStoreOptions) {
    this.#sql = options.sql;
    this.#bus = options.bus;
    this.#units = options.units;
    this.#logger = options.logger;
    this.#storms = new AlertStormGrouping(options.units, options.storm);
    this.#now = options.now ?? (() => new Date());
    const name = 'ioc_alerts_changes_total';
    this.#changes =
      (options.metrics?.getSingleMetric(name) as Counter | undefined) ??
      new Counter({
        name,
        help: 'Alert changes by kind (raised, retriggered, acknowledged, escalated, ...)',
        labelNames: ['change'],
        registers: options.metrics ? [options.metrics] : [],
      });
  }

  /** Opens an alert for the rule and source, or re-triggers the open one (count, last seen). */
  async raise(input: AlertRaise): Promise<void> {
    const raise = checkRaise(input);
    const stormUnit = this.#storms.stormUnitOf(raise.unit);
    await this.#write(async (t) => {
      await t.lockGroup(raise.ruleId, stormUnit);
      const { rows } = await t.sql.query<AlertRow>(
        `INSERT INTO alerts (rule_id, source, severity, state, message_vi, message_en, device_id,
           unit_code, storm_unit, sector, metric, value, raised_at, last_seen_at)
         VALUES ($1, $2, $3, 'active', $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12, $12)
         ON CONFLICT (rule_id, source) WHERE ${IS_OPEN} DO UPDATE SET
           count = alerts.count + 1,
           last_seen_at = GREATEST(alerts.last_seen_at, EXCLUDED.last_seen_at),
           severity = EXCLUDED.severity,
           message_vi = EXCLUDED.message_vi,
           message_en = EXCLUDED.message_en,
           metric = EXCLUDED.metric,
           value = EXCLUDED.value,
           updated_at = now()
         RETURNING *`,
        [
          raise.ruleId,
          raise.source,
          raise.severity,
          raise.message.vi,
          raise.message.en,
          raise.deviceId,
          raise.unit,
          stormUnit,
          raise.sector,
          raise.metric,
          raise.value === null ? null : JSON.stringify(raise.value),
          raise.at,
        ],
      );
      const row = rows[0] as AlertRow;
      // Only an insert leaves the count at 1: every update adds one.
      if (row.count > 1) {
        t.announce(row, 'retriggered', raise.at, null);
        return;
      }
      const placed = await this.#storms.place(t, row, raise.at);
      await t.record(placed, 'raised', raise.at, null, {
        details: { value: raise.value, severity: raise.severity },
      });
    });
  }

  /** Clears the open alert of the rule and source (its condition is gone); none: nothing. */
  async clear(input: AlertClear): Promise<void> {
    const clear = checkClear(input);
    await this.#write(async (t) => {
      const { rows: open } = await t.sql.query<Pick<AlertRow, 'id' | 'storm_unit'>>(
        `SELECT id, storm_unit FROM alerts WHERE rule_id = $1 AND source = $2 AND ${IS_OPEN}`,
        [clear.ruleId, clear.source],
      );
      const found = open[0];
      if (!found) return;
      await t.lockGroup(clear.ruleId, found.storm_unit);
      const { rows } = await t.sql.query<AlertRow>(
        `UPDATE alerts SET state = 'cleared', ended_at = $2, ended_by = 'system', updated_at = now()
         WHERE id = $1 AND ${IS_OPEN} RETURNING *`,
        [found.id, clear.at],
      );
      const cleared = rows[0];
      if (!cleared) return; // closed by someone else meanwhile
      await t.record(cleared, 'cleared', clear.at, null);
      await this.#storms.afterChildClosed(t, cleared, clear.at);
    });
  }

  /** A person takes the alert: active → acknowledged (a storm's active children too). */
  async acknowledge(id: string, actor: string, note?: string): Promise<AlertSnapshot> {
    const comment = note === undefined ? null : checkText(note, 'note');
    return this.#act(id, async (t, alert, at) => {
      if (alert.state === 'acknowledged') {
        throw new ApiError(
          409,
          'ALERT_ALREADY_ACKNOWLEDGED',
          `alert ${alert.id} was already acknowledged by ${alert.acknowledged_by} at ${alert.acknowledged_at?.toISOString()}`,
        );
      }
      requireOpen(alert, 'acknowledged');
      const ack = 'state = $2, acknowledged_at = $3, acknowledged_by = $4';
      const params = ['acknowledged', at, actor];
      const done = await t.update(alert.id, ack, params);
      await t.record(done, 'acknowledged', at, actor, { comment });
      if (done.kind === 'storm') {
        await this.#cascade(t, done, "state = 'active'", ack, params, 'acknowledged', at, actor);
      }
      return toSnapshot(done);
    });
  }

  /** Gives the open alert (and a storm's open children) to a person; null takes it back. */
  async assign(id: string, assignee: string | null, actor: string): Promise<AlertSnapshot> {
    const who = assignee === null ? null : checkText(assignee, 'assignee', 64);
    return this.#act(id, async (t, alert, at) => {
      requireOpen(alert, 'assigned');
      if (alert.assignee === who) return toSnapshot(alert);
      const done = await t.update(alert.id, 'assignee = $2', [who]);
      await t.record(done, 'assigned', at, actor, {
        details: { assignee: who, previous: alert.assignee },
      });
      if (done.kind === 'storm') {
        await this.#cascade(
          t,
          done,
          `${IS_OPEN} AND assignee IS DISTINCT FROM $2`,
          'assignee = $2',
          [who],
          'assigned',
          at,
          actor,
        );
      }
      return toSnapshot(done);
    });
  }

  /** Adds a comment to the alert's history; closed alerts take comments too. */
  async comment(id: string, text: string, actor: string): Promise<AlertHistoryEntry> {
    const comment = checkText(text, 'comment');
    return this.#act(id, async (t, alert, at) => {
      return toHistoryEntry(await t.record(alert, 'commented', at, actor, { comment }));
    });
  }

  /** A person closes the open alert (and a storm's open children): it is dealt with. */
  async resolve(id: string, actor: string, note?: string): Promise<AlertSnapshot> {
    const comment = note === undefined ? null : checkText(note, 'note');
    return this.#act(id, async (t, alert, at) => {
      requireOpen(alert, 'resolved');
      const end = 'state = $2, ended_at = $3, ended_by = $4';
      const params = ['resolved', at, actor];
      const done = await t.update(alert.id, end, params);
      await t.record(done, 'resolved', at, actor, { comment });
      if (done.kind === 'storm') {
        await this.#cascade(t, done, IS_OPEN, end, params, 'resolved', at, actor);
      } else {
        await this.#storms.afterChildClosed(t, done, at);
      }
      return toSnapshot(done);
    });
  }

  /**
   * Escalates open, unacknowledged alerts (not storm children: their storm escalates) whose
   * severity has a cutoff and that were raised, or last escalated, at or before it: level + 1.
   * Returns the escalated alerts; each also goes out as an `escalated` event.
   */
  async escalateOverdue(
    cutoffs: Partial<Record<AlertSeverity, Date>>,
    maxLevel: number,
    now: Date,
  ): Promise<AlertSnapshot[]> {
    if (Object.keys(cutoffs).length === 0) return [];
    const found = overdueCondition(cutoffs, maxLevel, 1);
    const { rows } = await this.#sql.query<{ id: number }>(
      `SELECT id FROM alerts WHERE ${found.sql} ORDER BY raised_at, id LIMIT 1000`,
      found.params,
    );
    const escalated: AlertSnapshot[] = [];
    // One small transaction per alert: another process's scan or a person's action may
    // get there first, and the re-checked condition then leaves the alert alone.
    const recheck = overdueCondition(cutoffs, maxLevel, 3);
    for (const { id } of rows) {
      const done = await this.#write(async (t) => {
        const { rows: updated } = await t.sql.query<AlertRow>(
          `UPDATE alerts SET escalation_level = escalation_level + 1, escalated_at = $2,
             updated_at = now()
           WHERE id = $1 AND ${recheck.sql} RETURNING *`,
          [id, now, ...recheck.params],
        );
        const alert = updated[0];
        if (!alert) return undefined;
        await t.record(alert, 'escalated', now, null, {
          details: { level: alert.escalation_level },
        });
        return toSnapshot(alert);
      });
      if (done) escalated.push(done);
    }
    return escalated;
  }

  /** The open alert of a rule and source, if any (e.g. for a rule engine rebuilding its state). */
  async findOpen(ruleId: string, source: string): Promise<AlertSnapshot | undefined> {
    const { rows } = await this.#sql.query<AlertRow>(
      `SELECT * FROM alerts WHERE rule_id = $1 AND source = $2 AND ${IS_OPEN}`,
      [ruleId, source],
    );
    return rows[0] && toSnapshot(rows[0]);
  }

  /** One alert with its history; undefined for an unknown id. */
  async get(id: string): Promise<AlertDetail | undefined> {
    const number = alertIdNumber(id);
    if (number === undefined) return undefined;
    const { rows } = await this.#sql.query<AlertRow & { children: number }>(
      `SELECT *, (SELECT count(*) FROM alerts c WHERE c.parent_id = a.id) AS children
       FROM alerts a WHERE id = $1`,
      [number],
    );
    const row = rows[0];
    if (!row) return undefined;
    return {
      alert: toSnapshot(row),
      kind: row.kind,
      children: row.children,
      history: await this.history(id),
    };
  }

  /** The alert's history, oldest first (empty for an unknown id). */
  async history(id: string): Promise<AlertHistoryEntry[]> {
    const number = alertIdNumber(id);
    if (number === undefined) return [];
    const { rows } = await this.#sql.query<AlertHistoryRow>(
      'SELECT * FROM alert_history WHERE alert_id = $1 ORDER BY id',
      [number],
    );
    return rows.map(toHistoryEntry);
  }

  /** Alerts matching the filter, newest first, a page at a time. */
  async list(filter: AlertFilter = {}): Promise<AlertPage> {
    const { where, params, limit, offset } = buildAlertQuery(filter, this.#units);
    // limit and offset are checked integers, safe to inline.
    const page = await this.#sql.query<AlertRow>(
      `SELECT * FROM alerts ${where} ORDER BY raised_at DESC, id DESC LIMIT ${limit} OFFSET ${offset}`,
      params,
    );
    const count = await this.#sql.query<{ total: number }>(
      `SELECT count(*) AS total FROM alerts ${where}`,
      params,
    );
    return { alerts: page.rows.map(toSnapshot), total: count.rows[0]?.total ?? 0, limit, offset };
  }

  /** A person's action on one alert, under its group's lock and the alert's row lock. */
  async #act<T>(
    id: string,
    action: (t: AlertTransaction, alert: AlertRow, at: Date) => Promise<T>,
  ): Promise<T> {
    const number = alertIdNumber(id);
    if (number === undefined) throw alertNotFound(id);
    return this.#write(async (t) => {
      const { rows } = await t.sql.query<Pick<AlertRow, 'rule_id' | 'storm_unit'>>(
        'SELECT rule_id, storm_unit FROM alerts WHERE id = $1',
        [number],
      );
      const key = rows[0];
      if (!key) throw alertNotFound(id);
      await t.lockGroup(key.rule_id, key.storm_unit);
      const alert = (await t.lockAlert(number)) as AlertRow;
      return action(t, alert, this.#now());
    });
  }

  /** Applies a storm's change to its children that `which` selects, each with its history. */
  async #cascade(
    t: AlertTransaction,
    storm: AlertRow,
    which: string,
    assignments: string,
    params: unknown[],
    change: AlertChangeKind,
    at: Date,
    actor: string,
  ): Promise<void> {
    const { rows } = await t.sql.query<AlertRow>(
      `UPDATE alerts SET ${assignments}, updated_at = now()
       WHERE parent_id = $1 AND ${which} RETURNING *`,
      [storm.id, ...params],
    );
    for (const child of rows.sort((a, b) => a.id - b.id)) {
      await t.record(child, change, at, actor, { details: { via: String(storm.id) } });
    }
  }

  /** Runs a transaction and, once it committed, publishes its changes in order. */
  async #write<T>(fn: (t: AlertTransaction) => Promise<T>): Promise<T> {
    let events: AlertTransaction['events'] = [];
    const result = await this.#sql.transaction(async (tx) => {
      const t = new AlertTransaction(tx);
      const value = await fn(t);
      events = t.events;
      return value;
    });
    for (const event of events) {
      this.#changes.inc({ change: event.change });
      if (event.change !== 'retriggered') {
        this.#logger.info(
          {
            alert: event.alert.id,
            change: event.change,
            rule: event.alert.ruleId,
            source: event.alert.source,
            actor: event.actor ?? undefined,
          },
          'alert changed',
        );
      }
      this.#bus.publish('alert.changed', event);
    }
    return result;
  }
}

/**
 * Open, unacknowledged, not in a storm, below `maxLevel`, and raised (or last escalated) at
 * or before its severity's cutoff. Placeholders start at `$first`.
 */
function overdueCondition(
  cutoffs: Partial<Record<AlertSeverity, Date>>,
  maxLevel: number,
  first: number,
): { sql: string; params: unknown[] } {
  const params: unknown[] = [maxLevel];
  const due = Object.entries(cutoffs).map(([severity, cutoff]) => {
    params.push(severity, cutoff);
    const n = first + params.length - 1;
    return `(severity = $${n - 1} AND COALESCE(escalated_at, raised_at) <= $${n})`;
  });
  return {
    sql: `state = 'active' AND parent_id IS NULL AND escalation_level < $${first}
      AND (${due.join(' OR ')})`,
    params,
  };
}

function requireOpen(alert: AlertRow, verb: string): void {
  if (alert.state === 'active' || alert.state === 'acknowledged') return;
  const by = alert.state === 'resolved' ? ` by ${alert.ended_by}` : '';
  throw new ApiError(
    409,
    'ALERT_CLOSED',
    `alert ${alert.id} was ${alert.state}${by} at ${alert.ended_at?.toISOString()} and cannot be ${verb} any more; if its condition returns, a new alert opens`,
  );
}

function alertNotFound(id: string): ApiError {
  return new ApiError(404, 'ALERT_NOT_FOUND', `no alert with id "${id}"`);
}

function checkText(text: string, what: string, max = MAX_COMMENT_LENGTH): string {
  const clean = typeof text === 'string' ? text.normalize('NFC').trim() : '';
  if (clean.length === 0 || clean.length > max) {
    throw new ApiError(400, `INVALID_${what.toUpperCase()}`, `${what}: 1-${max} characters`);
  }
  return clean;
}
