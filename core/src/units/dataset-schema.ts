import { type Static, Type } from '@sinclair/typebox';
import { UNIT_TYPES } from './types.js';

// The shape of core/data/units/<dataset>.json. See core/data/units/README.md for the meaning
// of every field; the loader checks the rules a schema cannot express (layers.ts, dataset.ts).

const UnitTypeSchema = Type.Union(
  UNIT_TYPES.map((type) => Type.Literal(type)),
  { description: `one of ${UNIT_TYPES.join(', ')}` },
);

const PropertyName = Type.String({ minLength: 1, description: 'a feature property name' });

const TextFields = {
  name: Type.Optional(Type.String({ minLength: 1 })),
  nameEn: Type.Optional(Type.String({ minLength: 1 })),
  fullName: Type.Optional(Type.String({ minLength: 1 })),
  fullNameEn: Type.Optional(Type.String({ minLength: 1 })),
};

const InlineUnitSchema = Type.Object(
  {
    code: Type.String({ minLength: 1 }),
    name: Type.String({ minLength: 1 }),
    nameEn: TextFields.nameEn,
    fullName: TextFields.fullName,
    fullNameEn: TextFields.fullNameEn,
    type: UnitTypeSchema,
  },
  { additionalProperties: false },
);

const ParentSchema = Type.Union(
  [
    Type.Object({ code: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
    Type.Object({ property: PropertyName }, { additionalProperties: false }),
    Type.Object(
      {
        containedIn: Type.Union([Type.Integer({ minimum: 0 }), UnitTypeSchema]),
        fallback: Type.Optional(Type.Literal('nearest')),
      },
      { additionalProperties: false },
    ),
  ],
  {
    description:
      '{"code": "<unit code>"} or {"property": "<property>"} or {"containedIn": <layer index> | "<unit type>", "fallback"?: "nearest"}',
  },
);

export const LayerSchema = Type.Object(
  {
    file: Type.Optional(Type.String({ minLength: 1 })),
    units: Type.Optional(Type.Array(InlineUnitSchema, { minItems: 1 })),
    type: Type.Optional(UnitTypeSchema),
    typeFrom: Type.Optional(PropertyName),
    typeMap: Type.Optional(Type.Record(Type.String(), UnitTypeSchema)),
    filter: Type.Optional(Type.Record(Type.String(), Type.Array(Type.String(), { minItems: 1 }))),
    code: Type.Optional(PropertyName),
    codePrefix: Type.Optional(Type.String()),
    name: Type.Optional(PropertyName),
    nameEn: Type.Optional(PropertyName),
    fullName: Type.Optional(PropertyName),
    fullNameEn: Type.Optional(PropertyName),
    template: Type.Optional(Type.Object(TextFields, { additionalProperties: false })),
    parent: Type.Optional(ParentSchema),
  },
  { additionalProperties: false },
);

export const DATASET_ID_PATTERN = '^[a-z0-9][a-z0-9-]*$';

export const DatasetSchema = Type.Object(
  {
    id: Type.String({ pattern: DATASET_ID_PATTERN }),
    name: Type.String({ minLength: 1 }),
    description: Type.String(),
    layers: Type.Array(LayerSchema, { minItems: 1 }),
  },
  { additionalProperties: false },
);

export type LayerDefinition = Static<typeof LayerSchema>;
export type ParentDefinition = NonNullable<LayerDefinition['parent']>;
export type DatasetDefinition = Static<typeof DatasetSchema>;
