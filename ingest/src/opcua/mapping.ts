import { readFile } from 'node:fs/promises';
import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

const Deadband = Type.Object(
  {
    type: Type.Union([Type.Literal('absolute'), Type.Literal('percent')]),
    value: Type.Number({ minimum: 0 }),
  },
  { additionalProperties: false },
);

const Interval = Type.Integer({ minimum: 0, maximum: 3_600_000 });

const NodeMappingSchema = Type.Object(
  {
    /** e.g. `nsu=urn:ioc:simulators:da-nang-plc;s=DaNang.PumpStations.HoaXuan.InletLevel` or `ns=2;i=1001`. */
    nodeId: Type.String({ minLength: 1 }),
    deviceId: Type.String({ minLength: 1, maxLength: 64 }),
    metric: Type.String({ minLength: 1, maxLength: 64 }),
    /** How often the server samples the value; the server's fastest rate when 0. Default 1000. */
    samplingIntervalMs: Type.Optional(Interval),
    /** Changes smaller than this are not reported (a DataChangeFilter). */
    deadband: Type.Optional(Deadband),
    /** Overrides the server's publishing interval for this node. */
    publishingIntervalMs: Type.Optional(Type.Integer({ minimum: 10, maximum: 3_600_000 })),
  },
  { additionalProperties: false },
);

export const SECURITY_MODES = ['None', 'Sign', 'SignAndEncrypt'] as const;
export const SECURITY_POLICIES = [
  'None',
  'Basic128Rsa15',
  'Basic256',
  'Basic256Sha256',
  'Aes128_Sha256_RsaOaep',
  'Aes256_Sha256_RsaPss',
] as const;
export type OpcuaSecurityMode = (typeof SECURITY_MODES)[number];
export type OpcuaSecurityPolicy = (typeof SECURITY_POLICIES)[number];

const ServerMappingSchema = Type.Object(
  {
    /** Short name used in the API path and in metrics, e.g. `danang-plc`. */
    id: Type.String({ minLength: 1, maxLength: 64 }),
    endpointUrl: Type.String({ minLength: 1 }),
    username: Type.Optional(Type.String({ minLength: 1 })),
    password: Type.Optional(Type.String()),
    securityMode: Type.Optional(Type.Union(SECURITY_MODES.map((m) => Type.Literal(m)))),
    /** Default None without security, Basic256Sha256 with Sign or SignAndEncrypt. */
    securityPolicy: Type.Optional(Type.Union(SECURITY_POLICIES.map((p) => Type.Literal(p)))),
    /** A disabled server is kept but not connected. Default true. */
    enabled: Type.Optional(Type.Boolean()),
    /** Default publishing interval of this server's subscriptions. Default 1000. */
    publishingIntervalMs: Type.Optional(Type.Integer({ minimum: 10, maximum: 3_600_000 })),
    nodes: Type.Array(NodeMappingSchema),
  },
  { additionalProperties: false },
);

export const OpcuaMappingSchema = Type.Object(
  { servers: Type.Array(ServerMappingSchema) },
  { additionalProperties: false },
);

export type OpcuaMapping = Static<typeof OpcuaMappingSchema>;
export type OpcuaServerMapping = Static<typeof ServerMappingSchema>;
export type OpcuaNodeMapping = Static<typeof NodeMappingSchema>;
export type OpcuaDeadband = Static<typeof Deadband>;

export class OpcuaMappingError extends Error {
  override readonly name = 'OpcuaMappingError';
  readonly code = 'OPCUA_MAPPING_INVALID';
  constructor(
    /** Every problem found, each naming the entry it is about. */
    readonly problems: string[],
    source: string,
  ) {
    super(`invalid OPC-UA mapping (${source}): ${problems.join('; ')}`);
  }
}

/** Optional namespace (`ns=2;` or `nsu=<uri>;`), then `i=`, `s=`, `g=` or `b=` identifier. */
const NODE_ID =
  /^(?:ns=\d+;|nsu=[^;]+;)?(?:i=\d+|s=.+|g=[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|b=[A-Za-z0-9+/]+={0,2})$/s;
const SERVER_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const DEVICE_ID = /^[A-Za-z0-9._-]{1,64}$/;
const METRIC = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
/** `/api/v1/opcua/servers` is a collection, so no server may be called that. */
const RESERVED_SERVER_IDS = new Set(['servers']);

export function isNodeId(text: string): boolean {
  return NODE_ID.test(text);
}

// Each check returns what is wrong, in words a person can act on, or undefined.

export function serverIdProblem(id: string): string | undefined {
  if (!SERVER_ID.test(id))
    return `server id "${id}" must be 1-64 letters, digits, "_" or "-", starting with a letter or digit`;
  if (RESERVED_SERVER_IDS.has(id)) return `server id "${id}" is reserved; choose another`;
  return undefined;
}

export function endpointUrlProblem(url: string): string | undefined {
  return /^opc\.tcp:\/\/[^/\s]+/.test(url)
    ? undefined
    : `endpointUrl must look like opc.tcp://host:port, got "${url}"`;
}

/** Security mode None goes with policy None only, and Sign/SignAndEncrypt with a real policy. */
export function securityProblem(
  mode: OpcuaSecurityMode,
  policy: OpcuaSecurityPolicy | undefined,
): string | undefined {
  if (policy === undefined) return undefined;
  if (mode === 'None' && policy !== 'None')
    return `security policy ${policy} needs security mode Sign or SignAndEncrypt, not None`;
  if (mode !== 'None' && policy === 'None')
    return `security mode ${mode} needs a security policy such as Basic256Sha256, not None`;
  return undefined;
}

/** The policy a server is used with: the given one, else the strongest common one. */
export function effectiveSecurityPolicy(
  mode: OpcuaSecurityMode,
  policy: OpcuaSecurityPolicy | undefined,
): OpcuaSecurityPolicy {
  return policy ?? (mode === 'None' ? 'None' : 'Basic256Sha256');
}

export function nodeIdProblem(nodeId: string): string | undefined {
  return isNodeId(nodeId)
    ? undefined
    : `nodeId "${nodeId}" is not an OPC-UA node id; use e.g. "ns=2;s=Tag" or "nsu=urn:x;i=42"`;
}

export function deviceIdProblem(deviceId: string): string | undefined {
  return DEVICE_ID.test(deviceId)
    ? undefined
    : `deviceId "${deviceId}" must be 1-64 of a-z A-Z 0-9 . _ -`;
}

export function metricNameProblem(metric: string): string | undefined {
  return METRIC.test(metric) ? undefined : `metric "${metric}" must be a name like inlet_level_cm`;
}

export function deadbandProblem(deadband: OpcuaDeadband | undefined): string | undefined {
  return deadband?.type === 'percent' && deadband.value > 100
    ? `a percent deadband must be 0-100, got ${deadband.value}`
    : undefined;
}

/**
 * Checks a mapping (parsed JSON from a file or an API body) and returns it typed. Throws
 * OpcuaMappingError listing every problem with the entry it is about.
 */
export function parseOpcuaMapping(input: unknown, source = 'mapping'): OpcuaMapping {
  const schemaProblems = [...Value.Errors(OpcuaMappingSchema, input)]
    .slice(0, 10)
    .map((e) => `${e.path || '(root)'}: ${e.message}`);
  if (schemaProblems.length > 0) throw new OpcuaMappingError(schemaProblems, source);

  const mapping = input as OpcuaMapping;
  const problems: string[] = [];
  const serverIds = new Set<string>();
  const mapped = new Map<string, string>();
  for (const [s, server] of mapping.servers.entries()) {
    const at = `servers[${s}] (${server.id})`;
    const serverProblems = [
      serverIdProblem(server.id),
      serverIds.has(server.id) ? `server id "${server.id}" is used twice` : undefined,
      endpointUrlProblem(server.endpointUrl),
      (server.username === undefined) !== (server.password === undefined)
        ? 'give both username and password, or neither'
        : undefined,
      securityProblem(server.securityMode ?? 'None', server.securityPolicy),
    ];
    serverIds.add(server.id);
    for (const problem of serverProblems) if (problem) problems.push(`${at}: ${problem}`);
    for (const [n, node] of server.nodes.entries()) {
      const nodeAt = `${at}.nodes[${n}]`;
      const nodeProblems = [
        nodeIdProblem(node.nodeId),
        deviceIdProblem(node.deviceId),
        metricNameProblem(node.metric),
        deadbandProblem(node.deadband),
      ];
      for (const problem of nodeProblems) if (problem) problems.push(`${nodeAt}: ${problem}`);
      const key = `${node.deviceId}/${node.metric}`;
      const first = mapped.get(key);
      if (first)
        problems.push(`${nodeAt}: ${node.deviceId} ${node.metric} is already mapped by ${first}`);
      else mapped.set(key, nodeAt);
    }
  }
  if (problems.length > 0) throw new OpcuaMappingError(problems, source);
  return mapping;
}

/** Reads and checks a mapping file (JSON). */
export async function loadOpcuaMapping(file: string): Promise<OpcuaMapping> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new OpcuaMappingError([`cannot read it: ${(err as Error).message}`], file);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new OpcuaMappingError([`not valid JSON: ${(err as Error).message}`], file);
  }
  return parseOpcuaMapping(json, file);
}
