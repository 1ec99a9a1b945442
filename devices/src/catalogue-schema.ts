import { type Static, Type } from '@sinclair/typebox';
import { SECTOR_IDS } from './sectors.js';

// The shape of devices/data/device-types.json (see devices/README.md). The loader checks
// the rules a schema cannot express: unique ids and keys, min ≤ max, integer bounds.

export const DEVICE_TYPE_ID_PATTERN = '^[a-z0-9][a-z0-9-]{0,62}$';
export const METRIC_KEY_PATTERN = '^[a-z][a-z0-9_]{0,62}$';
export const METRIC_KINDS = ['number', 'integer', 'boolean'] as const;

const Text = Type.String({ minLength: 1, description: 'non-empty text' });

const LocalizedTextSchema = Type.Object(
  { vi: Text, en: Text },
  { additionalProperties: false, description: '{"vi": "<Vietnamese>", "en": "<English>"}' },
);

const Bound = Type.Number({ description: 'a finite number' });

export const MetricSchema = Type.Object(
  {
    key: Type.String({
      pattern: METRIC_KEY_PATTERN,
      description: 'a metric key of lower-case letters, digits and _ (e.g. "level_cm")',
    }),
    name: LocalizedTextSchema,
    unit: Type.String({
      minLength: 1,
      maxLength: 32,
      description:
        'a UCUM-like ASCII unit symbol such as "cm", "mm/h", "ug/m3"; "1" when dimensionless',
    }),
    unitDisplay: Type.Optional(
      Type.String({ maxLength: 32, description: 'the unit as people read it, e.g. "µg/m³"' }),
    ),
    kind: Type.Union(
      METRIC_KINDS.map((kind) => Type.Literal(kind)),
      { description: `one of ${METRIC_KINDS.join(', ')}` },
    ),
    min: Type.Optional(Bound),
    max: Type.Optional(Bound),
  },
  { additionalProperties: false },
);

export const DeviceTypeSchema = Type.Object(
  {
    id: Type.String({
      pattern: DEVICE_TYPE_ID_PATTERN,
      description: 'a type id of lower-case letters, digits and - (e.g. "water-level")',
    }),
    name: LocalizedTextSchema,
    sector: Type.Union(
      SECTOR_IDS.map((sector) => Type.Literal(sector)),
      { description: `one of ${SECTOR_IDS.join(', ')}` },
    ),
    reportIntervalS: Type.Integer({
      minimum: 1,
      maximum: 86_400,
      description: 'the expected seconds between two reports, 1 to 86400',
    }),
    metrics: Type.Array(MetricSchema, { minItems: 1, description: 'at least one metric' }),
  },
  { additionalProperties: false },
);

export const DeviceCatalogueSchema = Type.Object(
  {
    description: Type.Optional(Type.String()),
    types: Type.Array(DeviceTypeSchema, { minItems: 1, description: 'at least one device type' }),
  },
  { additionalProperties: false },
);

export type MetricKind = (typeof METRIC_KINDS)[number];
export type MetricDefinition = Static<typeof MetricSchema>;
export type DeviceTypeDefinition = Static<typeof DeviceTypeSchema>;
export type DeviceCatalogueDefinition = Static<typeof DeviceCatalogueSchema>;
