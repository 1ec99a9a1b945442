import {
  ApiError,
  ApiTokens,
  AuditLog,
  createLogger,
  HealthRegistry,
  loadUnitTree,
  type Role,
  SessionStore,
  type SqlStore,
  sqlTestBackends,
  UserAccounts,
} from '@ioc/core';
import { DeviceRegistry, loadDeviceCatalogue } from '@ioc/devices';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { WebContext } from '../context.js';
import { buildWebApp } from '../web-app.js';
import type { RuleAdmin, RuleView } from './rules.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

/**
 * Stands in for ingest's RuleStore behind the RuleAdmin interface (the web package does not
 * depend on ingest; the store's checks are tested in ingest/src/rules). It keeps rules in
 * memory and answers with the same ApiErrors, so these tests are about the HTTP side: roles,
 * status codes, error bodies and the audit log.
 */
class MemoryRuleAdmin implements RuleAdmin {
  readonly inputSchema = Type.Object(
    { id: Type.Optional(Type.String()), severity: Type.String(), condition: Type.Object({}) },
    { description: 'a rule (test schema)' },
  );
  readonly rules = new Map<string, RuleView & { actor: string }>();
  #serial = 0;

  async list() {
    return [...this.rules.values()];
  }

  async get(id: string) {
    return this.rules.get(id);
  }

  async create(input: unknown, actor: string) {
    const rule = this.#checked(input, actor);
    if (this.rules.has(rule.id)) throw new ApiError(409, 'RULE_EXISTS', `"${rule.id}" exists`);
    this.rules.set(rule.id, rule);
    return rule;
  }

  async update(id: string, input: unknown, actor: string) {
    this.#editable(id);
    const rule = { ...this.#checked(input, actor), id };
    this.rules.set(id, rule);
    return rule;
  }

  async setEnabled(id: string, enabled: boolean, actor: string) {
    const rule = { ...this.#editable(id), enabled, actor };
    this.rules.set(id, rule);
    return rule;
  }

  async remove(id: string, _actor: string) {
    const rule = this.#editable(id);
    this.rules.delete(id);
    return rule;
  }

  #checked(input: unknown, actor: string): RuleView & { actor: string } {
    const body = (input ?? {}) as { id?: string; severity?: unknown };
    if (typeof body.severity !== 'string') {
      const problems = [
        { field: 'severity', code: 'FIELD_REQUIRED', message: 'severity is missing' },
      ];
      throw new ApiError(400, 'RULE_INVALID', 'severity: severity is missing', { problems });
    }
    return {
      id: body.id ?? `rule-${++this.#serial}`,
      enabled: true,
      severity: body.severity,
      condition: { kind: 'threshold' },
      origin: 'api',
      actor,
    };
  }

  #editable(id: string) {
    const rule = this.rules.get(id);
    if (!rule) throw new ApiError(404, 'RULE_NOT_FOUND', `no rule with id "${id}"`);
    if (rule.origin === 'file') {
      throw new ApiError(409, 'RULE_MANAGED_BY_FILE', `rule "${id}" comes from the rules file`);
    }
    return rule;
  }
}

const { backends, cleanup } = sqlTestBackends('web-rules', inject('postgresUrl'));
const pglite = backends.find((b) => b.kind === 'pglite');
afterAll(cleanup);

let sql: SqlStore;
let audit: AuditLog;
let rules: MemoryRuleAdmin;
let app: FastifyInstance;
let withoutIngest: FastifyInstance;
const tokens = {} as Record<Role, string>;

beforeAll(async () => {
  if (!pglite) throw new Error('no PGlite backend');
  sql = await pglite.open();
  const [units, catalogue] = await Promise.all([
    loadUnitTree('da-nang-2025'),
    loadDeviceCatalogue(),
  ]);
  const apiTokens = new ApiTokens(sql);
  for (const role of ['admin', 'ioc-operator', 'room-operator', 'viewer', 'service'] as Role[]) {
    tokens[role] = (await apiTokens.create({ name: role, role, createdBy: 'test' })).token;
  }
  audit = new AuditLog(sql);
  rules = new MemoryRuleAdmin();
  const ctx: WebContext = {
    health: new HealthRegistry(),
    metrics: new Registry(),
    units,
    unitDataset: 'da-nang-2025',
    accounts: new UserAccounts(sql),
    sessions: new SessionStore(sql, 1),
    tokens: apiTokens,
    audit,
    devices: new DeviceRegistry({ sql, catalogue, units }),
    catalogue,
    rules,
    sessionTtlHours: 1,
  };
  const logger = createLogger('silent');
  app = await buildWebApp(ctx, { logger, version: 'test' });
  withoutIngest = await buildWebApp({ ...ctx, rules: undefined }, { logger, version: 'test' });
});
afterAll(async () => {
  await app?.close();
  await withoutIngest?.close();
  await sql?.close();
});

async function call(
  role: Role | null,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  url: string,
  body?: unknown,
  target = app,
) {
  const response = await target.inject({
    method,
    url,
    headers: role ? { authorization: `Bearer ${tokens[role]}` } : {},
    ...(body === undefined ? {} : { payload: body as object }),
  });
  return { status: response.statusCode, body: response.body ? response.json() : undefined };
}

/** Audit entries about `target`, oldest first, as "actor action outcome". */
async function auditOf(target: string): Promise<string[]> {
  return (await audit.recent(1000))
    .filter((entry) => entry.target === target)
    .reverse()
    .map((entry) => `${entry.actor} ${entry.action} ${entry.outcome}`);
}

const RULE = { id: 'high-water', severity: 'critical', condition: { kind: 'threshold' } };

describe('rules API', () => {
  it('lets an admin create, read, replace, disable, enable and delete a rule, all audited', async () => {
    const created = await call('admin', 'POST', '/api/v1/rules', RULE);
    expect(created).toEqual({
      status: 201,
      body: {
        rule: {
          id: 'high-water',
          enabled: true,
          severity: 'critical',
          condition: { kind: 'threshold' },
          origin: 'api',
          actor: 'token:admin',
        },
      },
    });
    expect((await call('admin', 'GET', '/api/v1/rules/high-water')).body.rule.id).toBe(
      'high-water',
    );
    const replaced = await call('admin', 'PUT', '/api/v1/rules/high-water', {
      ...RULE,
      severity: 'minor',
    });
    expect([replaced.status, replaced.body.rule.severity]).toEqual([200, 'minor']);
    const disabled = await call('admin', 'POST', '/api/v1/rules/high-water/disable');
    expect([disabled.status, disabled.body.rule.enabled]).toEqual([200, false]);
    const enabled = await call('admin', 'POST', '/api/v1/rules/high-water/enable');
    expect([enabled.status, enabled.body.rule.enabled]).toEqual([200, true]);
    expect(await call('admin', 'DELETE', '/api/v1/rules/high-water')).toEqual({
      status: 204,
      body: undefined,
    });
    expect(rules.rules.has('high-water')).toBe(false);
    expect(await auditOf('rule:high-water')).toEqual([
      'token:admin rule.create ok',
      'token:admin rule.update ok',
      'token:admin rule.disable ok',
      'token:admin rule.enable ok',
      'token:admin rule.delete ok',
    ]);
    const [entry] = (await audit.recent(1000)).filter(
      (e) => e.target === 'rule:high-water' && e.action === 'rule.create',
    );
    expect(entry?.details).toEqual({
      severity: 'critical',
      kind: 'threshold',
      enabled: true,
    });
  });

  it('audits a created rule under the id it was given when the body had none', async () => {
    const created = await call('admin', 'POST', '/api/v1/rules', { severity: 'info' });
    expect(created.status).toBe(201);
    expect(created.body.rule.id).toMatch(/^rule-\d+$/);
    expect(await auditOf(`rule:${created.body.rule.id}`)).toEqual(['token:admin rule.create ok']);
  });

  it('lets every signed-in role read the rules, and nobody without credentials', async () => {
    await call('admin', 'POST', '/api/v1/rules', { ...RULE, id: 'readable' });
    for (const role of ['viewer', 'ioc-operator', 'room-operator', 'service'] as Role[]) {
      const list = await call(role, 'GET', '/api/v1/rules');
      expect(list.status).toBe(200);
      expect(list.body.rules.map((r: RuleView) => r.id)).toContain('readable');
      expect((await call(role, 'GET', '/api/v1/rules/readable')).status).toBe(200);
    }
    const anonymous = await call(null, 'GET', '/api/v1/rules');
    expect([anonymous.status, anonymous.body.code]).toEqual([401, 'UNAUTHENTICATED']);
  });

  it('refuses every change by an ioc-operator (403), changes nothing and audits the attempt', async () => {
    await call('admin', 'POST', '/api/v1/rules', { ...RULE, id: 'guarded' });
    const attempts = [
      ['POST', '/api/v1/rules', { ...RULE, id: 'sneaky' }],
      ['PUT', '/api/v1/rules/guarded', { ...RULE, severity: 'info' }],
      ['POST', '/api/v1/rules/guarded/disable', undefined],
      ['POST', '/api/v1/rules/guarded/enable', undefined],
      ['DELETE', '/api/v1/rules/guarded', undefined],
    ] as const;
    for (const [method, url, body] of attempts) {
      const refused = await call('ioc-operator', method, url, body);
      expect([refused.status, refused.body.code]).toEqual([403, 'FORBIDDEN']);
      expect(refused.body.message).toBe('this action needs the role admin; you are ioc-operator');
    }
    expect(rules.rules.get('guarded')).toMatchObject({ severity: 'critical', enabled: true });
    expect(rules.rules.has('sneaky')).toBe(false);
    expect(await auditOf('rule:guarded')).toEqual([
      'token:admin rule.create ok',
      'token:ioc-operator rule.update denied',
      'token:ioc-operator rule.disable denied',
      'token:ioc-operator rule.enable denied',
      'token:ioc-operator rule.delete denied',
    ]);
    expect(await auditOf('rule:sneaky')).toEqual(['token:ioc-operator rule.create denied']);
    const viewer = await call('viewer', 'DELETE', '/api/v1/rules/guarded');
    expect(viewer.status).toBe(403);
  });

  it("answers the store's checks with each problem by field and code, audited as failed", async () => {
    const invalid = await call('admin', 'POST', '/api/v1/rules', { id: 'no-severity' });
    expect(invalid).toEqual({
      status: 400,
      body: {
        code: 'RULE_INVALID',
        message: 'severity: severity is missing',
        details: {
          problems: [{ field: 'severity', code: 'FIELD_REQUIRED', message: 'severity is missing' }],
        },
      },
    });
    expect(await auditOf('rule:no-severity')).toEqual(['token:admin rule.create failed']);
    // No body at all reaches the store as such, which refuses it the same way.
    expect((await call('admin', 'POST', '/api/v1/rules')).body.code).toBe('RULE_INVALID');

    await call('admin', 'POST', '/api/v1/rules', { ...RULE, id: 'twice' });
    expect((await call('admin', 'POST', '/api/v1/rules', { ...RULE, id: 'twice' })).status).toBe(
      409,
    );
    const missing = await call('admin', 'PUT', '/api/v1/rules/nothing-here', RULE);
    expect([missing.status, missing.body.code]).toEqual([404, 'RULE_NOT_FOUND']);
    expect((await call('viewer', 'GET', '/api/v1/rules/nothing-here')).status).toBe(404);
    const badId = await call('viewer', 'GET', '/api/v1/rules/NOT%20AN%20ID');
    expect([badId.status, badId.body.code]).toEqual([400, 'INVALID_REQUEST']);

    rules.rules.set('from-file', {
      id: 'from-file',
      enabled: true,
      severity: 'major',
      condition: { kind: 'offline' },
      origin: 'file',
      actor: 'file',
    });
    const fileRule = await call('admin', 'POST', '/api/v1/rules/from-file/disable');
    expect([fileRule.status, fileRule.body.code]).toEqual([409, 'RULE_MANAGED_BY_FILE']);
    expect(await auditOf('rule:from-file')).toEqual(['token:admin rule.disable failed']);
  });

  it('documents the rule body in the OpenAPI description', async () => {
    const docs = await app.inject({ method: 'GET', url: '/api/docs/json' });
    const post = docs.json().paths['/api/v1/rules'].post;
    const schema = post.requestBody.content['application/json'].schema;
    expect(Object.keys(schema.properties)).toEqual(['id', 'severity', 'condition']);
    expect(post.tags).toEqual(['rules']);
  });

  it('answers 503 when ingest does not run in this process', async () => {
    const list = await call('viewer', 'GET', '/api/v1/rules', undefined, withoutIngest);
    expect([list.status, list.body.code]).toEqual([503, 'INGEST_UNAVAILABLE']);
    const create = await call('admin', 'POST', '/api/v1/rules', RULE, withoutIngest);
    expect(create.status).toBe(503);
  });
});
