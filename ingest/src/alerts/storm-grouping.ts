import type { AdminUnitTree, AlertSeverity } from '@ioc/core';
import { type AlertRow, IS_OPEN, STORM_SOURCE_PREFIX } from './alert-row.js';
import type { AlertTransaction } from './alert-transaction.js';

export interface StormSettings {
  /** Alerts of one rule under one parent unit within the window that make a storm; 0: off. */
  threshold: number;
  windowSeconds: number;
}

const SEVERITY_RANK: Record<AlertSeverity, number> = {
  critical: 5,
  major: 4,
  minor: 3,
  warning: 2,
  info: 1,
};

export function higherSeverity(a: AlertSeverity, b: AlertSeverity): AlertSeverity {
  return SEVERITY_RANK[a] >= SEVERITY_RANK[b] ? a : b;
}

/**
 * Storm protection: when one cause raises many alerts (a whole district offline), the wall
 * should show one alert, not hundreds. Alerts of one rule whose units share a parent unit
 * (the "storm unit") are counted; when `threshold` of them are open and were raised within
 * `windowSeconds`, a storm alert (kind `storm`, source `storm:<unit>`) opens and they become
 * its children (`parentId`); later alerts of that rule under that unit join it while it is
 * open. The storm is a normal alert (acknowledge, assign, resolve, escalation) whose
 * acknowledgement, assignment and resolution carry to its open children; it clears by itself
 * when none of its children is open any more. Runs inside the raise's transaction, under the
 * lock of the rule and storm unit, so concurrent raises count exactly once.
 */
export class AlertStormGrouping {
  readonly #units: AdminUnitTree;
  readonly #settings: StormSettings;

  constructor(units: AdminUnitTree, settings: StormSettings) {
    this.#units = units;
    this.#settings = settings;
  }

  /** The unit storms of an alert at `unit` are counted under: its parent (a root: itself). */
  stormUnitOf(unit: string | null): string | null {
    if (this.#settings.threshold <= 0 || unit === null) return null;
    const known = this.#units.get(unit);
    if (!known) return null;
    return known.parentCode ?? known.code;
  }

  /**
   * Called for a newly opened alert: joins the open storm of its rule and unit, or opens one
   * when this alert completes the threshold. Returns the alert as it is now.
   */
  async place(t: AlertTransaction, alert: AlertRow, at: Date): Promise<AlertRow> {
    const stormUnit = alert.storm_unit;
    if (stormUnit === null || alert.kind !== 'alert' || this.#settings.threshold <= 0) {
      return alert;
    }
    const { rows: open } = await t.sql.query<AlertRow>(
      `SELECT * FROM alerts WHERE rule_id = $1 AND source = $2 AND ${IS_OPEN} FOR UPDATE`,
      [alert.rule_id, STORM_SOURCE_PREFIX + stormUnit],
    );
    const storm = open[0];
    if (storm) return this.#join(t, storm, alert, at);

    const windowStart = new Date(at.getTime() - this.#settings.windowSeconds * 1000);
    const { rows: members } = await t.sql.query<AlertRow>(
      `SELECT * FROM alerts
       WHERE rule_id = $1 AND storm_unit = $2 AND kind = 'alert' AND parent_id IS NULL
         AND ${IS_OPEN} AND raised_at > $3
       ORDER BY raised_at, id`,
      [alert.rule_id, stormUnit, windowStart],
    );
    if (members.length < this.#settings.threshold) return alert;
    return this.#open(t, stormUnit, members, alert, at);
  }

  /** Called after a child closed: closes its storm when none of the storm's children is open. */
  async afterChildClosed(t: AlertTransaction, child: AlertRow, at: Date): Promise<void> {
    if (child.parent_id === null) return;
    const storm = await t.lockAlert(child.parent_id);
    if (!storm || (storm.state !== 'active' && storm.state !== 'acknowledged')) return;
    const { rows } = await t.sql.query<{ open: number }>(
      `SELECT count(*) AS open FROM alerts WHERE parent_id = $1 AND ${IS_OPEN}`,
      [storm.id],
    );
    if ((rows[0]?.open ?? 0) > 0) return;
    // The storm ends as its last child did: resolved by that person, or cleared by the system.
    const resolved = child.state === 'resolved';
    const endedBy = resolved ? child.ended_by : 'system';
    const closed = await t.update(storm.id, 'state = $2, ended_at = $3, ended_by = $4', [
      child.state,
      at,
      endedBy,
    ]);
    await t.record(closed, resolved ? 'resolved' : 'cleared', at, resolved ? endedBy : null, {
      details: { reason: 'none of its alerts is open any more' },
    });
  }

  async #join(t: AlertTransaction, storm: AlertRow, alert: AlertRow, at: Date): Promise<AlertRow> {
    const child = await t.update(alert.id, 'parent_id = $2', [storm.id]);
    const grown = await t.update(
      storm.id,
      'count = count + 1, last_seen_at = GREATEST(last_seen_at, $2), severity = $3',
      [at, higherSeverity(storm.severity, alert.severity)],
    );
    t.announce(grown, 'retriggered', at, null);
    return child;
  }

  async #open(
    t: AlertTransaction,
    stormUnit: string,
    members: AlertRow[],
    alert: AlertRow,
    at: Date,
  ): Promise<AlertRow> {
    const first = members[0] as AlertRow;
    const same = <K extends keyof AlertRow>(key: K): AlertRow[K] | null =>
      members.every((m) => m[key] === first[key]) ? first[key] : null;
    const unit = this.#units.get(stormUnit);
    const name = unit?.name ?? stormUnit;
    const nameEn = unit?.nameEn ?? name;
    const { rows } = await t.sql.query<AlertRow>(
      `INSERT INTO alerts (kind, rule_id, source, severity, state, message_vi, message_en,
         unit_code, storm_unit, sector, metric, count, raised_at, last_seen_at)
       VALUES ('storm', $1, $2, $3, 'active', $4, $5, $6, $6, $7, $8, $9, $10, $11)
       RETURNING *`,
      [
        alert.rule_id,
        STORM_SOURCE_PREFIX + stormUnit,
        members.map((m) => m.severity).reduce(higherSeverity),
        `Nhiều cảnh báo cùng lúc tại ${name} (quy tắc ${alert.rule_id})`,
        `Alert storm in ${nameEn} (rule ${alert.rule_id})`,
        stormUnit,
        same('sector'),
        same('metric'),
        members.length,
        first.raised_at,
        at,
      ],
    );
    const storm = rows[0] as AlertRow;
    await t.record(storm, 'raised', at, null, {
      details: { alerts: members.length, windowSeconds: this.#settings.windowSeconds },
    });
    const { rows: grouped } = await t.sql.query<AlertRow>(
      `UPDATE alerts SET parent_id = $1, updated_at = now() WHERE id = ANY($2::bigint[])
       RETURNING *`,
      [storm.id, members.map((m) => m.id)],
    );
    let placed = alert;
    for (const member of grouped.sort((a, b) => a.id - b.id)) {
      // The alert being raised announces itself ('raised', with its parent) after this.
      if (member.id === alert.id) placed = member;
      else await t.record(member, 'grouped', at, null, { details: { parentId: String(storm.id) } });
    }
    return placed;
  }
}
