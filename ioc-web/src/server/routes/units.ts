import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { type AdminUnit, ApiError } from '@ioc/core';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { accessOf } from '../authentication.js';
import type { WebContext } from '../context.js';

/** A unit as listed: everything but the geometry, which is large. */
function listed(unit: AdminUnit) {
  const { geometry: _geometry, properties: _properties, ...rest } = unit;
  return rest;
}

/** What anyone signed in may know of a unit above their scope: where it sits and its name. */
function outlineOf(unit: AdminUnit) {
  const { code, name, nameEn, type, parentCode, level } = unit;
  return { code, name, nameEn, type, parentCode, level };
}

/**
 * The administrative-unit tree of the configured dataset, as far as the caller's rooms reach:
 * units in their scope in full; above it, only the outline (code, name, type, parent) for
 * navigation, flagged `outline: true`; other units answer as unknown codes do.
 */
export async function unitRoutes(app: FastifyInstance, ctx: WebContext): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.get(
    '/api/v1/units',
    {
      schema: {
        tags: ['units'],
        summary: 'All units (flat, parent codes); format=geojson gives boundaries too',
        querystring: Type.Object({
          format: Type.Union([Type.Literal('json'), Type.Literal('geojson')], { default: 'json' }),
        }),
      },
    },
    async (request) => {
      const scope = accessOf(request).view;
      const visible = scope.filterUnits(ctx.units.all());
      if (request.query.format === 'geojson') {
        return ctx.units.toFeatureCollection(visible.map((u) => u.code));
      }
      const outline = scope.outlineUnits().map((unit) => ({ ...outlineOf(unit), outline: true }));
      return { dataset: ctx.unitDataset, units: [...outline, ...visible.map(listed)] };
    },
  );

  api.get(
    '/api/v1/units/locate',
    {
      schema: {
        tags: ['units'],
        summary: 'The deepest unit containing a WGS84 point',
        querystring: Type.Object({
          lon: Type.Number({ minimum: -180, maximum: 180 }),
          lat: Type.Number({ minimum: -90, maximum: 90 }),
        }),
      },
    },
    async (request) => {
      const unit = ctx.units.locate(request.query.lon, request.query.lat);
      if (!unit || !accessOf(request).view.allowsUnit(unit.code)) {
        throw new ApiError(
          404,
          'OUTSIDE_UNITS',
          'the point lies outside every unit of this dataset',
        );
      }
      return { unit: listed(unit), ancestors: ctx.units.ancestors(unit.code).map(outlineOf) };
    },
  );

  api.get(
    '/api/v1/units/:code',
    {
      schema: {
        tags: ['units'],
        summary: 'One unit with its geometry, ancestors and children',
        params: Type.Object({ code: Type.String({ minLength: 1, maxLength: 32 }) }),
      },
    },
    async (request) => {
      const unit = ctx.units.get(request.params.code);
      const scope = accessOf(request).view;
      if (!unit || !scope.allowsUnit(unit.code)) {
        throw new ApiError(404, 'UNIT_NOT_FOUND', `no unit with code "${request.params.code}"`);
      }
      return {
        unit: { ...listed(unit), geometry: unit.geometry },
        ancestors: ctx.units.ancestors(unit.code).map(outlineOf),
        children: scope.filterUnits(ctx.units.children(unit.code)).map(listed),
      };
    },
  );
}
