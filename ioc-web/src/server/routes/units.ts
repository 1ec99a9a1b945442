import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { type AdminUnit, ApiError } from '@ioc/core';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { WebContext } from '../context.js';

/** A unit as listed: everything but the geometry, which is large. */
function listed(unit: AdminUnit) {
  const { geometry: _geometry, properties: _properties, ...rest } = unit;
  return rest;
}

/** The administrative-unit tree of the configured dataset. */
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
      if (request.query.format === 'geojson') return ctx.units.toFeatureCollection();
      return { dataset: ctx.unitDataset, units: ctx.units.all().map(listed) };
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
      if (!unit) {
        throw new ApiError(
          404,
          'OUTSIDE_UNITS',
          'the point lies outside every unit of this dataset',
        );
      }
      return { unit: listed(unit), ancestors: ctx.units.ancestors(unit.code).map(listed) };
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
      if (!unit) {
        throw new ApiError(404, 'UNIT_NOT_FOUND', `no unit with code "${request.params.code}"`);
      }
      return {
        unit: { ...listed(unit), geometry: unit.geometry },
        ancestors: ctx.units.ancestors(unit.code).map(listed),
        children: ctx.units.children(unit.code).map(listed),
      };
    },
  );
}
