import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ApiError } from '@ioc/core';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AccessScope } from '../access/access-scope.js';
import { accessOf, requireRole } from '../authentication.js';
import type { WebContext } from '../context.js';
import { actorOf } from './auth.js';

/** What a KPI submission stored and refused (ingest's `KpiSubmitReport` fits). */
export interface KpiSubmitView {
  accepted: number;
  rejected: number;
  errors: Array<{ index: number; code: string; message: string }>;
  kpis: string[];
  dates: { first: string; last: string } | null;
}

export interface KpiSeriesRequest {
  kpi: string;
  unit?: string;
  /** Several units rolled up together (the union of their subtrees). */
  units?: readonly string[];
  sector?: string;
  from?: string;
  to?: string;
  every?: string;
}

/**
 * Public-service KPIs as the web service needs them (ingest's `KpiService` fits). Failures
 * are ApiErrors: 413 KPI_BATCH_TOO_LARGE, 503 KPI_STORE_UNAVAILABLE, 404 KPI_NOT_FOUND /
 * UNIT_NOT_FOUND, 400 INVALID_QUERY / PERIOD_TOO_LONG.
 */
export interface KpiDesk {
  readonly maxBatch: number;
  definitions(): readonly object[];
  submit(rows: readonly unknown[]): Promise<KpiSubmitView>;
  series(query: KpiSeriesRequest): Promise<object>;
  breakdown(query: Omit<KpiSeriesRequest, 'every'>): Promise<object>;
}

const Day = (description: string) =>
  Type.Optional(
    Type.String({
      minLength: 10,
      maxLength: 40,
      description: `${description}: a local day yyyy-MM-dd (Asia/Ho_Chi_Minh) or an ISO 8601 time`,
    }),
  );
const ReadQuery = {
  kpi: Type.String({ minLength: 1, maxLength: 64, description: 'KPI code' }),
  unit: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 64,
      description:
        'Admin unit whose subtree is rolled up; default the root, or everything your rooms cover',
    }),
  ),
  units: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 2000,
      pattern: '^[^,]+(,[^,]+)*$',
      description: 'Several units rolled up together, comma-separated (instead of `unit`)',
    }),
  ),
  sector: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  from: Day('First day; default 30 days before `to`'),
  to: Day('Last day, inclusive; default today'),
};

/** Largest KPI request body: 5,000 observations with room to spare. */
const BODY_LIMIT = 4 * 1024 * 1024;

/**
 * KPIs over REST: integrators (role service, or admin) push daily figures, everyone signed in
 * reads them rolled up over the unit tree. Every submission is audited, refused or not.
 */
export async function kpiRoutes(app: FastifyInstance, ctx: WebContext): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const desk = (): KpiDesk => {
    if (!ctx.kpi)
      throw new ApiError(503, 'INGEST_UNAVAILABLE', 'ingest does not run in this process');
    return ctx.kpi;
  };

  api.get(
    '/api/v1/kpi/definitions',
    {
      schema: {
        tags: ['kpi'],
        summary: 'KPI definitions: names, unit of measure, direction, target, sector, roll-up',
      },
    },
    async () => ({ kpis: desk().definitions() }),
  );

  api.get(
    '/api/v1/kpi',
    {
      schema: {
        tags: ['kpi'],
        summary: 'A KPI for a unit over time, rolled up over its subtree, with latest and target',
        description:
          'Buckets of `every` (Nd, Nw from Monday, Nmo calendar months); from/to are widened to ' +
          'whole buckets. Counts are summed over the subtree; ratios divide the rolled-up ' +
          'numerator by the rolled-up denominator.',
        querystring: Type.Object({
          ...ReadQuery,
          every: Type.String({ pattern: '^[1-9][0-9]{0,2}(d|w|mo)$', default: '1d' }),
        }),
      },
    },
    async (request) => desk().series(scopedKpiQuery(ctx, desk(), request, request.query)),
  );

  api.get(
    '/api/v1/kpi/breakdown',
    {
      schema: {
        tags: ['kpi'],
        summary: "A KPI over a period for each child of a unit (a map's choropleth)",
        querystring: Type.Object(ReadQuery),
      },
    },
    async (request) => {
      const query = scopedKpiQuery(ctx, desk(), request, request.query);
      const scope = accessOf(request).view;
      const breakdown = (await desk().breakdown(query)) as { children?: Array<{ unit: string }> };
      if (!scope.unrestricted && Array.isArray(breakdown.children)) {
        breakdown.children = breakdown.children.filter((c) => scope.allows(c.unit, query.sector));
      }
      return breakdown;
    },
  );

  api.post(
    '/api/v1/kpi',
    {
      // Before the schema, which would wrap a lone value into an array.
      preValidation: [requireRole('service', 'admin'), requireObservationArray],
      bodyLimit: BODY_LIMIT,
      schema: {
        tags: ['kpi'],
        summary: 'Push KPI observations (integrators: a service-role API token)',
        description:
          'Body `{"observations": [{"kpi", "unit", "sector"?, "date" | "ts", "value"}, ...]}`, at ' +
          'most 5,000 rows. `date` is a local day (yyyy-MM-dd) stored at its midnight in ' +
          'Asia/Ho_Chi_Minh; `ts` an ISO 8601 time or epoch ms. Good rows are stored, bad rows ' +
          'come back as `errors: [{index, code, message}]`. Sending the same row again ' +
          'overwrites it. Ratio KPIs (e.g. on_time_rate) are derived and cannot be sent.',
        body: Type.Object(
          { observations: Type.Array(Type.Unknown()) },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const rows = request.body.observations;
      const audit = (outcome: 'ok' | 'failed', details: Record<string, unknown>) =>
        ctx.audit.record({
          actor: actorOf(request),
          action: 'kpi.submit',
          target: 'kpi',
          ip: request.ip,
          outcome,
          details: { rows: rows.length, ...details },
        });
      let report: KpiSubmitView;
      try {
        report = await desk().submit(rows);
      } catch (err) {
        if (err instanceof ApiError) await audit('failed', { error: err.code });
        throw err;
      }
      const { accepted, rejected, errors, kpis, dates } = report;
      await audit(accepted > 0 || rows.length === 0 ? 'ok' : 'failed', {
        accepted,
        rejected,
        kpis,
        dates,
        refusals: countBy(errors.map((e) => e.code)),
      });
      return { accepted, rejected, errors };
    },
  );
}

/** The KPI query string as it arrives: `units` still a comma list. */
type KpiQueryString = Omit<KpiSeriesRequest, 'units'> & { units?: string };

/**
 * The query as the caller's rooms allow it: without `unit` or `units`, the roll-up covers
 * what their rooms cover (the root, their one unit, or the union of their units); the sector
 * defaults to the KPI's own. A roll-up whose subtree or sector lies outside every room
 * answers as an unknown unit does.
 */
function scopedKpiQuery<Q extends KpiQueryString>(
  ctx: WebContext,
  kpis: KpiDesk,
  request: FastifyRequest,
  query: Q,
): Omit<Q, 'units'> & { units?: string[] } {
  const { units: unitList, ...rest } = query;
  const asked = unitList?.split(',').map((code) => code.trim());
  if (asked && query.unit !== undefined) {
    throw new ApiError(400, 'INVALID_QUERY', 'name either unit or units, not both');
  }
  const scope = accessOf(request).view;
  if (scope.unrestricted) return { ...rest, ...(asked ? { units: asked } : {}) };
  const definition = kpis.definitions().find((d) => (d as { code?: unknown }).code === query.kpi) as
    | { sector?: string }
    | undefined;
  if (!definition) return rest; // the desk answers KPI_NOT_FOUND
  const sector = query.sector ?? definition.sector ?? null;
  const single = query.unit ?? (asked ? undefined : scope.defaultUnit());
  const units = single !== undefined ? [single] : (asked ?? coveredUnits(ctx, scope, sector));
  const outside = units.find((unit) => !scope.allows(unit, sector));
  if (outside !== undefined || units.length === 0) {
    throw new ApiError(
      404,
      'UNIT_NOT_FOUND',
      `"${outside ?? ''}" is not an administrative unit of dataset ${ctx.units.dataset.id}`,
    );
  }
  // Only the figures of the allowed sector, not every sector's rolled up under the KPI.
  const sectorPart = sector === null ? {} : { sector };
  return single !== undefined
    ? { ...rest, unit: single, ...sectorPart }
    : { ...rest, units, ...sectorPart };
}

/**
 * The outermost units whose whole subtree the caller sees for this sector: the union of
 * their rooms, as the roll-up they get when they name no unit.
 */
function coveredUnits(ctx: WebContext, scope: AccessScope, sector: string | null): string[] {
  return ctx.units
    .all()
    .filter((unit) => scope.allows(unit.code, sector))
    .filter((unit) => unit.parentCode === null || !scope.allows(unit.parentCode, sector))
    .map((unit) => unit.code);
}

async function requireObservationArray(request: FastifyRequest): Promise<void> {
  const observations = (request.body as { observations?: unknown } | null)?.observations;
  if (observations !== undefined && !Array.isArray(observations)) {
    throw new ApiError(400, 'INVALID_REQUEST', 'observations must be an array');
  }
}

function countBy(codes: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const code of codes) counts[code] = (counts[code] ?? 0) + 1;
  return counts;
}
