import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { type AdminUnitTree, ApiError } from '@ioc/core';
import { isSector, SECTOR_IDS } from '@ioc/devices';
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requireRole } from '../authentication.js';
import type { WebContext } from '../context.js';
import { actorOf } from './auth.js';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const literals = <T extends string>(values: readonly T[], description?: string) =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    description ? { description } : {},
  );

const SEVERITIES = ['critical', 'major', 'minor', 'warning', 'info'] as const;
const CHANGES = ['raised', 'acknowledged', 'assigned', 'escalated', 'resolved', 'cleared'] as const;
const STATUSES = ['pending', 'delivered', 'failed', 'dropped', 'cancelled'] as const;
const MAX_RECIPIENTS = 50;
// Loose on purpose: catches typos; the SMTP server decides the rest.
const EMAIL = /^[^\s@<>(),;:"[\]]+@[^\s@<>(),;:"[\]]+$/;

const FilterFields = {
  minSeverity: Type.Optional(
    literals(SEVERITIES, 'The least severe level notified. Default info (everything).'),
  ),
  sectors: Type.Optional(
    Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
      maxItems: 20,
      description: `Only alerts of these sectors (${SECTOR_IDS.join(', ')}); empty: every sector.`,
    }),
  ),
  unit: Type.Optional(
    Nullable(
      Type.String({
        minLength: 1,
        maxLength: 32,
        description: 'Only alerts in this admin unit or below it; null: everywhere.',
      }),
    ),
  ),
  changes: Type.Optional(
    Type.Array(literals(CHANGES), {
      minItems: 1,
      description:
        'Alert changes that notify. Default raised, escalated, resolved, cleared; re-triggers never notify.',
    }),
  ),
  enabled: Type.Optional(Type.Boolean({ description: 'Default true.' })),
};
const ChannelFields = {
  url: Type.Optional(
    Type.String({ minLength: 1, maxLength: 2000, description: 'Webhook: http(s) URL to POST to.' }),
  ),
  secret: Type.Optional(
    Type.String({
      minLength: 16,
      maxLength: 256,
      description:
        'Webhook: HMAC-SHA256 key of X-IOC-Signature; generated when left out. Never returned after creation.',
    }),
  ),
  recipients: Type.Optional(
    Type.Array(Type.String({ minLength: 1, maxLength: 254 }), {
      description: 'E-mail: addresses of one message.',
    }),
  ),
};

const SubscriptionBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    channel: literals(['webhook', 'email'] as const),
    ...ChannelFields,
    ...FilterFields,
  },
  { additionalProperties: false },
);
const SubscriptionPatchBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    ...ChannelFields,
    ...FilterFields,
  },
  { additionalProperties: false, minProperties: 1 },
);

const SubscriptionView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  channel: Type.String(),
  url: Nullable(Type.String()),
  recipients: Type.Array(Type.String()),
  minSeverity: Type.String(),
  sectors: Type.Array(Type.String()),
  unit: Nullable(Type.String()),
  changes: Type.Array(Type.String()),
  enabled: Type.Boolean(),
  createdBy: Nullable(Type.String()),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});
const DeliveryView = Type.Object({
  id: Type.String(),
  subscriptionId: Type.String(),
  alertId: Type.String(),
  change: Type.String(),
  status: Type.String(),
  attempts: Type.Integer(),
  lastStatus: Nullable(Type.Integer()),
  lastError: Nullable(Type.String()),
  createdAt: Type.String(),
  lastAttemptAt: Nullable(Type.String()),
  nextAttemptAt: Nullable(Type.String()),
  finishedAt: Nullable(Type.String()),
});
const TestResultView = Type.Object({
  deliveryId: Type.String(),
  delivered: Type.Boolean(),
  status: Nullable(Type.Integer()),
  error: Nullable(Type.String()),
  ms: Type.Number(),
});
const SubscriptionId = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export type NotificationSubscriptionBody = Static<typeof SubscriptionBody>;
export type NotificationSubscriptionPatchBody = Static<typeof SubscriptionPatchBody>;
export type NotificationSubscriptionView = Static<typeof SubscriptionView>;
export type NotificationDeliveryView = Static<typeof DeliveryView>;

/**
 * What the notification routes need from ingest's NotificationService. Its methods throw
 * ApiErrors (404 SUBSCRIPTION_NOT_FOUND, 409 SUBSCRIPTION_NAME_TAKEN, 400 with a code).
 */
export interface NotificationAdmin {
  listSubscriptions(): Promise<NotificationSubscriptionView[]>;
  getSubscription(id: string): Promise<NotificationSubscriptionView | undefined>;
  /** A webhook's secret is in this answer only. */
  createSubscription(
    input: NotificationSubscriptionBody,
    createdBy: string | null,
  ): Promise<{ subscription: NotificationSubscriptionView; secret?: string }>;
  updateSubscription(
    id: string,
    patch: NotificationSubscriptionPatchBody,
  ): Promise<NotificationSubscriptionView>;
  deleteSubscription(id: string): Promise<void>;
  sendTest(id: string, actor: string | null): Promise<Static<typeof TestResultView>>;
  listDeliveries(query: {
    status?: (typeof STATUSES)[number];
    subscriptionId?: string;
    limit?: number;
  }): Promise<NotificationDeliveryView[]>;
}

/**
 * Alert notification subscriptions (webhook, e-mail) and their delivery log, admin only.
 * Every change is audited; a webhook's signing secret is shown in the creation answer only.
 */
export async function notificationRoutes(app: FastifyInstance, ctx: WebContext): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const adminOnly = requireRole('admin');
  const tags = ['notifications'];
  const service = (): NotificationAdmin => {
    if (!ctx.notifications) {
      throw new ApiError(
        503,
        'INGEST_UNAVAILABLE',
        'ingest (notifications) does not run in this process',
      );
    }
    return ctx.notifications;
  };
  const audit = (
    request: FastifyRequest,
    action: string,
    target: string,
    details?: Record<string, unknown>,
  ) => ctx.audit.record({ actor: actorOf(request), action, target, ip: request.ip, details });

  api.get(
    '/api/v1/notifications/subscriptions',
    {
      preHandler: adminOnly,
      schema: {
        tags,
        summary: 'Notification subscriptions',
        response: { 200: Type.Object({ subscriptions: Type.Array(SubscriptionView) }) },
      },
    },
    async () => ({ subscriptions: await service().listSubscriptions() }),
  );

  api.post(
    '/api/v1/notifications/subscriptions',
    {
      preHandler: adminOnly,
      schema: {
        tags,
        summary: 'Subscribe a webhook or e-mail recipients to alert changes',
        description:
          'A webhook gets POST {change, alert, actor, at} signed with X-IOC-Signature: sha256=<HMAC of the body>; its secret is in this answer only.',
        body: SubscriptionBody,
        response: {
          201: Type.Object({
            subscription: SubscriptionView,
            secret: Type.Optional(Type.String()),
          }),
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      checkSubscription(body, body.channel, ctx.units, true);
      const created = await service().createSubscription(body, actorOf(request));
      const { subscription } = created;
      await audit(request, 'notification.subscription.create', target(subscription.id), {
        name: subscription.name,
        channel: subscription.channel,
        ...destination(subscription),
      });
      return reply.status(201).send(created);
    },
  );

  api.get(
    '/api/v1/notifications/subscriptions/:id',
    {
      preHandler: adminOnly,
      schema: {
        tags,
        summary: 'One subscription (without its secret)',
        params: SubscriptionId,
        response: { 200: Type.Object({ subscription: SubscriptionView }) },
      },
    },
    async (request) => {
      const subscription = await service().getSubscription(request.params.id);
      if (!subscription) throw notFound(request.params.id);
      return { subscription };
    },
  );

  api.patch(
    '/api/v1/notifications/subscriptions/:id',
    {
      preHandler: adminOnly,
      schema: {
        tags,
        summary: 'Change a subscription (its channel is fixed); a new secret replaces the old one',
        params: SubscriptionId,
        body: SubscriptionPatchBody,
        response: { 200: Type.Object({ subscription: SubscriptionView }) },
      },
    },
    async (request) => {
      const current = await service().getSubscription(request.params.id);
      if (!current) throw notFound(request.params.id);
      checkSubscription(request.body, current.channel, ctx.units, false);
      const subscription = await service().updateSubscription(request.params.id, request.body);
      const { secret, ...changed } = request.body;
      await audit(request, 'notification.subscription.update', target(subscription.id), {
        changed: Object.keys(changed),
        ...(secret === undefined ? {} : { secretReplaced: true }),
      });
      return { subscription };
    },
  );

  api.delete(
    '/api/v1/notifications/subscriptions/:id',
    {
      preHandler: adminOnly,
      schema: {
        tags,
        summary: 'Delete a subscription with its pending deliveries and delivery log',
        params: SubscriptionId,
      },
    },
    async (request, reply) => {
      await service().deleteSubscription(request.params.id);
      await audit(request, 'notification.subscription.delete', target(request.params.id));
      return reply.status(204).send();
    },
  );

  api.post(
    '/api/v1/notifications/subscriptions/:id/test',
    {
      preHandler: adminOnly,
      schema: {
        tags,
        summary: 'Send a test notification now (one attempt) and report the answer',
        params: SubscriptionId,
        response: { 200: Type.Object({ result: TestResultView }) },
      },
    },
    async (request) => {
      const result = await service().sendTest(request.params.id, actorOf(request));
      await audit(request, 'notification.subscription.test', target(request.params.id), {
        delivered: result.delivered,
        status: result.status,
        ...(result.error ? { error: result.error } : {}),
      });
      return { result };
    },
  );

  api.get(
    '/api/v1/notifications/deliveries',
    {
      preHandler: adminOnly,
      schema: {
        tags,
        summary: 'Recent notification deliveries, newest first (failures: status=failed)',
        querystring: Type.Object({
          status: Type.Optional(literals(STATUSES)),
          subscription: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
          limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
        }),
        response: { 200: Type.Object({ deliveries: Type.Array(DeliveryView) }) },
      },
    },
    async (request) => {
      const { status, subscription, limit } = request.query;
      return {
        deliveries: await service().listDeliveries({
          status,
          subscriptionId: subscription,
          limit,
        }),
      };
    },
  );
}

/**
 * The checks a schema cannot express, with codes a client can act on: INVALID_URL,
 * NO_RECIPIENTS, INVALID_RECIPIENT, TOO_MANY_RECIPIENTS, FIELD_NOT_FOR_CHANNEL,
 * UNKNOWN_SECTOR, UNKNOWN_UNIT. (The service checks the same for callers other than HTTP.)
 */
function checkSubscription(
  body: NotificationSubscriptionPatchBody,
  channel: string,
  units: AdminUnitTree,
  creating: boolean,
): void {
  if (channel === 'webhook') {
    if (body.recipients !== undefined) {
      throw invalid('FIELD_NOT_FOR_CHANNEL', 'recipients are for e-mail subscriptions only');
    }
    if (creating && body.url === undefined) {
      throw invalid('INVALID_URL', 'a webhook subscription needs a url');
    }
    if (body.url !== undefined) checkUrl(body.url);
  } else {
    if (body.url !== undefined || body.secret !== undefined) {
      throw invalid('FIELD_NOT_FOR_CHANNEL', 'url and secret are for webhook subscriptions only');
    }
    if (creating || body.recipients !== undefined) checkRecipients(body.recipients ?? []);
  }
  for (const sector of body.sectors ?? []) {
    if (!isSector(sector)) {
      throw invalid(
        'UNKNOWN_SECTOR',
        `sector "${sector}" is unknown; use one of ${SECTOR_IDS.join(', ')}`,
      );
    }
  }
  if (body.unit != null && !units.has(body.unit)) {
    throw invalid(
      'UNKNOWN_UNIT',
      `unit "${body.unit}" is not in the unit dataset '${units.dataset.id}'; use a code from GET /api/v1/units`,
    );
  }
}

function checkUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid('INVALID_URL', `url "${url}" is not an absolute URL (e.g. https://host/path)`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw invalid('INVALID_URL', `url must use http or https, not ${parsed.protocol}`);
  }
}

function checkRecipients(recipients: string[]): void {
  if (recipients.length === 0) {
    throw invalid('NO_RECIPIENTS', 'an e-mail subscription needs at least one recipient');
  }
  if (recipients.length > MAX_RECIPIENTS) {
    throw invalid('TOO_MANY_RECIPIENTS', `at most ${MAX_RECIPIENTS} recipients per subscription`);
  }
  for (const address of recipients) {
    if (!EMAIL.test(address.trim())) {
      throw invalid('INVALID_RECIPIENT', `"${address}" is not an e-mail address`);
    }
  }
}

/** Where notifications go, for the audit log (never the secret). */
function destination(subscription: NotificationSubscriptionView): Record<string, unknown> {
  if (subscription.url) return { host: new URL(subscription.url).host };
  return { recipients: subscription.recipients.length };
}

function target(id: string): string {
  return `notification-subscription:${id}`;
}

function notFound(id: string): ApiError {
  return new ApiError(
    404,
    'SUBSCRIPTION_NOT_FOUND',
    `no notification subscription with id "${id}"`,
  );
}

function invalid(code: string, message: string): ApiError {
  return new ApiError(400, code, message);
}
