import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ApiError } from '@ioc/core';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { AccessScope } from '../access/access-scope.js';
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

  api.get(
    '/api/v1/telemetry/at',
    {
      schema: {
        tags: ['telemetry'],
        summary: 'Every sensor value as it stood at a past time (time travel)',
        description:
          "Each device's last value of each metric at or before `at`, looking back one day, " +
          'for the devices in your rooms (and in `room`, when named).',
        querystring: Type.Object({
          at: Type.String({ format: 'date-time', description: 'ISO 8601' }),
          room: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
        }),
      },
    },
    async (request) => {
      if (!ctx.telemetryAt) {
        throw new ApiError(503, 'INFLUX_UNAVAILABLE', 'InfluxDB is not connected in this process');
      }
      const at = new Date(request.query.at);
      if (at.getTime() > Date.now() + 60_000) {
        throw new ApiError(400, 'INVALID_QUERY', 'at must not be in the future');
      }
      const access = accessOf(request);
      const scopes = [access.view];
      const roomId = request.query.room;
      if (roomId !== undefined) {
        const room = await ctx.rooms?.get(roomId);
        if (!room || (access.rooms !== 'all' && !access.rooms.includes(roomId))) {
          throw new ApiError(404, 'ROOM_NOT_FOUND', `no room with id "${roomId}"`);
        }
        scopes.push(AccessScope.ofRooms(ctx.units, [room.scope]));
      }
      const devices = (await ctx.telemetryAt.valuesAt(at)).filter((d) =>
        scopes.every((scope) => scope.allows(d.unit, d.sector)),
      );
      return { at: at.toISOString(), devices };
    },
  );
}
