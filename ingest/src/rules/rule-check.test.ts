import { type AdminUnitTree, loadUnitTree } from '@ioc/core';
import { type DeviceCatalogue, loadDeviceCatalogue } from '@ioc/devices';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RATE_LIMIT, RuleInputSchema } from './rule.js';
import { checkRuleInput, type RuleCheckContext, type RuleProblem } from './rule-check.js';

let context: RuleCheckContext;
beforeAll(async () => {
  const [units, catalogue]: [AdminUnitTree, DeviceCatalogue] = await Promise.all([
    loadUnitTree('da-nang-2025'),
    loadDeviceCatalogue(),
  ]);
  context = { units, catalogue };
});

const VALID = {
  id: 'high-water',
  name: { vi: 'Mực nước cao', en: 'High water' },
  severity: 'critical',
  scope: { type: 'water-level', unit: '20194' },
  condition: { kind: 'threshold', metric: 'level_cm', op: 'above', value: 300, clear: 280 },
  message: { vi: 'Mực nước {value} {unit}', en: 'Water level {value} {unit}' },
};

/** The problems of `input` as "field CODE" lines. */
function problemsOf(input: unknown, options: { id?: string } = {}, ctx = context): string[] {
  const checked = checkRuleInput(input, ctx, options);
  if (checked.ok) return [];
  return checked.problems.map((p: RuleProblem) => `${p.field} ${p.code}`);
}

describe('checkRuleInput', () => {
  it('normalises a valid rule: NFC and trimmed text, defaults filled in', () => {
    const checked = checkRuleInput(
      {
        ...VALID,
        name: { vi: '  Mực nước cao  '.normalize('NFD'), en: 'High water ' },
        condition: { kind: 'threshold', metric: 'level_cm', op: 'above', value: 300 },
      },
      context,
    );
    expect(checked).toEqual({
      ok: true,
      rule: {
        id: 'high-water',
        name: { vi: 'Mực nước cao', en: 'High water' },
        enabled: true,
        severity: 'critical',
        scope: { type: 'water-level', unit: '20194' },
        condition: {
          kind: 'threshold',
          metric: 'level_cm',
          op: 'above',
          value: 300,
          clear: 300,
          forS: 0,
        },
        message: VALID.message,
        rateLimit: DEFAULT_RATE_LIMIT,
      },
    });
    if (checked.ok) expect(checked.rule.name.vi).toBe('Mực nước cao'.normalize('NFC'));
  });

  it('fills in defaults of each kind and generates an id when none is given', () => {
    const { id: _id, ...withoutId } = VALID;
    const missing = checkRuleInput(
      {
        ...withoutId,
        condition: { kind: 'missing-data' },
        message: { vi: 'im lặng {silence}', en: 'silent for {silence}' },
      },
      context,
    );
    expect(missing.ok && missing.rule.condition).toEqual({ kind: 'missing-data', factor: 3 });
    expect(missing.ok && missing.rule.id).toMatch(/^rule-[0-9a-f]{12}$/);
    const offline = checkRuleInput(
      { ...VALID, condition: { kind: 'offline' }, message: { vi: 'x', en: 'y' } },
      context,
    );
    expect(offline.ok && offline.rule.condition).toEqual({ kind: 'offline', forS: 0 });
  });

  it('reports every structural problem with its field and code', () => {
    expect(problemsOf(null)).toEqual([' RULE_NOT_OBJECT']);
    expect(problemsOf([VALID])).toEqual([' RULE_NOT_OBJECT']);
    const { name: _name, ...withoutName } = VALID;
    expect(problemsOf(withoutName)).toEqual(['name FIELD_REQUIRED']);
    expect(problemsOf({ ...VALID, severity: 'urgent', colour: 'red' }).sort()).toEqual([
      'colour FIELD_UNKNOWN',
      'severity FIELD_NOT_ALLOWED',
    ]);
    expect(problemsOf({ ...VALID, id: 'Bad Id', name: { vi: 'a' } })).toEqual([
      'id FIELD_FORMAT',
      'name.en FIELD_REQUIRED',
    ]);
    expect(problemsOf({ ...VALID, condition: { kind: 'magic' } })).toEqual([
      'condition.kind FIELD_NOT_ALLOWED',
    ]);
    expect(problemsOf({ ...VALID, condition: 5 })).toEqual(['condition FIELD_WRONG_TYPE']);
    expect(
      problemsOf({
        ...VALID,
        condition: { kind: 'threshold', metric: 'level_cm', op: 'over', value: '300', forS: -1 },
      }),
    ).toEqual([
      'condition.op FIELD_NOT_ALLOWED',
      'condition.value FIELD_WRONG_TYPE',
      'condition.forS FIELD_OUT_OF_RANGE',
    ]);
    expect(
      problemsOf({
        ...VALID,
        condition: { kind: 'rate', metric: 'level_cm', direction: 'rise', by: 0 },
      }),
    ).toEqual(['condition.windowS FIELD_REQUIRED', 'condition.by FIELD_OUT_OF_RANGE']);
    expect(problemsOf({ ...VALID, rateLimit: { raises: 0, perS: 1.5 } })).toEqual([
      'rateLimit.raises FIELD_OUT_OF_RANGE',
      'rateLimit.perS FIELD_WRONG_TYPE',
    ]);
  });

  it('names the problems of the well-formed parts too, in one answer', () => {
    expect(
      problemsOf({
        ...VALID,
        severity: 'urgent',
        scope: { type: 'water-level' },
        condition: { kind: 'threshold', metric: 'pm25', op: 'above', value: 1, clear: 5 },
        message: { vi: '{foo}', en: 'x' },
      }),
    ).toEqual([
      'severity FIELD_NOT_ALLOWED',
      'condition.clear CLEAR_LEVEL_WRONG_SIDE',
      'condition.metric METRIC_UNKNOWN',
      'message.vi TEMPLATE_PLACEHOLDER_UNKNOWN',
    ]);
    // A malformed condition: the checks that need it wait, the others do not.
    expect(
      problemsOf({
        ...VALID,
        scope: { unit: 'nowhere' },
        condition: { kind: 'threshold', metric: 'level_cm', op: 'above' },
        message: { vi: '   ', en: 'x' },
      }),
    ).toEqual([
      'condition.value FIELD_REQUIRED',
      'message.vi FIELD_EMPTY',
      'scope.unit UNIT_UNKNOWN',
    ]);
  });

  it('says what to fix in the message', () => {
    const checked = checkRuleInput({ ...VALID, severity: 'urgent' }, context);
    expect(checked.ok ? undefined : checked.problems[0]?.message).toBe(
      'severity is "urgent"; expected critical, major, minor, warning or info',
    );
  });

  it('checks the scope against the catalogue, the sectors and the unit tree', () => {
    expect(
      problemsOf({
        ...VALID,
        scope: { type: 'volcano', sector: 'space', unit: '99999' },
        condition: { kind: 'offline' },
        message: { vi: 'x', en: 'y' },
      }),
    ).toEqual([
      'scope.type TYPE_UNKNOWN',
      'scope.sector SECTOR_UNKNOWN',
      'scope.unit UNIT_UNKNOWN',
    ]);
  });

  it('checks the metric against the scoped type (or any type) and wants numbers for comparisons', () => {
    expect(
      problemsOf({
        ...VALID,
        condition: { kind: 'threshold', metric: 'pm25', op: 'above', value: 1 },
      }),
    ).toEqual(['condition.metric METRIC_UNKNOWN']);
    expect(
      problemsOf({
        ...VALID,
        scope: {},
        condition: { kind: 'threshold', metric: 'pm25', op: 'above', value: 1 },
      }),
    ).toEqual([]);
    expect(
      problemsOf({
        ...VALID,
        scope: {},
        condition: {
          kind: 'rate',
          metric: 'no_such_metric',
          direction: 'rise',
          by: 1,
          windowS: 60,
        },
        message: { vi: 'x', en: 'y' },
      }),
    ).toEqual(['condition.metric METRIC_UNKNOWN']);
    expect(
      problemsOf({
        ...VALID,
        scope: { type: 'pump-station' },
        condition: { kind: 'threshold', metric: 'running', op: 'below', value: 1 },
        message: { vi: 'x', en: 'y' },
      }),
    ).toEqual(['condition.metric METRIC_NOT_NUMERIC']);
    // Missing data of a yes/no metric is fine.
    expect(
      problemsOf({
        ...VALID,
        scope: { type: 'pump-station' },
        condition: { kind: 'missing-data', metric: 'running' },
        message: { vi: 'x', en: 'y' },
      }),
    ).toEqual([]);
  });

  it('wants the clear level on the safe side of the threshold', () => {
    expect(
      problemsOf({
        ...VALID,
        condition: { kind: 'threshold', metric: 'level_cm', op: 'above', value: 300, clear: 310 },
      }),
    ).toEqual(['condition.clear CLEAR_LEVEL_WRONG_SIDE']);
    expect(
      problemsOf({
        ...VALID,
        condition: { kind: 'threshold', metric: 'level_cm', op: 'below', value: 10, clear: 5 },
      }),
    ).toEqual(['condition.clear CLEAR_LEVEL_WRONG_SIDE']);
  });

  it('scopes KPI rules by unit and sector only, and checks KPI codes when it knows them', () => {
    const kpiRule = {
      ...VALID,
      scope: { type: 'water-level', device: 'wl-1', unit: '48' },
      condition: { kind: 'kpi', kpi: 'on-time-rate', op: 'below', target: 90 },
      message: { vi: 'Tỷ lệ {value}% < {target}%', en: 'Rate {value}% < {target}%' },
    };
    expect(problemsOf(kpiRule)).toEqual([
      'scope.device SCOPE_NOT_FOR_KPI',
      'scope.type SCOPE_NOT_FOR_KPI',
    ]);
    const known = { ...context, kpis: new Set(['overdue-share']) };
    expect(problemsOf({ ...kpiRule, scope: { unit: '48' } }, {}, known)).toEqual([
      'condition.kpi KPI_UNKNOWN',
    ]);
  });

  it('accepts only the placeholders of the condition kind in message templates', () => {
    const checked = checkRuleInput(
      {
        ...VALID,
        condition: { kind: 'offline' },
        message: {
          vi: '{deviceName} mất kết nối tại {area}',
          en: '{device} offline, {value} {nonsense}',
        },
      },
      context,
    );
    expect(checked.ok ? [] : checked.problems).toEqual([
      {
        field: 'message.en',
        code: 'TEMPLATE_PLACEHOLDER_UNKNOWN',
        message: expect.stringMatching(
          /^\{value\}, \{nonsense\} cannot be used in offline rules; use \{rule\}/,
        ),
      },
    ]);
  });

  it('refuses blank text and an id that contradicts the URL', () => {
    expect(problemsOf({ ...VALID, name: { vi: '   ', en: 'x' } })).toEqual(['name.vi FIELD_EMPTY']);
    expect(problemsOf(VALID, { id: 'other' })).toEqual(['id RULE_ID_MISMATCH']);
    expect(problemsOf({ ...VALID, id: undefined }, { id: 'other' })).toEqual([]);
  });

  it('the exported schema describes the same input (for the API docs)', () => {
    expect(RuleInputSchema.required).toEqual(['name', 'severity', 'condition', 'message']);
    expect(Object.keys(RuleInputSchema.properties)).toEqual([
      'id',
      'name',
      'enabled',
      'severity',
      'scope',
      'condition',
      'message',
      'rateLimit',
    ]);
  });
});
