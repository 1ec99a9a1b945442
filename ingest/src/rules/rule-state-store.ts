import type { SqlStore } from '@ioc/core';

/** Where one rule stands for one source, beyond plain "normal". */
export type StatePhase = 'watching' | 'pending' | 'firing';

/** What an alert about a source says besides the rule: kept with the state across restarts. */
export interface SourceDetail {
  deviceId: string | null;
  type: string | null;
  unit: string | null;
  sector: string | null;
  metric: string | null;
  value: number | boolean | null;
  /** Rate rules: the change seen over the window when the rule fired. */
  delta?: number;
  /** KPI rules: the day of the observation evaluated last. */
  kpiDate?: string;
}

/** One row of `rule_state` (core/migrations/0005_rules.sql); times in epoch ms. */
export interface StoredRuleState {
  ruleId: string;
  source: string;
  phase: StatePhase;
  since: number;
  raised: boolean;
  lastReportAt: number | null;
  detail: SourceDetail;
}

interface StateRow {
  rule_id: string;
  source: string;
  phase: StatePhase;
  since: Date | string;
  raised: boolean;
  last_report_at: Date | string | null;
  detail: SourceDetail;
}

/**
 * The rule engine's evaluation state in SQL. Writes are batched (arrays as parameters, one
 * statement per batch); a state whose rule has been deleted meanwhile is skipped.
 */
export class RuleStateStore {
  readonly #sql: SqlStore;

  constructor(sql: SqlStore) {
    this.#sql = sql;
  }

  async load(): Promise<StoredRuleState[]> {
    const { rows } = await this.#sql.query<StateRow>(
      'SELECT rule_id, source, phase, since, raised, last_report_at, detail FROM rule_state',
    );
    return rows.map((row) => ({
      ruleId: row.rule_id,
      source: row.source,
      phase: row.phase,
      since: new Date(row.since).getTime(),
      raised: row.raised,
      lastReportAt: row.last_report_at === null ? null : new Date(row.last_report_at).getTime(),
      detail: row.detail,
    }));
  }

  async save(states: readonly StoredRuleState[]): Promise<void> {
    if (states.length === 0) return;
    await this.#sql.query(
      `INSERT INTO rule_state (rule_id, source, phase, since, raised, last_report_at, detail)
       SELECT v.rule_id, v.source, v.phase, v.since, v.raised, v.last_report_at, v.detail
       FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::boolean[],
                   $6::timestamptz[], $7::jsonb[])
         AS v (rule_id, source, phase, since, raised, last_report_at, detail)
       JOIN rules ON rules.id = v.rule_id
       ON CONFLICT (rule_id, source) DO UPDATE SET phase = EXCLUDED.phase,
         since = EXCLUDED.since, raised = EXCLUDED.raised,
         last_report_at = EXCLUDED.last_report_at, detail = EXCLUDED.detail, updated_at = now()`,
      [
        states.map((s) => s.ruleId),
        states.map((s) => s.source),
        states.map((s) => s.phase),
        states.map((s) => new Date(s.since).toISOString()),
        states.map((s) => s.raised),
        states.map((s) =>
          s.lastReportAt === null ? null : new Date(s.lastReportAt).toISOString(),
        ),
        states.map((s) => JSON.stringify(s.detail)),
      ],
    );
  }

  async delete(keys: ReadonlyArray<{ ruleId: string; source: string }>): Promise<void> {
    if (keys.length === 0) return;
    await this.#sql.query(
      `DELETE FROM rule_state WHERE (rule_id, source) IN
         (SELECT * FROM unnest($1::text[], $2::text[]))`,
      [keys.map((k) => k.ruleId), keys.map((k) => k.source)],
    );
  }

  /** Forgets every state of a rule (it was disabled). */
  async deleteRule(ruleId: string): Promise<void> {
    await this.#sql.query('DELETE FROM rule_state WHERE rule_id = $1', [ruleId]);
  }
}
