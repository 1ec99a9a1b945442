import { EventEmitter } from 'node:events';
import { ApiError, type Logger, type SqlExecutor, type SqlStore } from '@ioc/core';
import {
  type NewRule,
  type Rule,
  type RuleCondition,
  RuleInputSchema,
  type RuleOrigin,
} from './rule.js';
import {
  type CheckedRule,
  checkRuleInput,
  type RuleCheckContext,
  type RuleProblem,
} from './rule-check.js';

export interface RuleStoreEvents {
  /** A rule was created, replaced, enabled or disabled. */
  changed: [rule: Rule];
  deleted: [rule: Rule];
}

export interface RuleStoreOptions extends RuleCheckContext {
  sql: SqlStore;
  /** Devices a single-device scope may name (the registry); unchecked when absent. */
  devices?: { get(id: string): Promise<unknown> };
  logger?: Logger;
}

/** What happened when the rules file was applied. */
export interface RulesFileSync {
  created: string[];
  updated: string[];
  deleted: string[];
  unchanged: number;
}

interface RuleRow {
  id: string;
  name_vi: string;
  name_en: string;
  enabled: boolean;
  severity: Rule['severity'];
  scope_device: string | null;
  scope_type: string | null;
  scope_sector: string | null;
  scope_unit: string | null;
  condition: RuleCondition;
  message_vi: string;
  message_en: string;
  rate_limit_raises: number;
  rate_limit_per_s: number;
  origin: RuleOrigin;
  created_at: Date | string;
  updated_at: Date | string;
  created_by: string | null;
  updated_by: string | null;
}

const COLUMNS = `id, name_vi, name_en, enabled, severity, scope_device, scope_type, scope_sector,
  scope_unit, condition, message_vi, message_en, rate_limit_raises, rate_limit_per_s, origin`;

/**
 * Alert rules in SQL. Every write is checked (`checkRuleInput`, plus the device of a
 * single-device scope) and announced (`changed`, `deleted`) so that the engine applies it at
 * once. Errors are ApiErrors: 400 RULE_INVALID (`details.problems` lists each field), 404
 * RULE_NOT_FOUND, 409 RULE_EXISTS and 409 RULE_MANAGED_BY_FILE.
 */
export class RuleStore extends EventEmitter<RuleStoreEvents> {
  /** JSON schema of a rule input (POST/PUT body, rules file entry), for the API docs. */
  readonly inputSchema = RuleInputSchema;
  readonly sql: SqlStore;
  readonly #options: RuleStoreOptions;

  constructor(options: RuleStoreOptions) {
    super();
    this.sql = options.sql;
    this.#options = options;
  }

  async list(): Promise<Rule[]> {
    const { rows } = await this.sql.query<RuleRow>('SELECT * FROM rules ORDER BY id');
    return rows.map(toRule);
  }

  async get(id: string): Promise<Rule | undefined> {
    const { rows } = await this.sql.query<RuleRow>('SELECT * FROM rules WHERE id = $1', [id]);
    return rows[0] && toRule(rows[0]);
  }

  /** Checks an input without storing it (a rules file is checked whole before it applies). */
  check(input: unknown, id?: string): CheckedRule {
    return checkRuleInput(input, this.#options, { id });
  }

  async create(input: unknown, actor = 'system'): Promise<Rule> {
    const rule = await this.#checked(input);
    const { rows } = await this.sql.query<RuleRow>(
      `INSERT INTO rules (${COLUMNS}, created_by, updated_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'api', $15, $15)
       ON CONFLICT (id) DO NOTHING RETURNING *`,
      [...ruleParams(rule), actor],
    );
    if (!rows[0]) {
      throw new ApiError(
        409,
        'RULE_EXISTS',
        `a rule with id "${rule.id}" exists; choose another id or PUT /api/v1/rules/${rule.id}`,
      );
    }
    return this.#announce(toRule(rows[0]), 'created', actor);
  }

  /** Replaces rule `id` whole (PUT). */
  async update(id: string, input: unknown, actor = 'system'): Promise<Rule> {
    await this.#editable(id);
    const rule = await this.#checked(input, id);
    const { rows } = await this.sql.query<RuleRow>(
      `UPDATE rules SET name_vi = $2, name_en = $3, enabled = $4, severity = $5,
         scope_device = $6, scope_type = $7, scope_sector = $8, scope_unit = $9, condition = $10,
         message_vi = $11, message_en = $12, rate_limit_raises = $13, rate_limit_per_s = $14,
         updated_at = now(), updated_by = $15
       WHERE id = $1 RETURNING *`,
      [...ruleParams(rule), actor],
    );
    if (!rows[0]) throw notFound(id);
    return this.#announce(toRule(rows[0]), 'updated', actor);
  }

  async setEnabled(id: string, enabled: boolean, actor = 'system'): Promise<Rule> {
    await this.#editable(id);
    const { rows } = await this.sql.query<RuleRow>(
      `UPDATE rules SET enabled = $2, updated_at = now(), updated_by = $3
       WHERE id = $1 RETURNING *`,
      [id, enabled, actor],
    );
    if (!rows[0]) throw notFound(id);
    return this.#announce(toRule(rows[0]), enabled ? 'enabled' : 'disabled', actor);
  }

  /** Deletes the rule and its evaluation state; returns what was deleted. */
  async remove(id: string, actor = 'system'): Promise<Rule> {
    await this.#editable(id);
    const { rows } = await this.sql.query<RuleRow>('DELETE FROM rules WHERE id = $1 RETURNING *', [
      id,
    ]);
    if (!rows[0]) throw notFound(id);
    const rule = toRule(rows[0]);
    this.#options.logger?.info({ rule: id, actor }, 'rule deleted');
    this.emit('deleted', rule);
    return rule;
  }

  /**
   * Makes the stored file rules what the rules file says, in one transaction: its rules are
   * created or replaced (taking over an API rule of the same id), file rules it no longer
   * has are deleted. Rules created over the API are left alone.
   */
  async syncFile(rules: NewRule[]): Promise<RulesFileSync> {
    const result: RulesFileSync = { created: [], updated: [], deleted: [], unchanged: 0 };
    const changed: Rule[] = [];
    const deleted: Rule[] = [];
    await this.sql.transaction(async (tx) => {
      const { rows } = await tx.query<RuleRow>('SELECT * FROM rules');
      const stored = new Map(rows.map((row) => [row.id, toRule(row)]));
      const wanted = new Set(rules.map((rule) => rule.id));
      for (const rule of rules) {
        const current = stored.get(rule.id);
        if (current?.origin === 'file' && sameDefinition(current, rule)) {
          result.unchanged++;
          continue;
        }
        changed.push(await upsertFileRule(tx, rule));
        (current ? result.updated : result.created).push(rule.id);
      }
      for (const rule of stored.values()) {
        if (rule.origin !== 'file' || wanted.has(rule.id)) continue;
        await tx.query('DELETE FROM rules WHERE id = $1', [rule.id]);
        deleted.push(rule);
        result.deleted.push(rule.id);
      }
    });
    for (const rule of changed) this.emit('changed', rule);
    for (const rule of deleted) this.emit('deleted', rule);
    return result;
  }

  /** Without a rules file, rules that came from one become ordinary API-managed rules. */
  async releaseFileRules(): Promise<string[]> {
    const { rows } = await this.sql.query<{ id: string }>(
      `UPDATE rules SET origin = 'api', updated_at = now(), updated_by = 'system'
       WHERE origin = 'file' RETURNING id`,
    );
    return rows.map((row) => row.id);
  }

  async #checked(input: unknown, id?: string): Promise<NewRule> {
    const checked = this.check(input, id);
    const problems: RuleProblem[] = checked.ok ? [] : checked.problems;
    const device = checked.ok ? checked.rule.scope.device : undefined;
    if (
      device !== undefined &&
      this.#options.devices &&
      !(await this.#options.devices.get(device))
    ) {
      problems.push({
        field: 'scope.device',
        code: 'DEVICE_UNKNOWN',
        message: `no device with id "${device}"; provision it first or correct the id`,
      });
    }
    if (!checked.ok || problems.length > 0) throw invalid(problems);
    return checked.rule;
  }

  async #editable(id: string): Promise<void> {
    const rule = await this.get(id);
    if (!rule) throw notFound(id);
    if (rule.origin === 'file') {
      throw new ApiError(
        409,
        'RULE_MANAGED_BY_FILE',
        `rule "${id}" comes from the rules file (ingest.rulesFile); change it there and restart`,
      );
    }
  }

  #announce(rule: Rule, what: string, actor: string): Rule {
    this.#options.logger?.info({ rule: rule.id, actor }, `rule ${what}`);
    this.emit('changed', rule);
    return rule;
  }
}

/** 400 RULE_INVALID with every problem in `details.problems`. */
export function invalid(problems: RuleProblem[]): ApiError {
  return new ApiError(
    400,
    'RULE_INVALID',
    problems.map((p) => (p.field ? `${p.field}: ${p.message}` : p.message)).join('; '),
    { problems },
  );
}

function notFound(id: string): ApiError {
  return new ApiError(404, 'RULE_NOT_FOUND', `no rule with id "${id}"`);
}

function ruleParams(rule: NewRule): unknown[] {
  return [
    rule.id,
    rule.name.vi,
    rule.name.en,
    rule.enabled,
    rule.severity,
    rule.scope.device ?? null,
    rule.scope.type ?? null,
    rule.scope.sector ?? null,
    rule.scope.unit ?? null,
    JSON.stringify(rule.condition),
    rule.message.vi,
    rule.message.en,
    rule.rateLimit.raises,
    rule.rateLimit.perS,
  ];
}

async function upsertFileRule(tx: SqlExecutor, rule: NewRule): Promise<Rule> {
  const { rows } = await tx.query<RuleRow>(
    `INSERT INTO rules (${COLUMNS}, created_by, updated_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'file', 'file', 'file')
     ON CONFLICT (id) DO UPDATE SET name_vi = $2, name_en = $3, enabled = $4, severity = $5,
       scope_device = $6, scope_type = $7, scope_sector = $8, scope_unit = $9, condition = $10,
       message_vi = $11, message_en = $12, rate_limit_raises = $13, rate_limit_per_s = $14,
       origin = 'file', updated_at = now(), updated_by = 'file'
     RETURNING *`,
    ruleParams(rule),
  );
  return toRule(rows[0] as RuleRow);
}

function sameDefinition(stored: Rule, rule: NewRule): boolean {
  const definition = (r: NewRule) =>
    JSON.stringify([
      r.id,
      r.name,
      r.enabled,
      r.severity,
      sortedEntries(r.scope),
      sortedEntries(r.condition),
      r.message,
      r.rateLimit.raises,
      r.rateLimit.perS,
    ]);
  return definition(stored) === definition(rule);
}

function sortedEntries(value: object): Array<[string, unknown]> {
  return Object.entries(value)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => a.localeCompare(b));
}

function toRule(row: RuleRow): Rule {
  const scope: Rule['scope'] = {};
  if (row.scope_device !== null) scope.device = row.scope_device;
  if (row.scope_type !== null) scope.type = row.scope_type;
  if (row.scope_sector !== null) scope.sector = row.scope_sector;
  if (row.scope_unit !== null) scope.unit = row.scope_unit;
  return {
    id: row.id,
    name: { vi: row.name_vi, en: row.name_en },
    enabled: row.enabled,
    severity: row.severity,
    scope,
    condition: row.condition,
    message: { vi: row.message_vi, en: row.message_en },
    rateLimit: { raises: row.rate_limit_raises, perS: row.rate_limit_per_s },
    origin: row.origin,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
    createdBy: row.created_by,
    updatedBy: row.updated_by,
  };
}
