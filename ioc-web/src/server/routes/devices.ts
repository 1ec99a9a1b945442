import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ApiError } from '@ioc/core';
import { type DeviceImportFormat, parseDeviceImport } from '@ioc/devices';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { scopedList } from '../access/scoped-list.js';
import { accessOf, requireRole } from '../authentication.js';
import type { WebContext } from '../context.js';
import { actorOf } from './auth.js';

const DeviceId = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

const ProvisionBody = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 64 }),
    type: Type.String({ minLength: 1 }),
    unit: Type.String({ minLength: 1 }),
    name: Type.Optional(Type.String({ maxLength: 200 })),
    sector: Type.Optional(Type.String()),
    lat: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
    lon: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
    tags: Type.Optional(Type.Record(Type.String(), Type.String())),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

/**
 * The device registry over REST: catalogue; listing and reading within the caller's rooms;
 * commands by operators within the rooms they operate; provisioning (the secret is in the
 * answer once), rotation, enabling/disabling, revocation and bulk import by admins.
 */
export async function deviceRoutes(app: FastifyInstance, ctx: WebContext): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const adminOnly = requireRole('admin');
  const mayCommand = requireRole('admin', 'ioc-operator', 'room-operator');
  // CSV imports arrive as text; JSON imports as an array (application/json).
  app.addContentTypeParser(
    ['text/csv', 'text/plain'],
    { parseAs: 'string', bodyLimit: 5 * 1024 * 1024 },
    (_request, body, done) => done(null, body),
  );
  const audit = (
    request: Parameters<typeof actorOf>[0],
    action: string,
    target: string,
    details?: Record<string, unknown>,
  ) => ctx.audit.record({ actor: actorOf(request), action, target, ip: request.ip, details });

  api.get(
    '/api/v1/device-types',
    {
      schema: { tags: ['devices'], summary: 'The device catalogue: types, metrics, units, ranges' },
    },
    async () => ({ types: ctx.catalogue.types() }),
  );

  api.get(
    '/api/v1/devices',
    {
      schema: {
        tags: ['devices'],
        summary: 'List devices in your rooms (filter by type, unit subtree, sector)',
        querystring: Type.Object({
          type: Type.Optional(Type.String()),
          unit: Type.Optional(Type.String()),
          sector: Type.Optional(Type.String()),
          includeRevoked: Type.Boolean({ default: false }),
          limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
          offset: Type.Integer({ minimum: 0, default: 0 }),
        }),
      },
    },
    async (request) => {
      const { limit, offset, ...query } = request.query;
      const page = await scopedList({
        scope: accessOf(request).view,
        query,
        limit,
        offset,
        read: async (q, l, o) => {
          const { devices, total } = await ctx.devices.list({ ...q, limit: l, offset: o });
          return { items: devices, total };
        },
        allows: (device) => accessOf(request).view.allowsDevice(device),
      });
      return { devices: page.items, total: page.total };
    },
  );

  api.post(
    '/api/v1/devices',
    {
      preHandler: adminOnly,
      schema: {
        tags: ['devices'],
        summary: 'Provision a device; the secret is shown only in this answer',
        body: ProvisionBody,
      },
    },
    async (request, reply) => {
      const { device, secret } = await ctx.devices.provision(request.body);
      await audit(request, 'device.provision', `device:${device.id}`, {
        type: device.type,
        unit: device.unit,
      });
      return reply.status(201).send({ device, secret });
    },
  );

  api.post(
    '/api/v1/devices/import',
    {
      preHandler: adminOnly,
      schema: {
        tags: ['devices'],
        summary: 'Bulk import from CSV or JSON; good rows are created, bad rows reported',
        querystring: Type.Object({
          format: Type.Union([Type.Literal('csv'), Type.Literal('json')]),
          dryRun: Type.Boolean({ default: false }),
        }),
        body: Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.Unknown())]),
      },
    },
    async (request) => {
      const text = typeof request.body === 'string' ? request.body : JSON.stringify(request.body);
      const batch = parseDeviceImport(text, request.query.format as DeviceImportFormat);
      const report = await ctx.devices.importDevices(batch.rows, {
        dryRun: request.query.dryRun,
        firstRow: batch.firstRow,
      });
      if (!report.dryRun) {
        await audit(request, 'device.import', `devices:${report.created.length}`, {
          created: report.created.map((d) => d.id),
          errors: report.errors.length,
        });
      }
      return report;
    },
  );

  api.get(
    '/api/v1/devices/:id',
    {
      schema: { tags: ['devices'], summary: 'One device (in your rooms)', params: DeviceId },
    },
    async (request) => ({ device: await requireDevice(ctx, request.params.id, request) }),
  );

  api.post(
    '/api/v1/devices/:id/rotate',
    {
      preHandler: adminOnly,
      schema: {
        tags: ['devices'],
        summary: 'New secret (shown once); the old one stops working',
        params: DeviceId,
      },
    },
    async (request) => {
      const secret = await ctx.devices.rotateSecret(request.params.id);
      await audit(request, 'device.rotate', `device:${request.params.id}`);
      return { id: request.params.id, secret };
    },
  );

  api.post(
    '/api/v1/devices/:id/revoke',
    {
      preHandler: adminOnly,
      schema: { tags: ['devices'], summary: 'Revoke a device for good', params: DeviceId },
    },
    async (request) => {
      const device = await ctx.devices.revoke(request.params.id);
      await audit(request, 'device.revoke', `device:${device.id}`);
      return { device };
    },
  );

  for (const enabled of [true, false]) {
    const verb = enabled ? 'enable' : 'disable';
    api.post(
      `/api/v1/devices/:id/${verb}`,
      {
        preHandler: adminOnly,
        schema: {
          tags: ['devices'],
          summary: enabled
            ? 'Re-enable a disabled device: it may log in to the broker again'
            : 'Disable a device: its broker login is refused and an open connection is closed',
          params: DeviceId,
        },
      },
      async (request) => {
        const current = await requireDevice(ctx, request.params.id, request);
        // The registry lets a revoked device be "disabled" silently; over REST both are refused
        // so an admin is not misled into thinking the switch means anything for it.
        if (current.revokedAt) {
          throw new ApiError(
            409,
            'DEVICE_REVOKED',
            `device "${current.id}" was revoked at ${current.revokedAt}, which is final; it cannot be ${verb}d`,
          );
        }
        const device = await ctx.devices.setEnabled(current.id, enabled);
        await audit(request, `device.${verb}`, `device:${device.id}`);
        return { device };
      },
    );
  }

  api.post(
    '/api/v1/devices/:id/commands',
    {
      preHandler: mayCommand,
      schema: {
        tags: ['devices'],
        summary: "Send a command to the device's commands topic (operators, in their rooms)",
        params: DeviceId,
        body: Type.Object({}, { additionalProperties: true }),
      },
    },
    async (request, reply) => {
      const device = await requireDevice(ctx, request.params.id, request);
      if (!accessOf(request).act.allowsDevice(device)) {
        throw new ApiError(
          403,
          'FORBIDDEN',
          `you watch device "${device.id}" but do not operate a room that covers it`,
        );
      }
      if (device.revokedAt)
        throw new ApiError(409, 'DEVICE_REVOKED', `device "${device.id}" is revoked`);
      if (!ctx.sendCommand) {
        throw new ApiError(503, 'BROKER_UNAVAILABLE', 'no MQTT broker runs in this process');
      }
      await ctx.sendCommand(device.id, request.body);
      await audit(request, 'device.command', `device:${device.id}`, {
        command: request.body as Record<string, unknown>,
      });
      return reply.status(202).send({ sent: true });
    },
  );
}

/** The device, or 404 alike for an unknown id and a device outside the caller's rooms. */
async function requireDevice(ctx: WebContext, id: string, request: FastifyRequest) {
  const device = await ctx.devices.get(id);
  if (!device || !accessOf(request).view.allowsDevice(device))
    throw new ApiError(404, 'DEVICE_NOT_FOUND', `no device with id "${id}"`);
  return device;
}
