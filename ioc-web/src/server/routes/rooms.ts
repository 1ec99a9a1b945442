import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ApiError } from '@ioc/core';
import { isSector, SECTOR_IDS } from '@ioc/devices';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { accessOf, requireRole } from '../authentication.js';
import type { WebContext } from '../context.js';
import type { RoomInput, RoomStore } from '../rooms/room-store.js';
import { actorOf } from './auth.js';

const Text = Type.Object(
  {
    vi: Type.String({ minLength: 1, maxLength: 200 }),
    en: Type.String({ minLength: 1, maxLength: 200 }),
  },
  { additionalProperties: false },
);
const Slug = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$', description: 'Room id (slug)' });
const SceneSchema = Type.Object(
  {
    id: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }),
    title: Text,
    durationS: Type.Integer({ minimum: 5, maximum: 3600, description: 'Seconds on screen' }),
    view: Type.Object(
      {
        unit: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
        layers: Type.Array(Type.String({ pattern: '^[a-z][a-z0-9-]{0,31}$' }), { maxItems: 16 }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
const RoomBody = Type.Object(
  {
    name: Text,
    scope: Type.Object(
      {
        units: Type.Array(Type.String({ minLength: 1, maxLength: 32 }), {
          maxItems: 500,
          description: 'Unit codes, each with its subtree; empty: every unit',
        }),
        sectors: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
          maxItems: 16,
          description: 'Sectors; empty: every sector',
        }),
      },
      { additionalProperties: false },
    ),
    scenes: Type.Array(SceneSchema, { maxItems: 50, default: [] }),
    kiosk: Type.Object({ rotation: Type.Boolean() }, { default: { rotation: true } }),
  },
  { additionalProperties: false },
);
const RoomParams = Type.Object({ id: Slug });
const MemberParams = Type.Object({
  id: Slug,
  username: Type.String({ minLength: 1, maxLength: 64 }),
});

/**
 * Operating rooms: everyone lists the rooms they belong to (admins and IOC operators: all);
 * admins create, change and delete rooms and manage members, each action audited.
 */
export async function roomRoutes(app: FastifyInstance, ctx: WebContext): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const adminOnly = requireRole('admin');
  const store = (): RoomStore => {
    if (!ctx.rooms)
      throw new ApiError(503, 'ROOMS_UNAVAILABLE', 'rooms are not set up in this process');
    return ctx.rooms;
  };
  const audit = (
    request: FastifyRequest,
    action: string,
    target: string,
    details?: Record<string, unknown>,
  ) => ctx.audit.record({ actor: actorOf(request), action, target, ip: request.ip, details });
  const checked = (id: string, input: Static<typeof RoomBody>): RoomInput => {
    const body = { ...input, scenes: input.scenes ?? [], kiosk: input.kiosk ?? { rotation: true } };
    const units = [...new Set(body.scope.units)];
    for (const code of units) {
      if (!ctx.units.has(code)) {
        throw new ApiError(
          400,
          'UNKNOWN_UNIT',
          `scope unit "${code}" is not an administrative unit of dataset ${ctx.units.dataset.id}`,
        );
      }
    }
    const sectors = [...new Set(body.scope.sectors)];
    for (const sector of sectors) {
      if (!isSector(sector)) {
        throw new ApiError(
          400,
          'UNKNOWN_SECTOR',
          `scope sector "${sector}" is unknown; use one of ${SECTOR_IDS.join(', ')}`,
        );
      }
    }
    const sceneIds = new Set<string>();
    for (const scene of body.scenes) {
      if (sceneIds.has(scene.id)) {
        throw new ApiError(
          400,
          'DUPLICATE_SCENE',
          `scene id "${scene.id}" appears twice; scene ids must be unique in a room`,
        );
      }
      sceneIds.add(scene.id);
      if (scene.view.unit !== undefined && !ctx.units.has(scene.view.unit)) {
        throw new ApiError(
          400,
          'UNKNOWN_UNIT',
          `scene "${scene.id}": unit "${scene.view.unit}" is not an administrative unit`,
        );
      }
    }
    const text = (t: { vi: string; en: string }) => ({
      vi: t.vi.normalize('NFC').trim(),
      en: t.en.normalize('NFC').trim(),
    });
    return {
      id,
      name: text(body.name),
      scope: { units, sectors },
      scenes: body.scenes.map((s) => ({ ...s, title: text(s.title) })),
      kiosk: body.kiosk,
    };
  };
  const requireRoom = async (request: FastifyRequest, id: string) => {
    const room = await store().get(id);
    const rooms = accessOf(request).rooms;
    if (!room || (rooms !== 'all' && !rooms.includes(id))) {
      throw new ApiError(404, 'ROOM_NOT_FOUND', `no room "${id}"`);
    }
    return room;
  };
  const requireUser = async (username: string) => {
    const account = await ctx.accounts.findByUsername(username.normalize('NFC').trim());
    if (!account) throw new ApiError(404, 'USER_NOT_FOUND', `no user "${username}"`);
    return account;
  };

  api.get(
    '/api/v1/rooms',
    {
      schema: {
        tags: ['rooms'],
        summary: 'The rooms you belong to (admins and IOC operators: all)',
      },
    },
    async (request) => {
      const rooms = accessOf(request).rooms;
      const all = await store().list();
      return { rooms: rooms === 'all' ? all : all.filter((r) => rooms.includes(r.id)) };
    },
  );

  api.get(
    '/api/v1/rooms/:id',
    {
      schema: {
        tags: ['rooms'],
        summary: 'One of your rooms: scope, scenes, kiosk settings',
        params: RoomParams,
      },
    },
    async (request) => ({ room: await requireRoom(request, request.params.id) }),
  );

  api.post(
    '/api/v1/rooms',
    {
      preValidation: adminOnly,
      schema: {
        tags: ['rooms'],
        summary: 'Create a room (admin)',
        body: Type.Object({ id: Slug, ...RoomBody.properties }, { additionalProperties: false }),
      },
    },
    async (request, reply) => {
      const { id, ...body } = request.body as Static<typeof RoomBody> & { id: string };
      const room = await store().create(checked(id, body));
      await audit(request, 'room.create', `room:${room.id}`, { scope: room.scope });
      return reply.status(201).send({ room });
    },
  );

  api.put(
    '/api/v1/rooms/:id',
    {
      preValidation: adminOnly,
      schema: {
        tags: ['rooms'],
        summary: 'Replace a room’s name, scope, scenes and kiosk settings (admin)',
        params: RoomParams,
        body: RoomBody,
      },
    },
    async (request) => {
      const { id: _id, ...input } = checked(request.params.id, request.body);
      const room = await store().update(request.params.id, input);
      if (!room) throw new ApiError(404, 'ROOM_NOT_FOUND', `no room "${request.params.id}"`);
      await audit(request, 'room.update', `room:${room.id}`, { scope: room.scope });
      return { room };
    },
  );

  api.delete(
    '/api/v1/rooms/:id',
    {
      preValidation: adminOnly,
      schema: {
        tags: ['rooms'],
        summary: 'Delete a room and its memberships (admin)',
        params: RoomParams,
      },
    },
    async (request, reply) => {
      if (!(await store().remove(request.params.id))) {
        throw new ApiError(404, 'ROOM_NOT_FOUND', `no room "${request.params.id}"`);
      }
      await audit(request, 'room.delete', `room:${request.params.id}`);
      return reply.status(204).send();
    },
  );

  api.get(
    '/api/v1/rooms/:id/members',
    {
      preValidation: adminOnly,
      schema: { tags: ['rooms'], summary: 'Members of a room (admin)', params: RoomParams },
    },
    async (request) => {
      await requireRoom(request, request.params.id);
      return { members: await store().members(request.params.id) };
    },
  );

  api.put(
    '/api/v1/rooms/:id/members/:username',
    {
      preValidation: adminOnly,
      schema: {
        tags: ['rooms'],
        summary: 'Add a user to a room, or change their room role (admin)',
        params: MemberParams,
        body: Type.Object(
          {
            role: Type.Union([Type.Literal('operator'), Type.Literal('viewer')], {
              description:
                'operator: acts within the room (if their account role may act); viewer: watches',
            }),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      await requireRoom(request, request.params.id);
      const user = await requireUser(request.params.username);
      await store().setMember(request.params.id, user.id, request.body.role);
      await audit(request, 'room.member.set', `room:${request.params.id}`, {
        user: user.username,
        role: request.body.role,
      });
      return { members: await store().members(request.params.id) };
    },
  );

  api.delete(
    '/api/v1/rooms/:id/members/:username',
    {
      preValidation: adminOnly,
      schema: {
        tags: ['rooms'],
        summary: 'Remove a user from a room (admin)',
        params: MemberParams,
      },
    },
    async (request, reply) => {
      const user = await requireUser(request.params.username);
      if (!(await store().removeMember(request.params.id, user.id))) {
        throw new ApiError(
          404,
          'MEMBER_NOT_FOUND',
          `"${user.username}" is not a member of room "${request.params.id}"`,
        );
      }
      await audit(request, 'room.member.remove', `room:${request.params.id}`, {
        user: user.username,
      });
      return reply.status(204).send();
    },
  );
}
