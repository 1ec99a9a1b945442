import { ApiError, type Logger } from '@ioc/core';
import type { DeviceRegistry } from '@ioc/devices';
import {
  deadbandProblem,
  effectiveSecurityPolicy,
  endpointUrlProblem,
  nodeIdProblem,
  type OpcuaDeadband,
  type OpcuaMapping,
  type OpcuaSecurityMode,
  type OpcuaSecurityPolicy,
  securityProblem,
  serverIdProblem,
} from './mapping.js';
import {
  isUniqueViolation,
  type NodeFields,
  type OpcuaMappingStore,
  type OpcuaServerSource,
  type ServerFields,
  type StoredOpcuaNode,
  type StoredOpcuaServer,
} from './mapping-store.js';
import { type BrowsedNode, type OpcuaBridge, OpcuaBridgeError } from './opcua-bridge.js';
import type { ConnectionState } from './server-connection.js';

export interface OpcuaServerInput {
  id: string;
  endpointUrl: string;
  securityMode?: OpcuaSecurityMode;
  /** Default None without security, Basic256Sha256 with it. */
  securityPolicy?: OpcuaSecurityPolicy;
  username?: string;
  password?: string;
  /** Default 1000. */
  publishingIntervalMs?: number;
  /** Default true. */
  enabled?: boolean;
}

/** Fields to change; `username: null` removes the credentials (anonymous login). */
export interface OpcuaServerPatch {
  endpointUrl?: string;
  securityMode?: OpcuaSecurityMode;
  securityPolicy?: OpcuaSecurityPolicy;
  username?: string | null;
  password?: string;
  publishingIntervalMs?: number;
  enabled?: boolean;
}

export interface OpcuaNodeInput {
  nodeId: string;
  deviceId: string;
  metric: string;
  /** Default 1000; 0 asks for the server's fastest rate. */
  samplingIntervalMs?: number;
  /** Null or absent: the server's publishing interval. */
  publishingIntervalMs?: number | null;
  deadband?: OpcuaDeadband | null;
}

export type OpcuaNodePatch = Partial<OpcuaNodeInput>;

/** How the bridge is doing with a server right now. */
export interface OpcuaServerStatus {
  state: ConnectionState | 'disabled' | 'not-started';
  reason: string;
  /** Mapped nodes the server refused (unknown node id or namespace), with the reason. */
  refusedNodes: string[];
}

/** A server as the API shows it: never its password. */
export interface OpcuaServerView extends Omit<StoredOpcuaServer, 'password'> {
  hasPassword: boolean;
  status: OpcuaServerStatus;
}

export type OpcuaNodeView = StoredOpcuaNode;

export interface OpcuaConfigurationOptions {
  store: OpcuaMappingStore;
  bridge: OpcuaBridge;
  registry: DeviceRegistry;
  logger: Logger;
  /** How long a change waits for the bridge before answering anyway. Default 10 s. */
  applyTimeoutMs?: number;
}

// How a bridge failure reads over HTTP.
const BRIDGE_STATUS: Record<string, number> = {
  UNKNOWN_SERVER: 404,
  INVALID_NODE_ID: 400,
  NOT_CONNECTED: 503,
  BROWSE_FAILED: 502,
};

/**
 * The OPC-UA servers and node mappings ingest reads: kept in SQL, checked against the device
 * registry (the device exists, the metric belongs to its type, one node per device metric),
 * and applied to the running bridge as they change, without a restart. Errors are ApiErrors
 * with a code and a message that says what to fix.
 */
export class OpcuaConfiguration {
  readonly #store: OpcuaMappingStore;
  readonly #bridge: OpcuaBridge;
  readonly #registry: DeviceRegistry;
  readonly #logger: Logger;
  readonly #applyTimeoutMs: number;
  /** Changes run one at a time, so the bridge sees them in the order SQL did. */
  #queue: Promise<unknown> = Promise.resolve();
  #started = false;

  constructor(options: OpcuaConfigurationOptions) {
    this.#store = options.store;
    this.#bridge = options.bridge;
    this.#registry = options.registry;
    this.#logger = options.logger;
    this.#applyTimeoutMs = options.applyTimeoutMs ?? 10_000;
  }

  /** Connects every enabled server in the database (once). */
  start(): Promise<void> {
    return this.#serially(async () => {
      if (this.#started) return;
      this.#started = true;
      const mapping = await this.#store.loadMapping();
      for (const server of mapping.servers) await this.#bridge.upsertServer(server);
      await this.#bridge.start();
    });
  }

  /**
   * Writes the servers of a mapping file or of the demo PLC to the database, replacing
   * what it held for them (see OpcuaMappingStore.replaceServers), and applies them.
   */
  seed(mapping: OpcuaMapping, source: Exclude<OpcuaServerSource, 'api'>): Promise<void> {
    return this.#serially(async () => {
      await this.#warnAboutUnknownDevices(mapping, source);
      const { touched, displaced } = await this.#store.replaceServers(mapping, source);
      for (const node of displaced) {
        this.#logger.warn(
          {
            server: node.serverId,
            nodeId: node.nodeId,
            device: node.deviceId,
            metric: node.metric,
          },
          `the OPC-UA ${source} mapping takes over ${node.deviceId} ${node.metric}; the mapping of server ${node.serverId} was removed`,
        );
      }
      for (const id of touched) await this.#apply(id);
    });
  }

  async listServers(): Promise<OpcuaServerView[]> {
    return (await this.#store.listServers()).map((s) => this.#view(s));
  }

  async getServer(id: string): Promise<OpcuaServerView> {
    return this.#view(await this.#requireServer(id));
  }

  createServer(input: OpcuaServerInput): Promise<OpcuaServerView> {
    return this.#serially(async () => {
      const mode = input.securityMode ?? 'None';
      const fields: ServerFields = {
        id: input.id,
        endpointUrl: input.endpointUrl,
        securityMode: mode,
        securityPolicy: effectiveSecurityPolicy(mode, input.securityPolicy),
        username: input.username ?? null,
        password: input.password ?? null,
        publishingIntervalMs: input.publishingIntervalMs ?? 1000,
        enabled: input.enabled ?? true,
        source: 'api',
      };
      const idProblem = serverIdProblem(input.id);
      if (idProblem) throw new ApiError(400, 'INVALID_SERVER_ID', idProblem);
      checkServer(fields, input.securityPolicy);
      let stored: StoredOpcuaServer;
      try {
        stored = await this.#store.insertServer(fields);
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        throw new ApiError(
          409,
          'OPCUA_SERVER_EXISTS',
          `an OPC-UA server "${input.id}" exists already; change it with PATCH /api/v1/opcua/servers/${input.id}`,
        );
      }
      this.#logger.info({ server: stored.id, endpoint: stored.endpointUrl }, 'OPC-UA server added');
      await this.#apply(stored.id);
      return this.#view(stored);
    });
  }

  updateServer(id: string, patch: OpcuaServerPatch): Promise<OpcuaServerView> {
    return this.#serially(async () => {
      const current = await this.#requireServer(id);
      const mode = patch.securityMode ?? current.securityMode;
      // A new mode without a policy takes that mode's default policy.
      const policy =
        patch.securityPolicy ??
        (patch.securityMode && patch.securityMode !== current.securityMode
          ? effectiveSecurityPolicy(mode, undefined)
          : current.securityPolicy);
      // A new user name needs its password; removing the user name removes both.
      const username = patch.username === undefined ? current.username : patch.username;
      const sameUser = username === current.username;
      const password = patch.password ?? (username !== null && sameUser ? current.password : null);
      const fields: ServerFields = {
        id,
        endpointUrl: patch.endpointUrl ?? current.endpointUrl,
        securityMode: mode,
        securityPolicy: policy,
        username,
        password,
        publishingIntervalMs: patch.publishingIntervalMs ?? current.publishingIntervalMs,
        enabled: patch.enabled ?? current.enabled,
        source: current.source,
      };
      checkServer(fields, policy);
      const stored = await this.#store.updateServer(fields);
      if (!stored) throw serverNotFound(id);
      this.#logger.info({ server: id, fields: Object.keys(patch) }, 'OPC-UA server changed');
      await this.#apply(id);
      return this.#view(stored);
    });
  }

  deleteServer(id: string): Promise<void> {
    return this.#serially(async () => {
      if (!(await this.#store.deleteServer(id))) throw serverNotFound(id);
      this.#logger.info({ server: id }, 'OPC-UA server removed');
      await this.#apply(id);
    });
  }

  async listNodes(serverId: string): Promise<OpcuaNodeView[]> {
    await this.#requireServer(serverId);
    return this.#store.listNodes(serverId);
  }

  async getNode(serverId: string, id: string): Promise<OpcuaNodeView> {
    await this.#requireServer(serverId);
    const node = await this.#store.getNode(serverId, id);
    if (!node) throw nodeNotFound(serverId, id);
    return node;
  }

  createNode(serverId: string, input: OpcuaNodeInput): Promise<OpcuaNodeView> {
    return this.#serially(async () => {
      await this.#requireServer(serverId);
      const fields: NodeFields = {
        serverId,
        nodeId: input.nodeId,
        deviceId: input.deviceId,
        metric: input.metric,
        samplingIntervalMs: input.samplingIntervalMs ?? 1000,
        publishingIntervalMs: input.publishingIntervalMs ?? null,
        deadband: input.deadband ?? null,
      };
      await this.#checkNode(fields);
      let node: StoredOpcuaNode;
      try {
        node = await this.#store.insertNode(fields);
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        throw await this.#conflict(fields);
      }
      this.#logger.info(
        { server: serverId, nodeId: node.nodeId, device: node.deviceId, metric: node.metric },
        'OPC-UA node mapped',
      );
      await this.#apply(serverId);
      return node;
    });
  }

  updateNode(serverId: string, id: string, patch: OpcuaNodePatch): Promise<OpcuaNodeView> {
    return this.#serially(async () => {
      await this.#requireServer(serverId);
      const current = await this.#store.getNode(serverId, id);
      if (!current) throw nodeNotFound(serverId, id);
      const fields: NodeFields = {
        serverId,
        nodeId: patch.nodeId ?? current.nodeId,
        deviceId: patch.deviceId ?? current.deviceId,
        metric: patch.metric ?? current.metric,
        samplingIntervalMs: patch.samplingIntervalMs ?? current.samplingIntervalMs,
        publishingIntervalMs:
          patch.publishingIntervalMs === undefined
            ? current.publishingIntervalMs
            : patch.publishingIntervalMs,
        deadband: patch.deadband === undefined ? current.deadband : patch.deadband,
      };
      await this.#checkNode(fields);
      let node: StoredOpcuaNode | undefined;
      try {
        node = await this.#store.updateNode(id, fields);
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        throw await this.#conflict(fields);
      }
      if (!node) throw nodeNotFound(serverId, id);
      await this.#apply(serverId);
      return node;
    });
  }

  deleteNode(serverId: string, id: string): Promise<void> {
    return this.#serially(async () => {
      await this.#requireServer(serverId);
      if (!(await this.#store.deleteNode(serverId, id))) throw nodeNotFound(serverId, id);
      await this.#apply(serverId);
    });
  }

  /** Children of a node of a connected server, for finding the node ids to map. */
  async browse(serverId: string, nodeId?: string): Promise<BrowsedNode[]> {
    try {
      return await this.#bridge.browse(serverId, nodeId);
    } catch (err) {
      if (!(err instanceof OpcuaBridgeError)) throw err;
      throw new ApiError(BRIDGE_STATUS[err.code] ?? 500, err.code, err.message);
    }
  }

  /** Hands the stored state of one server to the bridge (added, changed or removed). */
  async #apply(serverId: string): Promise<void> {
    const server = await this.#store.serverMapping(serverId);
    const applying = server
      ? this.#bridge.upsertServer(server)
      : this.#bridge.removeServer(serverId);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), this.#applyTimeoutMs);
    });
    const outcome = await Promise.race([applying, late]).finally(() => clearTimeout(timer));
    if (outcome === 'late') {
      this.#logger.warn(
        { server: serverId },
        'OPC-UA change saved; the server is slow to take it and gets it in the background',
      );
    }
  }

  async #checkNode(node: NodeFields): Promise<void> {
    const nodeProblem = nodeIdProblem(node.nodeId);
    if (nodeProblem) throw new ApiError(400, 'INVALID_NODE_ID', nodeProblem);
    const device = await this.#registry.get(node.deviceId);
    if (!device) {
      throw new ApiError(
        404,
        'DEVICE_NOT_FOUND',
        `no device with id "${node.deviceId}"; provision it first (POST /api/v1/devices)`,
      );
    }
    if (device.revokedAt) {
      throw new ApiError(409, 'DEVICE_REVOKED', `device "${device.id}" is revoked`);
    }
    const catalogue = this.#registry.catalogue;
    const metric = catalogue.metric(device.type, node.metric);
    if (!metric) {
      const known = catalogue.get(device.type)?.metrics.map((m) => m.key) ?? [];
      throw new ApiError(
        400,
        'UNKNOWN_METRIC',
        `device "${device.id}" is a ${device.type}, which has no metric "${node.metric}"; its metrics are ${known.join(', ') || 'none'}`,
      );
    }
    const deadband = deadbandProblem(node.deadband ?? undefined);
    if (deadband) throw new ApiError(400, 'INVALID_DEADBAND', deadband);
    if (node.deadband && metric.kind === 'boolean') {
      throw new ApiError(
        400,
        'INVALID_DEADBAND',
        `metric "${metric.key}" is a boolean; a deadband applies to numbers only`,
      );
    }
  }

  async #conflict(node: NodeFields): Promise<ApiError> {
    const other = await this.#store.nodeFeeding(node.deviceId, node.metric);
    const where = other
      ? ` by node ${other.nodeId} of server ${other.serverId} (mapping ${other.id})`
      : '';
    return new ApiError(
      409,
      'MAPPING_CONFLICT',
      `${node.deviceId} ${node.metric} is already mapped${where}; one node feeds one device metric, so change or delete that mapping first`,
    );
  }

  async #requireServer(id: string): Promise<StoredOpcuaServer> {
    const server = await this.#store.getServer(id);
    if (!server) throw serverNotFound(id);
    return server;
  }

  #view(server: StoredOpcuaServer): OpcuaServerView {
    const { password, ...rest } = server;
    return { ...rest, hasPassword: password !== null, status: this.#status(server) };
  }

  #status(server: StoredOpcuaServer): OpcuaServerStatus {
    if (!server.enabled) return { state: 'disabled', reason: 'disabled', refusedNodes: [] };
    const state = this.#bridge.state(server.id);
    if (!state) {
      return { state: 'not-started', reason: 'the OPC-UA bridge is not running', refusedNodes: [] };
    }
    return {
      state,
      reason: this.#bridge.serverHealth()[server.id]?.reason ?? '',
      refusedNodes: this.#bridge.refusedNodes(server.id),
    };
  }

  async #warnAboutUnknownDevices(mapping: OpcuaMapping, source: string): Promise<void> {
    const seen = new Set<string>();
    for (const node of mapping.servers.flatMap((s) => s.nodes)) {
      if (seen.has(node.deviceId)) continue;
      seen.add(node.deviceId);
      const device = await this.#registry.get(node.deviceId);
      if (!device) {
        this.#logger.warn(
          { device: node.deviceId, source },
          'the OPC-UA mapping names a device that is not provisioned; its values are refused until it is',
        );
      }
    }
  }

  #serially<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}

function checkServer(server: ServerFields, requestedPolicy: OpcuaSecurityPolicy | undefined): void {
  const endpoint = endpointUrlProblem(server.endpointUrl);
  if (endpoint) throw new ApiError(400, 'INVALID_ENDPOINT_URL', endpoint);
  const security = securityProblem(server.securityMode, requestedPolicy ?? server.securityPolicy);
  if (security) throw new ApiError(400, 'INVALID_SECURITY', security);
  if ((server.username === null) !== (server.password === null)) {
    throw new ApiError(
      400,
      'INCOMPLETE_CREDENTIALS',
      'give both username and password, or neither (anonymous login)',
    );
  }
}

function serverNotFound(id: string): ApiError {
  return new ApiError(
    404,
    'OPCUA_SERVER_NOT_FOUND',
    `no OPC-UA server "${id}"; GET /api/v1/opcua/servers lists them`,
  );
}

function nodeNotFound(serverId: string, id: string): ApiError {
  return new ApiError(
    404,
    'OPCUA_MAPPING_NOT_FOUND',
    `OPC-UA server "${serverId}" has no node mapping "${id}"; GET /api/v1/opcua/servers/${serverId}/nodes lists them`,
  );
}
