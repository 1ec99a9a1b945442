import type { AlertSeverity } from '@ioc/core';
import { type Static, type TSchema, Type } from '@sinclair/typebox';

/** Rule ids: lower-case slugs, so they read well in URLs, logs and alert sources. */
export const RULE_ID_PATTERN = '^[a-z0-9][a-z0-9._-]{0,63}$';
const CODE_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';

export const ALERT_SEVERITIES: readonly AlertSeverity[] = [
  'critical',
  'major',
  'minor',
  'warning',
  'info',
];

/** At most this many raises per rule in a burst, refilled evenly over `perS` seconds. */
export const DEFAULT_RATE_LIMIT = { raises: 20, perS: 60 } as const;
/** Missing data: silent for this many expected report intervals unless the rule says. */
export const DEFAULT_MISSING_FACTOR = 3;
/** Longest "for" duration and rate window: a week. */
const MAX_DURATION_S = 7 * 86_400;

const Text = (description: string, maxLength: number) =>
  Type.String({ minLength: 1, maxLength, description });

const Localized = (what: string, maxLength: number) =>
  Type.Object(
    {
      vi: Text(`${what} in Vietnamese`, maxLength),
      en: Text(`${what} in English`, maxLength),
    },
    { additionalProperties: false, description: `${what} in Vietnamese and English` },
  );

const Metric = Type.String({
  pattern: CODE_PATTERN,
  description: 'a metric key of the device type, e.g. "level_cm"',
});

const ForS = Type.Number({
  minimum: 0,
  maximum: MAX_DURATION_S,
  description: 'seconds the condition must hold before the alert is raised (0: at once)',
});

export const ThresholdConditionSchema = Type.Object(
  {
    kind: Type.Literal('threshold'),
    metric: Metric,
    op: Type.Union([Type.Literal('above'), Type.Literal('below')], {
      description: '"above" or "below"',
    }),
    value: Type.Number({ description: 'the threshold: raise when the metric passes it' }),
    clear: Type.Optional(
      Type.Number({
        description:
          'the clear level (hysteresis): the alert clears only once the metric is back past it; default: the threshold',
      }),
    ),
    forS: Type.Optional(ForS),
  },
  { additionalProperties: false, description: 'threshold above/below with hysteresis' },
);

export const RateConditionSchema = Type.Object(
  {
    kind: Type.Literal('rate'),
    metric: Metric,
    direction: Type.Union([Type.Literal('rise'), Type.Literal('fall')], {
      description: '"rise" or "fall"',
    }),
    by: Type.Number({
      exclusiveMinimum: 0,
      description: 'how much the metric must change within the window (a positive number)',
    }),
    windowS: Type.Number({
      minimum: 1,
      maximum: MAX_DURATION_S,
      description: 'the window in seconds',
    }),
  },
  { additionalProperties: false, description: 'rate of change over a window' },
);

export const MissingDataConditionSchema = Type.Object(
  {
    kind: Type.Literal('missing-data'),
    metric: Type.Optional(Metric),
    factor: Type.Optional(
      Type.Number({
        minimum: 1,
        maximum: 1000,
        description: `how many expected report intervals of silence count as missing (default ${DEFAULT_MISSING_FACTOR})`,
      }),
    ),
  },
  {
    additionalProperties: false,
    description: "no report (of a metric, or at all) for factor × the device type's interval",
  },
);

export const OfflineConditionSchema = Type.Object(
  { kind: Type.Literal('offline'), forS: Type.Optional(ForS) },
  { additionalProperties: false, description: 'the device is offline (broker presence)' },
);

export const KpiConditionSchema = Type.Object(
  {
    kind: Type.Literal('kpi'),
    kpi: Type.String({ pattern: CODE_PATTERN, description: 'a KPI code, e.g. "on-time-rate"' }),
    op: Type.Union([Type.Literal('below'), Type.Literal('above')], {
      description: '"below" or "above"',
    }),
    target: Type.Number({ description: 'raise when the KPI is below/above this value' }),
  },
  { additionalProperties: false, description: 'a public-service KPI below/above its target' },
);

/** Every condition kind with its schema, for validation one kind at a time. */
export const CONDITION_SCHEMAS = {
  threshold: ThresholdConditionSchema,
  rate: RateConditionSchema,
  'missing-data': MissingDataConditionSchema,
  offline: OfflineConditionSchema,
  kpi: KpiConditionSchema,
} as const satisfies Record<string, TSchema>;

export type ConditionKind = keyof typeof CONDITION_SCHEMAS;
export const CONDITION_KINDS = Object.keys(CONDITION_SCHEMAS) as ConditionKind[];

export const ConditionSchema = Type.Union(Object.values(CONDITION_SCHEMAS), {
  description: 'what makes the rule fire',
});

export const RuleScopeSchema = Type.Object(
  {
    device: Type.Optional(
      Type.String({ pattern: CODE_PATTERN, description: 'a single device id' }),
    ),
    type: Type.Optional(Type.String({ pattern: CODE_PATTERN, description: 'a device type id' })),
    sector: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'a sector' })),
    unit: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description: 'an administrative unit code: the unit and every unit below it',
      }),
    ),
  },
  {
    additionalProperties: false,
    description: 'which sources the rule watches; all given fields must match ({} = all)',
  },
);

export const RateLimitSchema = Type.Object(
  {
    raises: Type.Integer({
      minimum: 1,
      maximum: 100_000,
      description: 'a whole number of raises allowed in a burst',
    }),
    perS: Type.Integer({
      minimum: 1,
      maximum: 86_400,
      description: 'whole seconds over which the burst refills',
    }),
  },
  {
    additionalProperties: false,
    description: `at most this many raises per rule (default ${DEFAULT_RATE_LIMIT.raises} per ${DEFAULT_RATE_LIMIT.perS} s); the rest wait`,
  },
);

/** A rule as an administrator writes it (POST/PUT body, one entry of the rules file). */
export const RuleInputSchema = Type.Object(
  {
    id: Type.Optional(
      Type.String({
        pattern: RULE_ID_PATTERN,
        description: 'lower-case letters, digits, ".", "_", "-" (1-64); generated when absent',
      }),
    ),
    name: Localized('the rule name', 200),
    enabled: Type.Optional(Type.Boolean({ description: 'default true' })),
    severity: Type.Union(
      ALERT_SEVERITIES.map((s) => Type.Literal(s)),
      { description: 'critical, major, minor, warning or info' },
    ),
    scope: Type.Optional(RuleScopeSchema),
    condition: ConditionSchema,
    message: Localized('the alert message template ({device}, {value}, {threshold}...)', 500),
    rateLimit: Type.Optional(RateLimitSchema),
  },
  { additionalProperties: false, description: 'an alert rule' },
);

export type ThresholdCondition = Static<typeof ThresholdConditionSchema>;
export type RateCondition = Static<typeof RateConditionSchema>;
export type MissingDataCondition = Static<typeof MissingDataConditionSchema>;
export type OfflineCondition = Static<typeof OfflineConditionSchema>;
export type KpiCondition = Static<typeof KpiConditionSchema>;
export type RuleCondition = Static<typeof ConditionSchema>;
export type RuleScope = Static<typeof RuleScopeSchema>;
export type RuleRateLimit = Static<typeof RateLimitSchema>;
export type RuleInput = Static<typeof RuleInputSchema>;

/** Where a rule is managed: over the API, or by the rules file (read-only over the API). */
export type RuleOrigin = 'api' | 'file';

/** A stored rule: checked, normalised (NFC, trimmed), defaults applied. Times ISO 8601 UTC. */
export type Rule = {
  id: string;
  name: { vi: string; en: string };
  enabled: boolean;
  severity: AlertSeverity;
  scope: RuleScope;
  condition: RuleCondition;
  message: { vi: string; en: string };
  rateLimit: RuleRateLimit;
  origin: RuleOrigin;
  createdAt: string;
  updatedAt: string;
  createdBy: string | null;
  updatedBy: string | null;
};

/** A checked rule before it is stored. */
export type NewRule = Omit<Rule, 'origin' | 'createdAt' | 'updatedAt' | 'createdBy' | 'updatedBy'>;

/** The metric a telemetry condition reads; undefined for offline, KPI and any-metric rules. */
export function conditionMetric(condition: RuleCondition): string | undefined {
  return 'metric' in condition ? condition.metric : undefined;
}
