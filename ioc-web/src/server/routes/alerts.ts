import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { type AlertSeverity, type AlertSnapshot, type AlertState, ApiError } from '@ioc/core';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { scopedList } from '../access/scoped-list.js';
import { accessOf, requireRole } from '../authentication.js';
import type { WebContext } from '../context.js';
import { actorOf } from './auth.js';

/** One change in an alert's history: who (null: the system), what, when. */
export interface AlertHistoryView {
  id: number;
  alertId: string;
  at: string;
  actor: string | null;
  change: string;
  state: AlertState;
  comment: string | null;
  details: Record<string, unknown> | null;
}

export interface AlertListFilter {
  states?: AlertState[];
  severities?: AlertSeverity[];
  sector?: string;
  unit?: string;
  from?: Date;
  to?: Date;
  openAt?: Date;
  parentId?: string | null;
  ruleId?: string;
  deviceId?: string;
  limit?: number;
  offset?: number;
}

/**
 * The alert store as the web service needs it (ingest's `AlertStore` fits). Failures are
 * ApiErrors: 404 ALERT_NOT_FOUND, 409 ALERT_CLOSED / ALERT_ALREADY_ACKNOWLEDGED, 400 for bad
 * filters or text.
 */
export interface AlertDesk {
  list(
    filter: AlertListFilter,
  ): Promise<{ alerts: AlertSnapshot[]; total: number; limit: number; offset: number }>;
  get(id: string): Promise<
    | {
        alert: AlertSnapshot;
        kind: 'alert' | 'storm';
        children: number;
        history: AlertHistoryView[];
      }
    | undefined
  >;
  acknowledge(id: string, actor: string, note?: string): Promise<AlertSnapshot>;
  assign(id: string, assignee: string | null, actor: string): Promise<AlertSnapshot>;
  comment(id: string, text: string, actor: string): Promise<AlertHistoryView>;
  resolve(id: string, actor: string, note?: string): Promise<AlertSnapshot>;
}

/** Who may act on alerts (within the rooms they operate); everyone reads their rooms' alerts. */
const ACTING_ROLES = ['admin', 'ioc-operator', 'room-operator'] as const;

const STATE_CHOICES = ['active', 'acknowledged', 'resolved', 'cleared', 'open', 'closed'] as const;
const STATE_GROUPS: Record<(typeof STATE_CHOICES)[number], AlertState[]> = {
  active: ['active'],
  acknowledged: ['acknowledged'],
  resolved: ['resolved'],
  cleared: ['cleared'],
  open: ['active', 'acknowledged'],
  closed: ['resolved', 'cleared'],
};
const SEVERITIES = ['critical', 'major', 'minor', 'warning', 'info'] as const;
const literals = <T extends string>(values: readonly T[]) => values.map((v) => Type.Literal(v));

const AlertId = Type.Object({
  id: Type.String({ pattern: '^[1-9][0-9]{0,14}$', description: 'Alert number' }),
});
const Note = Type.String({ minLength: 1, maxLength: 2000 });
const NoteBody = Type.Object({ note: Type.Optional(Note) }, { additionalProperties: false });
/** Acknowledge and resolve need no body: a POST without one reads as `{}`. */
const noBodyAsEmpty = async (request: FastifyRequest) => {
  request.body ??= {};
};
const AssignBody = Type.Object(
  {
    assignee: Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()], {
      description: 'Username of the person to take it; null takes it back',
    }),
  },
  { additionalProperties: false },
);
const CommentBody = Type.Object(
  { text: Type.String({ minLength: 1, maxLength: 2000 }) },
  { additionalProperties: false },
);
const ListQuery = Type.Object({
  state: Type.Optional(
    Type.Array(Type.Union(literals(STATE_CHOICES)), {
      description: 'Repeat for several; open = active + acknowledged, closed = resolved + cleared',
    }),
  ),
  severity: Type.Optional(Type.Array(Type.Union(literals(SEVERITIES)))),
  sector: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  unit: Type.Optional(
    Type.String({ minLength: 1, maxLength: 32, description: 'Admin unit code: the subtree' }),
  ),
  from: Type.Optional(Type.String({ format: 'date-time', description: 'Raised at or after' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'Raised before' })),
  openAt: Type.Optional(
    Type.String({ format: 'date-time', description: 'Open at that instant (time travel)' }),
  ),
  parent: Type.Optional(
    Type.String({
      pattern: '^([1-9][0-9]{0,14}|none)$',
      description: "A storm's number: its children; none: alerts that are in no storm",
    }),
  ),
  rule: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  device: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  offset: Type.Integer({ minimum: 0, default: 0 }),
});

/**
 * Alerts over REST: list and filter (state, severity, sector, unit subtree, time, storm),
 * one alert with its history, and people's actions (acknowledge, assign, comment, resolve),
 * each audited, failed attempts too.
 */
export async function alertRoutes(app: FastifyInstance, ctx: WebContext): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const mayAct = requireRole(...ACTING_ROLES);
  const desk = (): AlertDesk => {
    if (!ctx.alerts) {
      throw new ApiError(503, 'INGEST_UNAVAILABLE', 'ingest (alerts) does not run in this process');
    }
    return ctx.alerts;
  };
  /**
   * The alert must be in a room the caller operates: 404 as for an unknown id when they do
   * not see it, 403 when they only watch it.
   */
  const mayActOn = async (request: FastifyRequest): Promise<void> => {
    const { id } = request.params as Static<typeof AlertId>;
    const detail = await desk().get(id);
    const access = accessOf(request);
    if (!detail || !access.view.allowsAlert(detail.alert)) throw alertNotFound(id);
    if (!access.act.allowsAlert(detail.alert)) {
      throw new ApiError(403, 'FORBIDDEN', `you watch alert ${id} but do not operate its room`);
    }
  };
  /** Runs a person's action and audits it: outcome ok, or failed with the error's code. */
  const audited = async <T>(
    request: FastifyRequest,
    action: string,
    details: Record<string, unknown>,
    run: () => Promise<T>,
  ): Promise<T> => {
    const { id } = request.params as Static<typeof AlertId>;
    const entry = { actor: actorOf(request), action, target: `alert:${id}`, ip: request.ip };
    try {
      const result = await run();
      await ctx.audit.record({ ...entry, details });
      return result;
    } catch (err) {
      if (err instanceof ApiError) {
        await ctx.audit.record({
          ...entry,
          outcome: 'failed',
          details: { ...details, code: err.code },
        });
      }
      throw err;
    }
  };

  api.get(
    '/api/v1/alerts',
    {
      schema: {
        tags: ['alerts'],
        summary:
          'List alerts, newest first (filter by state, severity, sector, unit subtree, time)',
        querystring: ListQuery,
      },
    },
    async (request) => {
      const q = request.query;
      const scope = accessOf(request).view;
      const page = await scopedList({
        scope,
        query: {
          states: q.state && [...new Set(q.state.flatMap((s) => STATE_GROUPS[s]))],
          severities: q.severity,
          sector: q.sector,
          unit: q.unit,
          from: q.from === undefined ? undefined : new Date(q.from),
          to: q.to === undefined ? undefined : new Date(q.to),
          openAt: q.openAt === undefined ? undefined : new Date(q.openAt),
          parentId: q.parent === 'none' ? null : q.parent,
          ruleId: q.rule,
          deviceId: q.device,
        } satisfies AlertListFilter,
        limit: q.limit,
        offset: q.offset,
        read: async (filter, limit, offset) => {
          const { alerts, total } = await desk().list({ ...filter, limit, offset });
          return { items: alerts, total };
        },
        allows: (alert) => scope.allowsAlert(alert),
      });
      return { alerts: page.items, total: page.total, limit: q.limit, offset: q.offset };
    },
  );

  api.get(
    '/api/v1/alerts/:id',
    {
      schema: { tags: ['alerts'], summary: 'One alert with its full history', params: AlertId },
    },
    async (request) => {
      const detail = await desk().get(request.params.id);
      if (!detail || !accessOf(request).view.allowsAlert(detail.alert)) {
        throw alertNotFound(request.params.id);
      }
      return detail;
    },
  );

  api.post(
    '/api/v1/alerts/:id/acknowledge',
    {
      preHandler: mayAct,
      preValidation: noBodyAsEmpty,
      schema: {
        tags: ['alerts'],
        summary: 'Take the alert (active → acknowledged); a storm takes its children along',
        params: AlertId,
        body: NoteBody,
      },
    },
    async (request) => {
      const note = request.body.note;
      const alert = await audited(request, 'alert.acknowledge', { note }, () =>
        mayActOn(request).then(() =>
          desk().acknowledge(request.params.id, personOf(request), note),
        ),
      );
      return { alert };
    },
  );

  api.post(
    '/api/v1/alerts/:id/assign',
    {
      preHandler: mayAct,
      schema: {
        tags: ['alerts'],
        summary: 'Give the open alert to a person (null: nobody)',
        params: AlertId,
        body: AssignBody,
      },
    },
    async (request) => {
      const assignee = request.body.assignee?.normalize('NFC').trim() ?? null;
      const alert = await audited(request, 'alert.assign', { assignee }, async () => {
        await mayActOn(request);
        if (assignee !== null) await requireAssignable(ctx, assignee);
        return desk().assign(request.params.id, assignee, personOf(request));
      });
      return { alert };
    },
  );

  api.post(
    '/api/v1/alerts/:id/comments',
    {
      preHandler: mayAct,
      schema: {
        tags: ['alerts'],
        summary: "Add a comment to the alert's history (closed alerts too)",
        params: AlertId,
        body: CommentBody,
      },
    },
    async (request, reply) => {
      const entry = await audited(request, 'alert.comment', {}, () =>
        mayActOn(request).then(() =>
          desk().comment(request.params.id, request.body.text, personOf(request)),
        ),
      );
      return reply.status(201).send({ entry });
    },
  );

  api.post(
    '/api/v1/alerts/:id/resolve',
    {
      preHandler: mayAct,
      preValidation: noBodyAsEmpty,
      schema: {
        tags: ['alerts'],
        summary: 'Close the alert as dealt with; a storm closes its open children too',
        params: AlertId,
        body: NoteBody,
      },
    },
    async (request) => {
      const note = request.body.note;
      const alert = await audited(request, 'alert.resolve', { note }, () =>
        mayActOn(request).then(() => desk().resolve(request.params.id, personOf(request), note)),
      );
      return { alert };
    },
  );
}

function alertNotFound(id: string): ApiError {
  return new ApiError(404, 'ALERT_NOT_FOUND', `no alert with id "${id}"`);
}

/**
 * The name an alert's history and live events show (the bus's "user name of the person"):
 * the username, or the API token's name; the audit log keeps its `user:` prefix.
 */
function personOf(request: FastifyRequest): string {
  return request.principal?.name ?? 'anonymous';
}

/** Alerts go to people who can act on them: an enabled account of an acting role. */
async function requireAssignable(ctx: WebContext, username: string): Promise<void> {
  const account = await ctx.accounts.findByUsername(username);
  if (!account || account.disabled) {
    throw new ApiError(
      400,
      'ASSIGNEE_UNKNOWN',
      `no enabled user "${username}"; assign the alert to an existing user`,
    );
  }
  if (!(ACTING_ROLES as readonly string[]).includes(account.role)) {
    throw new ApiError(
      400,
      'ASSIGNEE_CANNOT_ACT',
      `user "${username}" is ${account.role} and cannot act on alerts; choose an admin or an operator`,
    );
  }
}
