import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ApiError, generatePassword, ROLES, type UserAccounts } from '@ioc/core';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requireRole } from '../authentication.js';
import type { WebContext } from '../context.js';
import { actorOf } from './auth.js';

type UserRecord = Awaited<ReturnType<UserAccounts['list']>>[number];

const RoleSchema = Type.Union(
  ROLES.map((role) => Type.Literal(role)),
  { description: ROLES.join(', ') },
);
const Username = Type.String({ minLength: 1, maxLength: 64 });
const Password = Type.String({
  minLength: 12,
  maxLength: 256,
  description: 'At least 12 characters',
});

const CreateBody = Type.Object(
  {
    username: Type.String({ minLength: 2, maxLength: 64, description: 'Letters, digits, . _ -' }),
    password: Password,
    role: RoleSchema,
    displayName: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

const ChangeBody = Type.Object(
  {
    role: Type.Optional(RoleSchema),
    enabled: Type.Optional(Type.Boolean()),
    displayName: Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Null()])),
    password: Type.Optional(Password),
    resetPassword: Type.Optional(
      Type.Literal(true, {
        description: 'Generate a new password; it is in this answer only',
      }),
    ),
    unlock: Type.Optional(Type.Literal(true, { description: 'Lift a failed-login lockout' })),
  },
  { additionalProperties: false, minProperties: 1 },
);

/**
 * User accounts for administrators: list, create local accounts, change role, enabled state
 * and display name, set or reset a password, lift a lockout. Accounts are never deleted
 * (disable them: the audit log keeps naming them); every attempt is audited.
 */
export async function userRoutes(app: FastifyInstance, ctx: WebContext): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const adminOnly = requireRole('admin');

  /** Runs an admin's change and audits it: ok, denied (not an admin) or failed (its code). */
  const audited = async <T>(
    request: FastifyRequest,
    action: string,
    username: string,
    run: () => Promise<{ result: T; details?: Record<string, unknown> }>,
  ): Promise<T> => {
    const entry = { actor: actorOf(request), action, target: `user:${username}`, ip: request.ip };
    try {
      await adminOnly(request);
    } catch (err) {
      await ctx.audit.record({ ...entry, outcome: 'denied' });
      throw err;
    }
    try {
      const { result, details } = await run();
      await ctx.audit.record({ ...entry, details });
      return result;
    } catch (err) {
      if (err instanceof ApiError) {
        await ctx.audit.record({ ...entry, outcome: 'failed', details: { code: err.code } });
      }
      throw err;
    }
  };
  const withRooms = async (user: UserRecord) => ({
    ...user,
    rooms: ctx.rooms
      ? (await ctx.rooms.membershipsOf(user.id)).map((m) => ({ id: m.roomId, role: m.role }))
      : [],
  });

  api.get(
    '/api/v1/users',
    {
      preValidation: adminOnly,
      schema: {
        tags: ['users'],
        summary: 'Every account with role, state, lockout, origin (local or SSO) and rooms (admin)',
      },
    },
    async () => ({ users: await Promise.all((await ctx.accounts.list()).map(withRooms)) }),
  );

  api.post(
    '/api/v1/users',
    {
      schema: {
        tags: ['users'],
        summary: 'Create a local account with a password of at least 12 characters (admin)',
        body: CreateBody,
      },
    },
    async (request, reply) => {
      const { username, password, role, displayName } = request.body;
      const user = await audited(request, 'user.create', username, async () => {
        const account = await ctx.accounts.create({
          username,
          password,
          role,
          displayName: displayName?.normalize('NFC').trim() || undefined,
        });
        return { result: account, details: { role } };
      });
      const record = await ctx.accounts.findRecord(user.username);
      return reply.status(201).send({ user: await withRooms(record as UserRecord) });
    },
  );

  api.patch(
    '/api/v1/users/:username',
    {
      schema: {
        tags: ['users'],
        summary:
          'Change role, enabled state or display name; set or reset the password; unlock (admin). ' +
          'The last enabled admin cannot be disabled or demoted.',
        params: Type.Object({ username: Username }),
        body: ChangeBody,
      },
    },
    async (request) => {
      const body = request.body;
      const { username } = request.params;
      return audited(request, 'user.update', username, async () => {
        const before = await ctx.accounts.findRecord(username);
        if (!before) throw new ApiError(404, 'USER_NOT_FOUND', `no user "${username}"`);
        if (body.password !== undefined && body.resetPassword) {
          throw new ApiError(
            400,
            'CONFLICTING_CHANGES',
            'send either "password" or "resetPassword", not both',
          );
        }
        const changesPassword = body.password !== undefined || body.resetPassword === true;
        if (before.external && changesPassword) {
          throw new ApiError(
            409,
            'EXTERNAL_ACCOUNT',
            `"${before.username}" signs in through the SSO; its password is managed there`,
          );
        }
        if (body.role !== undefined || body.enabled !== undefined || 'displayName' in body) {
          await ctx.accounts.update(before.username, {
            role: body.role,
            disabled: body.enabled === undefined ? undefined : !body.enabled,
            displayName: body.displayName,
          });
        }
        const generated = body.resetPassword ? generatePassword() : undefined;
        const password = body.password ?? generated;
        if (password !== undefined) await ctx.accounts.setPassword(before.username, password);
        if (body.unlock) await ctx.accounts.unlock(before.username);
        const user = await withRooms(
          (await ctx.accounts.findRecord(before.username)) as UserRecord,
        );
        return {
          // A generated password is shown in this answer only; it is never stored in clear.
          result: generated ? { user, password: generated } : { user },
          details: {
            ...(body.role !== undefined && { role: body.role }),
            ...(body.enabled !== undefined && { enabled: body.enabled }),
            ...('displayName' in body && { displayName: body.displayName }),
            ...(changesPassword && { password: body.resetPassword ? 'reset' : 'set' }),
            ...(body.unlock && { unlocked: true }),
          },
        };
      });
    },
  );
}
