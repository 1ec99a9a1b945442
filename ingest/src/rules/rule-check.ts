import { randomBytes } from 'node:crypto';
import type { AdminUnitTree } from '@ioc/core';
import { type DeviceCatalogue, isSector, SECTOR_IDS } from '@ioc/devices';
import { Type } from '@sinclair/typebox';
import { Value, type ValueError, ValueErrorType } from '@sinclair/typebox/value';
import {
  CONDITION_KINDS,
  CONDITION_SCHEMAS,
  type ConditionKind,
  DEFAULT_MISSING_FACTOR,
  DEFAULT_RATE_LIMIT,
  type NewRule,
  type RuleCondition,
  type RuleInput,
  RuleInputSchema,
  type RuleScope,
} from './rule.js';
import { PLACEHOLDERS, placeholdersOf } from './template.js';

/** One thing wrong with a rule: the field (dotted path), a stable code, what to fix. */
export interface RuleProblem {
  field: string;
  code: string;
  message: string;
}

export type CheckedRule = { ok: true; rule: NewRule } | { ok: false; problems: RuleProblem[] };

/** What a rule is checked against. */
export interface RuleCheckContext {
  catalogue: DeviceCatalogue;
  units: AdminUnitTree;
  /** Known KPI codes; when absent any well-formed code is accepted. */
  kpis?: { has(code: string): boolean };
}

// The rule's shape with the condition checked only for its kind; the condition of that kind
// is then checked on its own, so its errors name its fields rather than "no union member".
const RuleShapeSchema = Type.Object(
  {
    ...RuleInputSchema.properties,
    condition: Type.Object(
      {
        kind: Type.Union(
          CONDITION_KINDS.map((kind) => Type.Literal(kind)),
          { description: `one of ${CONDITION_KINDS.join(', ')}` },
        ),
      },
      { additionalProperties: true, description: 'an object with a "kind" and its fields' },
    ),
  },
  { additionalProperties: false },
);

/**
 * Checks a rule as an administrator wrote it and returns it normalised (NFC, trimmed,
 * defaults filled in), or every problem found, each naming its field. `id` is the rule
 * being replaced (PUT), which the input may repeat but not contradict.
 */
export function checkRuleInput(
  input: unknown,
  context: RuleCheckContext,
  options: { id?: string } = {},
): CheckedRule {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return fail([{ field: '', code: 'RULE_NOT_OBJECT', message: 'a rule is a JSON object' }]);
  }
  const structural = schemaProblems(RuleShapeSchema, input, '');
  const condition = (input as { condition?: { kind?: unknown } }).condition;
  const kind = condition?.kind;
  if (typeof kind === 'string' && Object.hasOwn(CONDITION_SCHEMAS, kind)) {
    structural.push(
      ...schemaProblems(CONDITION_SCHEMAS[kind as ConditionKind], condition, 'condition'),
    );
  }

  // Each further check runs on the parts that have the right shape, so that one answer
  // names every problem.
  const wrong = new Set(structural.map((p) => p.field.split('.')[0]));
  const fine = (...fields: string[]) => fields.every((field) => !wrong.has(field));
  const rule = input as RuleInput;
  const scope = fine('scope') ? { ...rule.scope } : undefined;
  const checked = fine('condition') ? withDefaults(rule.condition) : undefined;
  const message = fine('message') ? nfcText(rule.message) : undefined;
  const problems = [
    ...structural,
    ...(fine('id') ? idProblems(rule, options.id) : []),
    ...(fine('name') ? textProblems('name', nfcText(rule.name)) : []),
    ...(message ? textProblems('message', message) : []),
    ...(scope ? scopeProblems(scope, checked, context) : []),
    ...(scope && checked ? conditionProblems(scope, checked, context) : []),
    ...(message && checked ? templateProblems(message, checked) : []),
  ];
  return problems.length > 0 ? fail(problems) : { ok: true, rule: normalise(rule, options.id) };
}

function nfcText(text: { vi: string; en: string }): { vi: string; en: string } {
  return { vi: text.vi.normalize('NFC').trim(), en: text.en.normalize('NFC').trim() };
}

function fail(problems: RuleProblem[]): CheckedRule {
  return { ok: false, problems };
}

function normalise(input: RuleInput, id: string | undefined): NewRule {
  return {
    id: id ?? input.id ?? `rule-${randomBytes(6).toString('hex')}`,
    name: nfcText(input.name),
    enabled: input.enabled ?? true,
    severity: input.severity,
    scope: { ...input.scope },
    condition: withDefaults(input.condition),
    message: nfcText(input.message),
    rateLimit: input.rateLimit ?? { ...DEFAULT_RATE_LIMIT },
  };
}

function withDefaults(condition: RuleCondition): RuleCondition {
  switch (condition.kind) {
    case 'threshold':
      return { ...condition, clear: condition.clear ?? condition.value, forS: condition.forS ?? 0 };
    case 'missing-data':
      return { ...condition, factor: condition.factor ?? DEFAULT_MISSING_FACTOR };
    case 'offline':
      return { ...condition, forS: condition.forS ?? 0 };
    default:
      return { ...condition };
  }
}

function idProblems(input: RuleInput, id: string | undefined): RuleProblem[] {
  if (id === undefined || input.id === undefined || input.id === id) return [];
  return [
    {
      field: 'id',
      code: 'RULE_ID_MISMATCH',
      message: `the body names rule "${input.id}" but the URL names "${id}"; leave "id" out or make them equal`,
    },
  ];
}

function textProblems(field: 'name' | 'message', text: { vi: string; en: string }): RuleProblem[] {
  const problems: RuleProblem[] = [];
  for (const language of ['vi', 'en'] as const) {
    if (text[language] === '') {
      problems.push({
        field: `${field}.${language}`,
        code: 'FIELD_EMPTY',
        message: `${field}.${language} is blank; write the text`,
      });
    }
  }
  return problems;
}

function scopeProblems(
  scope: RuleScope,
  condition: RuleCondition | undefined,
  { catalogue, units }: RuleCheckContext,
): RuleProblem[] {
  const problems: RuleProblem[] = [];
  if (scope.type !== undefined && !catalogue.has(scope.type)) {
    problems.push({
      field: 'scope.type',
      code: 'TYPE_UNKNOWN',
      message: `device type "${scope.type}" is not in the catalogue; use one of ${catalogue
        .types()
        .map((t) => t.id)
        .join(', ')}`,
    });
  }
  if (scope.sector !== undefined && !isSector(scope.sector)) {
    problems.push({
      field: 'scope.sector',
      code: 'SECTOR_UNKNOWN',
      message: `"${scope.sector}" is not a sector; use one of ${SECTOR_IDS.join(', ')}`,
    });
  }
  if (scope.unit !== undefined && !units.has(scope.unit)) {
    problems.push({
      field: 'scope.unit',
      code: 'UNIT_UNKNOWN',
      message: `unit "${scope.unit}" is not an administrative unit of dataset ${units.dataset.id}`,
    });
  }
  if (condition?.kind === 'kpi') {
    for (const field of ['device', 'type'] as const) {
      if (scope[field] !== undefined) {
        problems.push({
          field: `scope.${field}`,
          code: 'SCOPE_NOT_FOR_KPI',
          message: `a KPI rule is scoped by unit and sector only; remove scope.${field}`,
        });
      }
    }
  }
  return problems;
}

function conditionProblems(
  scope: RuleScope,
  condition: RuleCondition,
  context: RuleCheckContext,
): RuleProblem[] {
  const problems: RuleProblem[] = [];
  if (condition.kind === 'threshold') {
    const clear = condition.clear ?? condition.value;
    const wrongSide = condition.op === 'above' ? clear > condition.value : clear < condition.value;
    if (wrongSide) {
      problems.push({
        field: 'condition.clear',
        code: 'CLEAR_LEVEL_WRONG_SIDE',
        message: `for a threshold ${condition.op} ${condition.value} the clear level must be at or ${condition.op === 'above' ? 'below' : 'above'} it; got ${clear}`,
      });
    }
  }
  if (condition.kind === 'kpi' && context.kpis && !context.kpis.has(condition.kpi)) {
    problems.push({
      field: 'condition.kpi',
      code: 'KPI_UNKNOWN',
      message: `KPI "${condition.kpi}" is not defined; define it first or correct the code`,
    });
  }
  if ('metric' in condition && condition.metric !== undefined) {
    const problem = metricProblem(scope, condition.metric, condition.kind, context.catalogue);
    if (problem) problems.push(problem);
  }
  return problems;
}

/** The metric must exist (in the scoped type, or in some type) and be numeric for comparisons. */
function metricProblem(
  scope: RuleScope,
  metric: string,
  kind: ConditionKind,
  catalogue: DeviceCatalogue,
): RuleProblem | undefined {
  const types =
    scope.type !== undefined
      ? catalogue.types().filter((t) => t.id === scope.type)
      : catalogue.types();
  if (types.length === 0) return undefined; // the unknown type is reported already
  const found = types.flatMap((t) => t.metrics.filter((m) => m.key === metric));
  if (found.length === 0) {
    const where = scope.type !== undefined ? `type "${scope.type}"` : 'no device type';
    const known =
      scope.type !== undefined
        ? `; it has ${types[0]?.metrics.map((m) => m.key).join(', ')}`
        : '; check the spelling against GET /api/v1/device-types';
    return {
      field: 'condition.metric',
      code: 'METRIC_UNKNOWN',
      message: `${where} ${scope.type !== undefined ? 'has no' : 'has a'} metric "${metric}"${known}`,
    };
  }
  if ((kind === 'threshold' || kind === 'rate') && found.every((m) => m.kind === 'boolean')) {
    return {
      field: 'condition.metric',
      code: 'METRIC_NOT_NUMERIC',
      message: `metric "${metric}" is a yes/no value; a ${kind} rule needs a number`,
    };
  }
  return undefined;
}

function templateProblems(
  message: { vi: string; en: string },
  condition: RuleCondition,
): RuleProblem[] {
  const allowed = PLACEHOLDERS[condition.kind];
  const problems: RuleProblem[] = [];
  for (const language of ['vi', 'en'] as const) {
    const unknown = placeholdersOf(message[language]).filter((p) => !allowed.includes(p));
    if (unknown.length > 0) {
      problems.push({
        field: `message.${language}`,
        code: 'TEMPLATE_PLACEHOLDER_UNKNOWN',
        message: `${unknown.map((p) => `{${p}}`).join(', ')} cannot be used in ${condition.kind} rules; use ${allowed.map((p) => `{${p}}`).join(', ')}`,
      });
    }
  }
  return problems;
}

/** Schema errors as problems: the first error of each field, fields below it skipped. */
function schemaProblems(schema: Parameters<typeof Value.Errors>[0], value: unknown, at: string) {
  const problems: RuleProblem[] = [];
  const seen: string[] = [];
  for (const error of Value.Errors(schema, value)) {
    const field = [at, ...error.path.split('/').slice(1)].filter(Boolean).join('.');
    if (seen.some((s) => field === s || field.startsWith(`${s}.`))) continue;
    seen.push(field);
    problems.push({ field, ...describe(error, field) });
  }
  return problems;
}

function describe(error: ValueError, field: string): { code: string; message: string } {
  const expected = (error.schema.description as string | undefined) ?? error.message;
  const name = field || 'the rule';
  // A missing required field, or one given without a value.
  if (error.value === undefined) {
    return { code: 'FIELD_REQUIRED', message: `${name} is missing; add ${expected}` };
  }
  switch (error.type) {
    case ValueErrorType.ObjectAdditionalProperties:
      return {
        code: 'FIELD_UNKNOWN',
        message: `${name} is not a field of a rule; remove it or correct its spelling`,
      };
    case ValueErrorType.StringPattern:
      return { code: 'FIELD_FORMAT', message: `${name} is malformed; expected ${expected}` };
    case ValueErrorType.StringMinLength:
    case ValueErrorType.StringMaxLength:
    case ValueErrorType.NumberMinimum:
    case ValueErrorType.NumberMaximum:
    case ValueErrorType.NumberExclusiveMinimum:
    case ValueErrorType.NumberExclusiveMaximum:
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.IntegerMaximum:
      return {
        code: 'FIELD_OUT_OF_RANGE',
        message: `${name} is ${JSON.stringify(error.value)}: ${error.message.toLowerCase()} (${expected})`,
      };
    case ValueErrorType.Literal:
    case ValueErrorType.Union:
      return {
        code: 'FIELD_NOT_ALLOWED',
        message: `${name} is ${JSON.stringify(error.value)}; expected ${expected}`,
      };
    default:
      return {
        code: 'FIELD_WRONG_TYPE',
        message: `${name} is ${JSON.stringify(error.value) ?? 'missing'}; expected ${expected}`,
      };
  }
}
