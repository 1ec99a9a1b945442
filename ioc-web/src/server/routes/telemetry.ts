import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ApiError } from '@ioc/core';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { accessOf } from '../authentication.js';
import type { TelemetryReader, WebContext } from '../context.js';

/**
 * Telemetry history (InfluxDB, aggregated) and the latest values of a device (memory), for
 * devices in the caller's rooms; others answer exactly as unknown ids do.
 */
export async function telemetryRoutes(app: FastifyInstance, ctx: WebContext): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const reader = (): TelemetryReader => {
    if (!ctx.telemetry)
      throw new ApiError(503, 'INGEST_UNAVAILABLE', 'ingest does not run in this process');
    return ctx.telemetry;
  };

  api.get(
    '/api/v1/telemetry',
    {
      schema: {
        tags: ['telemetry'],
        summary: 'A metric of a device over time, aggregated per `every`',
        querystring: Type.Object({
          device: Type.String({ minLength: 1, maxLength: 64 }),
          metric: Type.String({ minLength: 1, maxLength: 64 }),
          from: Type.String({ format: 'date-time', description: 'ISO 8601' }),
          to: Type.Optional(
            Type.String({ format: 'date-time', description: 'ISO 8601; default now' }),
          ),
          every: Type.String({ pattern: '^[1-9][0-9]*(s|m|h|d)$', default: '5m' }),
          aggregate: Type.Union(
            [Type.Literal('mean'), Type.Literal('min'), Type.Literal('max'), Type.Literal('last')],
            { default: 'mean' },
          ),
        }),
      },
    },
    async (request) => {
      const { device, metric, from, to, every, aggregate } = request.query;
      const known = await ctx.devices.get(device);
      if (!known || !accessOf(request).view.allowsDevice(known)) {
        throw new ApiError(404, 'DEVICE_NOT_FOUND', `no device with id "${device}"`);
      }
      const samples = await reader().query({
        device,
        metric,
        from: new Date(from),
        to: to ? new Date(to) : new Date(),
        every,
        aggregate,
      });
      return { device, metric, every, aggregate, samples };
    },
  );

  api.get(
    '/api/v1/telemetry/latest',
    {
      schema: {
        tags: ['telemetry'],
        summary: 'The latest value of each metric of a device',
        querystring: Type.Object({ device: Type.String({ minLength: 1, maxLength: 64 }) }),
      },
    },
    async (request) => {
      const latest = reader().latest(request.query.device);
      const device = latest && (await ctx.devices.get(request.query.device));
      if (!latest || !device || !accessOf(request).view.allowsDevice(device)) {
        throw new ApiError(
          404,
          'NO_TELEMETRY',
          `no telemetry from "${request.query.device}" since the server started`,
        );
      }
      return latest;
    },
  );
}
