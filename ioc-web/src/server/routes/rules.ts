import { ApiError } from '@ioc/core';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requireRole } from '../authentication.js';
import type { WebContext } from '../context.js';
import { actorOf } from './auth.js';

/** A stored rule as the API returns it (ingest's `Rule`; the fields below are what routes read). */
export interface RuleView {
  id: string;
  enabled: boolean;
  severity: string;
  condition: { kind: string };
  origin: 'api' | 'file';
}

/**
 * The rule store as the web service needs it (ingest's `RuleStore` fits). It checks every
 * input itself; failures are ApiErrors: 400 RULE_INVALID with `details.problems` (one
 * `{field, code, message}` per problem), 404 RULE_NOT_FOUND, 409 RULE_EXISTS and
 * 409 RULE_MANAGED_BY_FILE.
 */
export interface RuleAdmin {
  /** JSON schema of a rule input, for the API docs. */
  readonly inputSchema: object;
  list(): Promise<RuleView[]>;
  get(id: string): Promise<RuleView | undefined>;
  create(input: unknown, actor: string): Promise<RuleView>;
  update(id: string, input: unknown, actor: string): Promise<RuleView>;
  setEnabled(id: string, enabled: boolean, actor: string): Promise<RuleView>;
  remove(id: string, actor: string): Promise<RuleView>;
}

const RuleId = Type.Object({
  id: Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,63}$', description: 'Rule id' }),
});

/**
 * The rule store checks bodies (every problem with its field and code); route schemas only
 * document them, so Fastify's validator is bypassed on these routes.
 */
const documentedOnly = () => (data: unknown) => ({ value: data });

/**
 * Alert rules over REST: every signed-in role may read them; only an admin creates,
 * replaces, enables, disables or deletes one. Every change is audited, refused and failed
 * attempts too.
 */
export async function ruleRoutes(app: FastifyInstance, ctx: WebContext): Promise<void> {
  const admin = (): RuleAdmin => {
    if (!ctx.rules) {
      throw new ApiError(503, 'INGEST_UNAVAILABLE', 'ingest (rules) does not run in this process');
    }
    return ctx.rules;
  };
  const inputSchema = ctx.rules?.inputSchema ?? Type.Object({}, { additionalProperties: true });
  const adminOnly = requireRole('admin');

  /** Runs an admin's change and audits it: ok, denied (not an admin) or failed (its code). */
  const audited = async <T>(
    request: FastifyRequest,
    action: string,
    target: string,
    run: () => Promise<{ result: T; details?: Record<string, unknown>; target?: string }>,
  ): Promise<T> => {
    const entry = { actor: actorOf(request), action, target: `rule:${target}`, ip: request.ip };
    try {
      await adminOnly(request);
    } catch (err) {
      await ctx.audit.record({ ...entry, outcome: 'denied' });
      throw err;
    }
    try {
      const done = await run();
      const { result, details } = done;
      await ctx.audit.record({ ...entry, target: `rule:${done.target ?? target}`, details });
      return result;
    } catch (err) {
      if (err instanceof ApiError) {
        await ctx.audit.record({ ...entry, outcome: 'failed', details: { code: err.code } });
      }
      throw err;
    }
  };
  const summary = (rule: RuleView) => ({
    severity: rule.severity,
    kind: rule.condition.kind,
    enabled: rule.enabled,
  });
  const idOf = (request: FastifyRequest) => (request.params as { id: string }).id;

  app.get(
    '/api/v1/rules',
    { schema: { tags: ['rules'], summary: 'Every alert rule, by id' } },
    async () => ({ rules: await admin().list() }),
  );

  app.get(
    '/api/v1/rules/:id',
    { schema: { tags: ['rules'], summary: 'One alert rule', params: RuleId } },
    async (request) => {
      const rule = await admin().get(idOf(request));
      if (!rule) throw new ApiError(404, 'RULE_NOT_FOUND', `no rule with id "${idOf(request)}"`);
      return { rule };
    },
  );

  app.post(
    '/api/v1/rules',
    {
      validatorCompiler: documentedOnly,
      schema: {
        tags: ['rules'],
        summary: 'Create an alert rule (admin); 400 RULE_INVALID lists each problem by field',
        body: inputSchema,
      },
    },
    async (request, reply) => {
      const bodyId = (request.body as { id?: unknown } | null)?.id;
      const rule = await audited(request, 'rule.create', String(bodyId ?? '(new)'), async () => {
        const created = await admin().create(request.body, actorOf(request));
        return { result: created, target: created.id, details: summary(created) };
      });
      return reply.status(201).send({ rule });
    },
  );

  app.put(
    '/api/v1/rules/:id',
    {
      validatorCompiler: documentedOnly,
      schema: {
        tags: ['rules'],
        summary: 'Replace an alert rule whole (admin); rules of the rules file are read-only',
        params: RuleId,
        body: inputSchema,
      },
    },
    async (request) => {
      const id = idOf(request);
      const rule = await audited(request, 'rule.update', id, async () => {
        const updated = await admin().update(id, request.body, actorOf(request));
        return { result: updated, details: summary(updated) };
      });
      return { rule };
    },
  );

  for (const [verb, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    app.post(
      `/api/v1/rules/:id/${verb}`,
      {
        validatorCompiler: documentedOnly,
        schema: {
          tags: ['rules'],
          summary: `${verb === 'enable' ? 'Enable' : 'Disable'} an alert rule (admin)${enabled ? '' : '; its open alerts are cleared'}`,
          params: RuleId,
        },
      },
      async (request) => {
        const id = idOf(request);
        const rule = await audited(request, `rule.${verb}`, id, async () => ({
          result: await admin().setEnabled(id, enabled, actorOf(request)),
        }));
        return { rule };
      },
    );
  }

  app.delete(
    '/api/v1/rules/:id',
    {
      validatorCompiler: documentedOnly,
      schema: {
        tags: ['rules'],
        summary: 'Delete an alert rule (admin); its open alerts are cleared',
        params: RuleId,
      },
    },
    async (request, reply: FastifyReply) => {
      const id = idOf(request);
      await audited(request, 'rule.delete', id, async () => {
        const removed = await admin().remove(id, actorOf(request));
        return { result: removed, details: summary(removed) };
      });
      return reply.status(204).send();
    },
  );
}
