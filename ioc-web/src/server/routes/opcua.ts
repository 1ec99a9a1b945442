import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ApiError } from '@ioc/core';
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requireRole } from '../authentication.js';
import type { WebContext } from '../context.js';
import { actorOf } from './auth.js';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const SecurityMode = Type.Union(
  (['None', 'Sign', 'SignAndEncrypt'] as const).map((m) => Type.Literal(m)),
  { description: 'Message security mode. Default None.' },
);
const SecurityPolicy = Type.Union(
  (
    [
      'None',
      'Basic128Rsa15',
      'Basic256',
      'Basic256Sha256',
      'Aes128_Sha256_RsaOaep',
      'Aes256_Sha256_RsaPss',
    ] as const
  ).map((p) => Type.Literal(p)),
  { description: 'Security policy. Default None without security, Basic256Sha256 with it.' },
);
const PublishingInterval = Type.Integer({
  minimum: 10,
  maximum: 3_600_000,
  description: 'How often the server sends the changes it collected, in ms.',
});
const Deadband = Type.Object(
  {
    type: Type.Union([Type.Literal('absolute'), Type.Literal('percent')]),
    value: Type.Number({ minimum: 0 }),
  },
  {
    additionalProperties: false,
    description: 'Changes smaller than this are not reported (numbers only; percent: 0-100).',
  },
);

const ServerBody = Type.Object(
  {
    id: Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'Short name for paths and metrics: letters, digits, "_" or "-".',
    }),
    endpointUrl: Type.String({ minLength: 1, maxLength: 512, description: 'opc.tcp://host:port' }),
    securityMode: Type.Optional(SecurityMode),
    securityPolicy: Type.Optional(SecurityPolicy),
    username: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    password: Type.Optional(
      Type.String({ maxLength: 1024, description: 'Stored for the login; never returned.' }),
    ),
    publishingIntervalMs: Type.Optional(PublishingInterval),
    enabled: Type.Optional(Type.Boolean({ description: 'Default true.' })),
  },
  { additionalProperties: false },
);

const ServerPatch = Type.Object(
  {
    endpointUrl: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
    securityMode: Type.Optional(SecurityMode),
    securityPolicy: Type.Optional(SecurityPolicy),
    username: Type.Optional(
      Nullable(
        Type.String({
          minLength: 1,
          maxLength: 256,
          description: 'null: anonymous login (removes the password too).',
        }),
      ),
    ),
    password: Type.Optional(Type.String({ maxLength: 1024 })),
    publishingIntervalMs: Type.Optional(PublishingInterval),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);

const NodeFields = {
  nodeId: Type.String({
    minLength: 1,
    maxLength: 1024,
    description: 'e.g. "nsu=urn:plc;s=Station.Level" or "ns=2;i=1001" (browse to find them).',
  }),
  deviceId: Type.String({ minLength: 1, maxLength: 64, description: 'A provisioned device.' }),
  metric: Type.String({
    minLength: 1,
    maxLength: 64,
    description: "A metric of the device's type.",
  }),
  samplingIntervalMs: Type.Integer({
    minimum: 0,
    maximum: 3_600_000,
    description: 'How often the server samples the node, in ms; 0: its fastest. Default 1000.',
  }),
  publishingIntervalMs: Nullable(PublishingInterval),
  deadband: Nullable(Deadband),
};
const NodeBody = Type.Object(
  {
    nodeId: NodeFields.nodeId,
    deviceId: NodeFields.deviceId,
    metric: NodeFields.metric,
    samplingIntervalMs: Type.Optional(NodeFields.samplingIntervalMs),
    publishingIntervalMs: Type.Optional(NodeFields.publishingIntervalMs),
    deadband: Type.Optional(NodeFields.deadband),
  },
  { additionalProperties: false },
);
const NodePatch = Type.Partial(NodeBody, { additionalProperties: false, minProperties: 1 });

const ServerView = Type.Object({
  id: Type.String(),
  endpointUrl: Type.String(),
  securityMode: Type.String(),
  securityPolicy: Type.String(),
  username: Nullable(Type.String()),
  hasPassword: Type.Boolean(),
  publishingIntervalMs: Type.Integer(),
  enabled: Type.Boolean(),
  source: Type.String({ description: 'api, file or demo (file and demo are rewritten on start)' }),
  nodeCount: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  status: Type.Object({
    state: Type.String({
      description: 'connecting, connected, reconnecting, failed, disabled or not-started',
    }),
    reason: Type.String(),
    refusedNodes: Type.Array(Type.String()),
  }),
});
const NodeView = Type.Object({
  id: Type.String({ format: 'uuid' }),
  serverId: Type.String(),
  nodeId: Type.String(),
  deviceId: Type.String(),
  metric: Type.String(),
  samplingIntervalMs: Type.Integer(),
  publishingIntervalMs: Nullable(Type.Integer()),
  deadband: Nullable(Deadband),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
const BrowsedNode = Type.Object({
  nodeId: Type.String(),
  browseName: Type.String(),
  displayName: Type.String(),
  nodeClass: Type.String(),
  dataType: Type.Optional(Type.String()),
  value: Type.Optional(Nullable(Type.Union([Type.Number(), Type.Boolean(), Type.String()]))),
});

export type OpcuaServerBody = Static<typeof ServerBody>;
export type OpcuaServerPatchBody = Static<typeof ServerPatch>;
export type OpcuaNodeBody = Static<typeof NodeBody>;
export type OpcuaNodePatchBody = Static<typeof NodePatch>;
export type OpcuaServerResponse = Static<typeof ServerView>;
export type OpcuaNodeResponse = Static<typeof NodeView>;

/**
 * OPC-UA servers and node mappings as the web service needs them (ingest's
 * OpcuaConfiguration). Failures are ApiErrors: 400 bad values, 404 unknown server, mapping
 * or device, 409 taken id or device metric.
 */
export interface OpcuaAdmin {
  listServers(): Promise<OpcuaServerResponse[]>;
  getServer(id: string): Promise<OpcuaServerResponse>;
  createServer(input: OpcuaServerBody): Promise<OpcuaServerResponse>;
  updateServer(id: string, patch: OpcuaServerPatchBody): Promise<OpcuaServerResponse>;
  deleteServer(id: string): Promise<void>;
  listNodes(serverId: string): Promise<OpcuaNodeResponse[]>;
  getNode(serverId: string, id: string): Promise<OpcuaNodeResponse>;
  createNode(serverId: string, input: OpcuaNodeBody): Promise<OpcuaNodeResponse>;
  updateNode(serverId: string, id: string, patch: OpcuaNodePatchBody): Promise<OpcuaNodeResponse>;
  deleteNode(serverId: string, id: string): Promise<void>;
  browse(serverId: string, nodeId?: string): Promise<Array<Static<typeof BrowsedNode>>>;
}

const ServerParams = Type.Object({ server: Type.String({ minLength: 1, maxLength: 64 }) });
const NodeParams = Type.Object({
  server: Type.String({ minLength: 1, maxLength: 64 }),
  id: Type.String({ minLength: 1, maxLength: 64, description: 'Mapping id (uuid).' }),
});
const TAGS = ['opcua'];

/**
 * OPC-UA servers and their node → device/metric mappings (admin only): stored in SQL and
 * applied to the running bridge at once; plus browsing a server for node ids. Every change
 * is audited; server passwords are never returned.
 */
export async function opcuaRoutes(app: FastifyInstance, ctx: WebContext): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const adminOnly = requireRole('admin');
  const opcua = (): OpcuaAdmin => {
    if (!ctx.opcua)
      throw new ApiError(503, 'INGEST_UNAVAILABLE', 'ingest does not run in this process');
    return ctx.opcua;
  };
  const audit = (
    request: FastifyRequest,
    action: string,
    target: string,
    details?: Record<string, unknown>,
  ) => ctx.audit.record({ actor: actorOf(request), action, target, ip: request.ip, details });

  api.get(
    '/api/v1/opcua/servers',
    {
      preHandler: adminOnly,
      schema: {
        tags: TAGS,
        summary: 'OPC-UA servers with their connection state',
        response: { 200: Type.Object({ servers: Type.Array(ServerView) }) },
      },
    },
    async () => ({ servers: await opcua().listServers() }),
  );

  api.post(
    '/api/v1/opcua/servers',
    {
      // The role first: a refused caller learns nothing about the body.
      preValidation: [adminOnly, refuseUnknownFields(ServerBody)],
      schema: {
        tags: TAGS,
        summary: 'Add an OPC-UA server; it is connected at once',
        body: ServerBody,
        response: { 201: Type.Object({ server: ServerView }) },
      },
    },
    async (request, reply) => {
      const server = await opcua().createServer(request.body);
      await audit(request, 'opcua.server.create', `opcua-server:${server.id}`, {
        changes: withoutSecrets(request.body),
      });
      return reply.status(201).send({ server });
    },
  );

  api.get(
    '/api/v1/opcua/servers/:server',
    {
      preHandler: adminOnly,
      schema: {
        tags: TAGS,
        summary: 'One OPC-UA server',
        params: ServerParams,
        response: { 200: Type.Object({ server: ServerView }) },
      },
    },
    async (request) => ({ server: await opcua().getServer(request.params.server) }),
  );

  api.patch(
    '/api/v1/opcua/servers/:server',
    {
      // The role first: a refused caller learns nothing about the body.
      preValidation: [adminOnly, refuseUnknownFields(ServerPatch)],
      schema: {
        tags: TAGS,
        summary:
          'Change an OPC-UA server; endpoint, security or login changes reconnect it, the rest applies to its live session',
        params: ServerParams,
        body: ServerPatch,
        response: { 200: Type.Object({ server: ServerView }) },
      },
    },
    async (request) => {
      const server = await opcua().updateServer(request.params.server, request.body);
      await audit(request, 'opcua.server.update', `opcua-server:${server.id}`, {
        changes: withoutSecrets(request.body),
      });
      return { server };
    },
  );

  api.delete(
    '/api/v1/opcua/servers/:server',
    {
      preHandler: adminOnly,
      schema: {
        tags: TAGS,
        summary: 'Remove an OPC-UA server and its node mappings; it is disconnected at once',
        params: ServerParams,
      },
    },
    async (request, reply) => {
      await opcua().deleteServer(request.params.server);
      await audit(request, 'opcua.server.delete', `opcua-server:${request.params.server}`);
      return reply.status(204).send();
    },
  );

  api.get(
    '/api/v1/opcua/servers/:server/nodes',
    {
      preHandler: adminOnly,
      schema: {
        tags: TAGS,
        summary: 'The node → device/metric mappings of an OPC-UA server',
        params: ServerParams,
        response: { 200: Type.Object({ nodes: Type.Array(NodeView) }) },
      },
    },
    async (request) => ({ nodes: await opcua().listNodes(request.params.server) }),
  );

  api.post(
    '/api/v1/opcua/servers/:server/nodes',
    {
      // The role first: a refused caller learns nothing about the body.
      preValidation: [adminOnly, refuseUnknownFields(NodeBody)],
      schema: {
        tags: TAGS,
        summary: 'Map a node to a device metric; its values flow in at once',
        params: ServerParams,
        body: NodeBody,
        response: { 201: Type.Object({ node: NodeView }) },
      },
    },
    async (request, reply) => {
      const node = await opcua().createNode(request.params.server, request.body);
      await audit(request, 'opcua.node.create', `opcua-node:${node.id}`, {
        server: node.serverId,
        nodeId: node.nodeId,
        device: node.deviceId,
        metric: node.metric,
      });
      return reply.status(201).send({ node });
    },
  );

  api.get(
    '/api/v1/opcua/servers/:server/nodes/:id',
    {
      preHandler: adminOnly,
      schema: {
        tags: TAGS,
        summary: 'One node mapping',
        params: NodeParams,
        response: { 200: Type.Object({ node: NodeView }) },
      },
    },
    async (request) => ({
      node: await opcua().getNode(request.params.server, request.params.id),
    }),
  );

  api.patch(
    '/api/v1/opcua/servers/:server/nodes/:id',
    {
      // The role first: a refused caller learns nothing about the body.
      preValidation: [adminOnly, refuseUnknownFields(NodePatch)],
      schema: {
        tags: TAGS,
        summary: 'Change a node mapping; only its monitored item is re-created',
        params: NodeParams,
        body: NodePatch,
        response: { 200: Type.Object({ node: NodeView }) },
      },
    },
    async (request) => {
      const { server, id } = request.params;
      const node = await opcua().updateNode(server, id, request.body);
      await audit(request, 'opcua.node.update', `opcua-node:${id}`, {
        server,
        changes: request.body,
      });
      return { node };
    },
  );

  api.delete(
    '/api/v1/opcua/servers/:server/nodes/:id',
    {
      preHandler: adminOnly,
      schema: {
        tags: TAGS,
        summary: 'Remove a node mapping; its values stop at once',
        params: NodeParams,
      },
    },
    async (request, reply) => {
      const { server, id } = request.params;
      await opcua().deleteNode(server, id);
      await audit(request, 'opcua.node.delete', `opcua-node:${id}`, { server });
      return reply.status(204).send();
    },
  );

  api.get(
    '/api/v1/opcua/:server/browse',
    {
      preHandler: adminOnly,
      schema: {
        tags: TAGS,
        summary: 'Children of a node of a connected OPC-UA server (default: the Objects folder)',
        params: ServerParams,
        querystring: Type.Object({ nodeId: Type.Optional(Type.String({ maxLength: 1024 })) }),
        response: { 200: Type.Object({ nodes: Type.Array(BrowsedNode) }) },
      },
    },
    async (request) => ({
      nodes: await opcua().browse(request.params.server, request.query.nodeId),
    }),
  );
}

/**
 * Fastify drops unknown fields silently; here a misspelt field (`pasword`) is refused, so
 * nobody believes a setting was changed when it was not.
 */
function refuseUnknownFields(schema: TSchema) {
  return async (request: FastifyRequest) => {
    const unknown = unknownField(schema, request.body, 'body');
    if (unknown) {
      throw new ApiError(
        400,
        'INVALID_REQUEST',
        `${unknown} is not a known field (must NOT have additional properties); see /api/docs`,
      );
    }
  };
}

/** The path of the first field of `value` that its object schema (or nullable one) lacks. */
function unknownField(schema: TSchema, value: unknown, path: string): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const candidates: TSchema[] = schema.anyOf ?? [schema];
  const objects = candidates.filter((s) => s.type === 'object');
  if (objects.length !== 1) return undefined;
  const properties: Record<string, TSchema> = objects[0]?.properties ?? {};
  for (const [key, field] of Object.entries(value)) {
    const fieldSchema = properties[key];
    if (!fieldSchema) return `${path}/${key}`;
    const nested = unknownField(fieldSchema, field, `${path}/${key}`);
    if (nested) return nested;
  }
  return undefined;
}

/** A body as the audit log keeps it: a new password shows as changed, never as text. */
function withoutSecrets(body: { password?: string }): Record<string, unknown> {
  const { password, ...rest } = body;
  return password === undefined ? rest : { ...rest, password: '(set)' };
}
