import { type Static, Type } from '@sinclair/typebox';

const Text = Type.Object(
  { vi: Type.String({ minLength: 1 }), en: Type.String({ minLength: 1 }) },
  { additionalProperties: false, description: 'Vietnamese first, English second.' },
);

/** KPI codes: what integrators send and what InfluxDB's `kpi` tag holds. */
export const KPI_CODE_PATTERN = '^[a-z][a-z0-9_]{0,63}$';
const Code = Type.String({ pattern: KPI_CODE_PATTERN });

const Common = {
  code: Code,
  name: Text,
  description: Type.Optional(Text),
  unitOfMeasure: Text,
  direction: Type.Union([Type.Literal('higher'), Type.Literal('lower'), Type.Literal('neutral')], {
    description: 'Which way is better; neutral for volumes that are neither good nor bad.',
  }),
  target: Type.Union([Type.Number(), Type.Null()], { default: null }),
  sector: Type.String({ minLength: 1 }),
  category: Type.String({
    minLength: 1,
    description: 'Group for displays, e.g. one-stop or online-services.',
  }),
};

/** Limits a stored figure must respect (counts are non-negative integers). */
const ValueRules = {
  min: Type.Optional(Type.Number()),
  max: Type.Optional(Type.Number()),
  integer: Type.Optional(Type.Boolean()),
};

const StoredSum = Type.Object(
  {
    ...Common,
    ...ValueRules,
    rollup: Type.Literal('sum'),
    time: Type.Union([Type.Literal('sum'), Type.Literal('last')], {
      description:
        'Over time: sum for flows (dossiers received per day), last for stocks (in progress at day end).',
    }),
  },
  { additionalProperties: false },
);

const StoredMean = Type.Object(
  {
    ...Common,
    ...ValueRules,
    rollup: Type.Literal('mean'),
    time: Type.Union([Type.Literal('mean'), Type.Literal('last')]),
  },
  { additionalProperties: false },
);

const Ratio = Type.Object(
  {
    ...Common,
    rollup: Type.Literal('ratio'),
    numerator: Type.Array(Code, { minItems: 1 }),
    denominator: Type.Array(Code, { minItems: 1 }),
    scale: Type.Number({ exclusiveMinimum: 0, default: 1, description: '100 for a percentage.' }),
  },
  { additionalProperties: false },
);

export const KpiDefinitionSchema = Type.Union([StoredSum, StoredMean, Ratio]);

/** A file of KPI definitions (`ingest/data/kpis.json`, or `ingest.kpiFile`). */
export const KpiFileSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    replaceDefaults: Type.Optional(
      Type.Boolean({
        description: 'Drop the shipped defaults instead of extending/overriding them.',
      }),
    ),
    kpis: Type.Array(KpiDefinitionSchema),
  },
  { additionalProperties: false },
);

/**
 * A public-service KPI. Stored KPIs (`sum`, `mean`) take observations; `ratio` KPIs are
 * derived at read time from the rolled-up sums of other KPIs (never an average of ratios),
 * so they cannot be written.
 */
export type KpiDefinition = Static<typeof KpiDefinitionSchema>;
export type StoredKpiDefinition = Static<typeof StoredSum> | Static<typeof StoredMean>;
export type RatioKpiDefinition = Static<typeof Ratio>;
export type KpiFile = Static<typeof KpiFileSchema>;

export function isRatio(definition: KpiDefinition): definition is RatioKpiDefinition {
  return definition.rollup === 'ratio';
}
