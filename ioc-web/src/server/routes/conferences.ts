import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { type AdminUnitTree, type AlertSnapshot, ApiError } from '@ioc/core';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { CallerAccess } from '../access/caller-access.js';
import { accessOf, requireRole } from '../authentication.js';
import type { WebContext } from '../context.js';
import type { AlertDesk } from './alerts.js';
import { actorOf } from './auth.js';

export type ConferenceStatusView = 'scheduled' | 'cancelled' | 'ended';
export type ConferenceRoleView = 'chair' | 'speaker' | 'participant' | 'viewer';

/** A conference as the API returns it (media's `Conference`). */
export interface ConferenceView {
  id: string;
  title: string;
  chairUnit: string;
  invitedUnits: string[];
  speakerUnits: string[];
  startsAt: string;
  endsAt: string;
  status: ConferenceStatusView;
  alertId: string | null;
  createdBy: string;
  createdAt: string;
  /** Set when it was ended early (POST …/end). */
  endedAt?: string | null;
  endedBy?: string | null;
}

export interface JoinLinkView {
  unit: string;
  unitName: string;
  role: ConferenceRoleView;
  token: string;
  /** `/conference/{id}?t=<token>`, on the IOC's own web address. */
  path: string;
  expiresAt: string;
}

export interface AttendanceView {
  peerId: string;
  unit: string | null;
  userId: string | null;
  displayName: string;
  role: ConferenceRoleView;
  joinedAt: string;
  leftAt: string | null;
  reason: string | null;
}

/**
 * Conference scheduling as the web service needs it (media's `ConferenceStore` fits).
 * Failures are ApiErrors: 404 CONFERENCE_NOT_FOUND, 409 CONFERENCE_CANCELLED / CONFERENCE_ENDED /
 * CONFERENCE_NOT_STARTED, 400 CONFERENCE_INVALID with `details.field`.
 */
export interface ConferenceDesk {
  list(filter: {
    statuses?: ConferenceStatusView[];
    from?: Date;
    to?: Date;
    invitingAny?: readonly string[];
    limit?: number;
    offset?: number;
  }): Promise<{ conferences: ConferenceView[]; total: number }>;
  get(id: string): Promise<ConferenceView | undefined>;
  create(
    input: {
      title: string;
      chairUnit: string;
      invitedUnits: string[];
      speakerUnits?: string[];
      startsAt: string | Date;
      endsAt: string | Date;
      alertId?: string | null;
    },
    actor: string,
  ): Promise<ConferenceView>;
  cancel(id: string, actor: string): Promise<ConferenceView>;
  /** Ends one under way before its scheduled end; its links stop working and the SFU closes its room. */
  end(id: string, actor: string): Promise<ConferenceView>;
  links(id: string): Promise<JoinLinkView[]>;
  attendance(id: string): Promise<AttendanceView[]>;
}

/** Who convenes and cancels conferences and hands out their links. */
const CONVENING_ROLES = ['admin', 'ioc-operator'] as const;
/** An instant conference lasts this long unless the caller says otherwise. */
export const INSTANT_CONFERENCE_MINUTES = 120;
const MAX_INVITED_UNITS = 500;
/** Unit types that are communes (điểm cầu): what "the affected communes" means. */
const COMMUNE_TYPES = new Set(['commune', 'ward', 'special-zone']);

const UnitCode = Type.String({ minLength: 1, maxLength: 32, description: 'Admin unit code' });
const ConferenceId = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64, description: 'Conference id' }),
});
const AlertId = Type.Object({
  id: Type.String({ pattern: '^[1-9][0-9]{0,14}$', description: 'Alert number' }),
});
const STATUSES = ['scheduled', 'cancelled', 'ended'] as const;
const ListQuery = Type.Object({
  status: Type.Optional(
    Type.Array(Type.Union(STATUSES.map((s) => Type.Literal(s))), {
      description: 'Repeat for several; scheduled = not yet over',
    }),
  ),
  from: Type.Optional(Type.String({ format: 'date-time', description: 'Ends after' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'Starts before' })),
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
  offset: Type.Integer({ minimum: 0, default: 0 }),
});
const CreateBody = Type.Object(
  {
    title: Type.String({ minLength: 1, maxLength: 200 }),
    chairUnit: Type.Optional({ ...UnitCode, description: 'Default: the province (root unit)' }),
    invitedUnits: Type.Array(UnitCode, {
      minItems: 1,
      maxItems: MAX_INVITED_UNITS,
      description: 'Endpoints (điểm cầu): each gets a join link',
    }),
    speakerUnits: Type.Optional(
      Type.Array(UnitCode, {
        maxItems: MAX_INVITED_UNITS,
        description: 'Invited units that speak (speaker role)',
      }),
    ),
    startsAt: Type.String({ format: 'date-time' }),
    endsAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);
const FromAlertBody = Type.Object(
  {
    durationMinutes: Type.Integer({
      minimum: 15,
      maximum: 720,
      default: INSTANT_CONFERENCE_MINUTES,
    }),
    title: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: "Default: the alert's message" }),
    ),
  },
  { additionalProperties: false },
);
const CancelBody = Type.Object(
  { reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })) },
  { additionalProperties: false },
);
const EndBody = CancelBody;
/** Bodies that may be left out read as `{}`. */
const noBodyAsEmpty = async (request: FastifyRequest) => {
  request.body ??= {};
};

/**
 * Video conferences over REST: list (room-scoped), one, schedule, cancel, end early, join links,
 * attendance, and "convene the affected communes" of an alert. Every change and every hand-out
 * of join links is audited, refused attempts too.
 */
export async function conferenceRoutes(app: FastifyInstance, ctx: WebContext): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const mayConvene = requireRole(...CONVENING_ROLES);
  const desk = (): ConferenceDesk => {
    if (!ctx.conferences) {
      throw new ApiError(
        503,
        'CONFERENCES_UNAVAILABLE',
        'conference scheduling does not run in this process',
      );
    }
    return ctx.conferences;
  };
  const alertDesk = (): AlertDesk => {
    if (!ctx.alerts) {
      throw new ApiError(503, 'INGEST_UNAVAILABLE', 'ingest (alerts) does not run in this process');
    }
    return ctx.alerts;
  };
  /** Runs an action and audits it: ok, denied (role) or failed (its code). */
  const audited = async <T>(
    request: FastifyRequest,
    action: string,
    target: string,
    run: () => Promise<{ result: T; target?: string; details?: Record<string, unknown> }>,
  ): Promise<T> => {
    const entry = { actor: actorOf(request), action, target, ip: request.ip };
    try {
      await mayConvene(request);
    } catch (err) {
      await ctx.audit.record({ ...entry, outcome: 'denied' });
      throw err;
    }
    try {
      const done = await run();
      await ctx.audit.record({ ...entry, target: done.target ?? target, details: done.details });
      return done.result;
    } catch (err) {
      if (err instanceof ApiError) {
        await ctx.audit.record({ ...entry, outcome: 'failed', details: { code: err.code } });
      }
      throw err;
    }
  };
  /** The conference, if the caller may see it; 404 as for an unknown id otherwise. */
  const visibleConference = async (request: FastifyRequest, id: string) => {
    const conference = await desk().get(id);
    if (!conference || !maySee(accessOf(request), conference)) throw conferenceNotFound(id);
    return conference;
  };

  api.get(
    '/api/v1/conferences',
    {
      schema: {
        tags: ['conferences'],
        summary:
          'List conferences, newest start first (room operators: those inviting their units)',
        querystring: ListQuery,
      },
    },
    async (request) => {
      const q = request.query;
      const access = accessOf(request);
      let invitingAny: string[] | undefined;
      if (!access.view.unrestricted) {
        invitingAny = access.view.filterUnits(ctx.units.all()).map((u) => u.code);
        if (invitingAny.length === 0) {
          return { conferences: [], total: 0, limit: q.limit, offset: q.offset };
        }
      }
      const page = await desk().list({
        statuses: q.status,
        from: q.from === undefined ? undefined : new Date(q.from),
        to: q.to === undefined ? undefined : new Date(q.to),
        invitingAny,
        limit: q.limit,
        offset: q.offset,
      });
      return {
        // Checked again row by row, so a store that ignored the filter cannot leak.
        conferences: page.conferences.filter((c) => maySee(access, c)),
        total: page.total,
        limit: q.limit,
        offset: q.offset,
      };
    },
  );

  api.get(
    '/api/v1/conferences/:id',
    { schema: { tags: ['conferences'], summary: 'One conference', params: ConferenceId } },
    async (request) => ({ conference: await visibleConference(request, request.params.id) }),
  );

  api.post(
    '/api/v1/conferences',
    {
      schema: {
        tags: ['conferences'],
        summary: 'Schedule a conference (admin, ioc-operator); join links via …/links',
        body: CreateBody,
      },
    },
    async (request, reply) => {
      const body = request.body;
      const conference = await audited(request, 'conference.create', 'conference:new', async () => {
        const input = checkedInput(ctx.units, body);
        const created = await desk().create(input, actorOf(request));
        return {
          result: created,
          target: `conference:${created.id}`,
          details: summaryOf(created),
        };
      });
      return reply.status(201).send({ conference });
    },
  );

  api.post(
    '/api/v1/conferences/:id/cancel',
    {
      preValidation: noBodyAsEmpty,
      schema: {
        tags: ['conferences'],
        summary: 'Cancel a conference that has not ended; its join links stop working',
        params: ConferenceId,
        body: CancelBody,
      },
    },
    async (request) => {
      const { id } = request.params;
      const conference = await audited(
        request,
        'conference.cancel',
        `conference:${id}`,
        async () => {
          await visibleConference(request, id);
          const cancelled = await desk().cancel(id, actorOf(request));
          return { result: cancelled, details: { reason: request.body.reason } };
        },
      );
      return { conference };
    },
  );

  api.post(
    '/api/v1/conferences/:id/end',
    {
      preValidation: noBodyAsEmpty,
      schema: {
        tags: ['conferences'],
        summary:
          'End a conference under way before its scheduled end (admin, ioc-operator); everyone is disconnected and its join links stop working',
        params: ConferenceId,
        body: EndBody,
      },
    },
    async (request) => {
      const { id } = request.params;
      const conference = await audited(request, 'conference.end', `conference:${id}`, async () => {
        await visibleConference(request, id);
        const ended = await desk().end(id, actorOf(request));
        return { result: ended, details: { reason: request.body.reason } };
      });
      return { conference };
    },
  );

  api.get(
    '/api/v1/conferences/:id/links',
    {
      schema: {
        tags: ['conferences'],
        summary: 'Join links, one per unit (admin, ioc-operator); each hand-out is audited',
        params: ConferenceId,
      },
    },
    async (request) => {
      const { id } = request.params;
      const links = await audited(request, 'conference.links', `conference:${id}`, async () => {
        await visibleConference(request, id);
        const result = await desk().links(id);
        return { result, details: { units: result.length } };
      });
      return { links };
    },
  );

  api.get(
    '/api/v1/conferences/:id/attendance',
    {
      schema: {
        tags: ['conferences'],
        summary: 'Who joined and left the conference, when and why',
        params: ConferenceId,
      },
    },
    async (request) => {
      await visibleConference(request, request.params.id);
      return { attendance: await desk().attendance(request.params.id) };
    },
  );

  api.post(
    '/api/v1/alerts/:id/conference',
    {
      preValidation: noBodyAsEmpty,
      schema: {
        tags: ['conferences', 'alerts'],
        summary:
          'Convene the affected communes: an instant conference, chaired by the province, inviting the communes in the alert’s scope',
        params: AlertId,
        body: FromAlertBody,
      },
    },
    async (request, reply) => {
      const alertId = request.params.id;
      const result = await audited(request, 'conference.create', `alert:${alertId}`, async () => {
        const detail = await alertDesk().get(alertId);
        if (!detail || !accessOf(request).view.allowsAlert(detail.alert)) {
          throw new ApiError(404, 'ALERT_NOT_FOUND', `no alert with id "${alertId}"`);
        }
        const alertUnits =
          detail.kind === 'storm'
            ? await stormChildUnits(alertDesk(), alertId)
            : [detail.alert.unit];
        const invitedUnits = affectedCommunes(ctx.units, alertUnits);
        if (invitedUnits.length === 0) {
          throw new ApiError(
            409,
            'ALERT_HAS_NO_UNITS',
            `alert ${alertId} names no administrative unit of this dataset; schedule the conference by hand`,
          );
        }
        if (invitedUnits.length > MAX_INVITED_UNITS) {
          throw new ApiError(
            409,
            'CONFERENCE_TOO_LARGE',
            `alert ${alertId} covers ${invitedUnits.length} communes, more than the ${MAX_INVITED_UNITS} a conference invites; schedule conferences by district instead`,
          );
        }
        const startsAt = new Date();
        const created = await desk().create(
          {
            title: request.body.title?.trim() || titleOf(detail.alert),
            chairUnit: rootUnit(ctx.units),
            invitedUnits,
            startsAt,
            endsAt: new Date(
              startsAt.getTime() +
                (request.body.durationMinutes ?? INSTANT_CONFERENCE_MINUTES) * 60_000,
            ),
            alertId,
          },
          actorOf(request),
        );
        const links = await desk().links(created.id);
        return {
          result: { conference: created, links },
          target: `conference:${created.id}`,
          details: { ...summaryOf(created), alertId },
        };
      });
      return reply.status(201).send(result);
    },
  );
}

/** Everyone unscoped sees every conference; a room-scoped caller those inviting a unit they see. */
function maySee(access: CallerAccess, conference: ConferenceView): boolean {
  return access.view.unrestricted || conference.invitedUnits.some((u) => access.view.allowsUnit(u));
}

function conferenceNotFound(id: string): ApiError {
  return new ApiError(404, 'CONFERENCE_NOT_FOUND', `no conference with id "${id}"`);
}

function summaryOf(conference: ConferenceView): Record<string, unknown> {
  return {
    title: conference.title,
    chairUnit: conference.chairUnit,
    invitedUnits: conference.invitedUnits.length,
    startsAt: conference.startsAt,
    endsAt: conference.endsAt,
  };
}

/** The body's units must exist and speakers be invited; ends after it starts. */
function checkedInput(units: AdminUnitTree, body: Static<typeof CreateBody>) {
  const invalid = (field: string, message: string) =>
    new ApiError(400, 'CONFERENCE_INVALID', `${field}: ${message}`, { field });
  const title = body.title.normalize('NFC').trim();
  if (!title) throw invalid('title', 'the title is empty');
  const chairUnit = body.chairUnit ?? rootUnit(units);
  const unknown = (code: string) =>
    `"${code}" is not an administrative unit of dataset ${units.dataset.id}`;
  if (!units.has(chairUnit)) throw invalid('chairUnit', unknown(chairUnit));
  const invitedUnits = [...new Set(body.invitedUnits)];
  for (const code of invitedUnits) {
    if (!units.has(code)) throw invalid('invitedUnits', unknown(code));
  }
  const speakerUnits = [...new Set(body.speakerUnits ?? [])];
  for (const code of speakerUnits) {
    if (!invitedUnits.includes(code)) {
      throw invalid('speakerUnits', `"${code}" is not one of the invited units`);
    }
  }
  if (Date.parse(body.endsAt) <= Date.parse(body.startsAt)) {
    throw invalid('endsAt', 'the conference must end after it starts');
  }
  return {
    title,
    chairUnit,
    invitedUnits,
    speakerUnits,
    startsAt: body.startsAt,
    endsAt: body.endsAt,
  };
}

/** The province: the unit tree's (first) root. */
function rootUnit(units: AdminUnitTree): string {
  const root = units.roots()[0];
  if (!root) throw new ApiError(503, 'UNITS_EMPTY', 'the unit dataset has no units');
  return root.code;
}

function titleOf(alert: AlertSnapshot): string {
  const text = alert.message.vi.normalize('NFC').trim() || `Sự cố số ${alert.id}`;
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

/** The units of a storm's grouped alerts (open and closed). */
async function stormChildUnits(alerts: AlertDesk, stormId: string): Promise<(string | null)[]> {
  const { alerts: children } = await alerts.list({ parentId: stormId, limit: 1000, offset: 0 });
  return children.map((child) => child.unit);
}

/**
 * The communes an alert's units stand for, each once: a commune is itself; a district,
 * region or province stands for every commune under it; unknown units and null count for none.
 */
export function affectedCommunes(
  units: AdminUnitTree,
  alertUnits: readonly (string | null)[],
): string[] {
  const found = new Set<string>();
  for (const code of alertUnits) {
    const unit = code === null ? undefined : units.get(code);
    if (!unit) continue;
    if (COMMUNE_TYPES.has(unit.type)) {
      found.add(unit.code);
      continue;
    }
    const communes = units.descendants(unit.code).filter((u) => COMMUNE_TYPES.has(u.type));
    // A unit with no communes below it (a department, a leaf of another type) is invited itself.
    for (const commune of communes.length ? communes : [unit]) found.add(commune.code);
  }
  return [...found];
}
