import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import type { ComponentHealth, Logger } from '@ioc/core';
import type { DataValue, OPCUACertificateManager, ReferenceDescription } from 'node-opcua';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Reading } from '../reading.js';
import type { OpcuaMapping, OpcuaNodeMapping, OpcuaServerMapping } from './mapping.js';
import { loadNodeOpcua, type NodeOpcua, toIndexedNodeId, toUriNodeId } from './node-opcua.js';
import { type ConnectionState, ServerConnection, sameSession } from './server-connection.js';

export interface OpcuaBridgeOptions {
  /** Servers to connect on start; `upsertServer` adds and changes servers later. */
  mapping?: OpcuaMapping;
  logger: Logger;
  /** Folder of the client's own certificate and of the servers' trusted/rejected certificates. */
  pkiDir: string;
  /** Called with every data change of a mapped node. */
  onReading: (reading: Reading) => void;
  metrics?: Registry;
  /** Delay before a new session after a server refused one (e.g. a wrong password). Default 30 s. */
  sessionRetryMs?: number;
  /** Bounds of the reconnection back-off. Default 1 s to 30 s. */
  reconnectDelayMs?: { initial: number; max: number };
}

export interface OpcuaBridgeEvents {
  reading: [reading: Reading];
  state: [serverId: string, state: ConnectionState, reason: string];
}

/** A child node as the browse endpoint shows it; nodeIds use `nsu=` so they can go into a mapping. */
export interface BrowsedNode {
  nodeId: string;
  browseName: string;
  displayName: string;
  nodeClass: string;
  dataType?: string;
  value?: number | boolean | string | null;
}

export type OpcuaBridgeErrorCode =
  | 'UNKNOWN_SERVER'
  | 'NOT_CONNECTED'
  | 'INVALID_NODE_ID'
  | 'BROWSE_FAILED'
  | 'NOT_STARTED';

export class OpcuaBridgeError extends Error {
  override readonly name = 'OpcuaBridgeError';
  constructor(
    readonly code: OpcuaBridgeErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** What `upsertServer` did to the running bridge. */
export type ServerChange = 'added' | 'reconnected' | 'nodes-updated';

/**
 * Brings the values of mapped OPC-UA nodes into the ingest pipeline: one ServerConnection
 * per configured server, every data change turned into a Reading for `onReading`. Servers
 * can be added, changed and removed while it runs; node-opcua is loaded with the first one.
 */
export class OpcuaBridge extends EventEmitter<OpcuaBridgeEvents> {
  readonly #options: OpcuaBridgeOptions;
  readonly #logger: Logger;
  /** Servers to connect once started (all of them before start()). */
  readonly #pending = new Map<string, OpcuaServerMapping>();
  readonly #connections = new Map<string, ServerConnection>();
  readonly #values: Counter<'server'>;
  readonly #connected: Gauge<'server'>;
  #loading: Promise<{ opcua: NodeOpcua; certificates: OPCUACertificateManager }> | undefined;
  #opcua: NodeOpcua | undefined;
  #certificates: OPCUACertificateManager | undefined;
  #started = false;
  #stopped = false;

  constructor(options: OpcuaBridgeOptions) {
    super();
    this.#options = options;
    this.#logger = options.logger.child({ component: 'ingest.opcua' });
    for (const server of options.mapping?.servers ?? []) this.#pending.set(server.id, server);
    const registers = options.metrics ? [options.metrics] : [];
    this.#values = new Counter({
      name: 'ioc_opcua_values_total',
      help: 'OPC-UA data changes received, by server',
      labelNames: ['server'],
      registers,
    });
    this.#connected = new Gauge({
      name: 'ioc_opcua_connected',
      help: '1 while the OPC-UA server has a live session, else 0',
      labelNames: ['server'],
      registers,
    });
  }

  /**
   * Starts connecting to every server of the mapping (loading node-opcua first, when there
   * is any); does not wait for the connections.
   */
  async start(): Promise<void> {
    this.#started = true;
    const servers = [...this.#pending.values()].filter((s) => s.enabled !== false);
    this.#pending.clear();
    for (const server of servers) await this.upsertServer(server);
  }

  /**
   * Adds a server or applies a changed one: new node mappings go to its live session (only
   * the monitored items concerned change); new endpoint, security or credentials reconnect
   * it. A disabled server is removed. Before start() the server is only remembered.
   */
  async upsertServer(server: OpcuaServerMapping): Promise<ServerChange | 'removed' | 'pending'> {
    if (server.enabled === false) {
      await this.removeServer(server.id);
      return 'removed';
    }
    if (!this.#started) {
      this.#pending.set(server.id, server);
      return 'pending';
    }
    const existing = this.#connections.get(server.id);
    if (existing && sameSession(existing.server, server)) {
      await existing.updateNodes(server);
      return 'nodes-updated';
    }
    const { opcua, certificates } = await this.#load();
    if (this.#stopped) return 'pending';
    if (existing) await this.#disconnect(server.id, existing);
    const connection = new ServerConnection({
      server,
      opcua,
      certificates,
      logger: this.#logger,
      sessionRetryMs: this.#options.sessionRetryMs ?? 30_000,
      reconnectDelayMs: this.#options.reconnectDelayMs ?? { initial: 1000, max: 30_000 },
    });
    this.#connected.set({ server: server.id }, 0);
    connection.on('value', (node, dataValue) => this.#onValue(server.id, node, dataValue));
    connection.on('state', (state, reason) => {
      this.#connected.set({ server: server.id }, state === 'connected' ? 1 : 0);
      this.emit('state', server.id, state, reason);
    });
    this.#connections.set(server.id, connection);
    connection.start();
    return existing ? 'reconnected' : 'added';
  }

  /** Disconnects a server and forgets it; false when it was not there. */
  async removeServer(serverId: string): Promise<boolean> {
    const pending = this.#pending.delete(serverId);
    const connection = this.#connections.get(serverId);
    if (!connection) return pending;
    await this.#disconnect(serverId, connection);
    this.#connected.remove({ server: serverId });
    return true;
  }

  /** Ids of the servers connected or being connected. */
  serverIds(): string[] {
    return [...this.#connections.keys()];
  }

  /** Nodes a server refused when they were monitored (unknown node or namespace). */
  refusedNodes(serverId: string): string[] {
    return this.#connections.get(serverId)?.refusedNodes ?? [];
  }

  /** Health of each server: up while connected, else down with the reason. */
  serverHealth(): Record<string, ComponentHealth> {
    return Object.fromEntries([...this.#connections].map(([id, c]) => [id, c.health]));
  }

  /** One line for the health registry: down while any server is not connected. */
  health(): ComponentHealth {
    const all = Object.values(this.serverHealth());
    if (all.length === 0) return { status: 'up', reason: 'no OPC-UA servers configured' };
    return {
      status: all.every((h) => h.status === 'up') ? 'up' : 'down',
      reason: all.map((h) => h.reason).join('; '),
    };
  }

  state(serverId: string): ConnectionState | undefined {
    return this.#connections.get(serverId)?.state;
  }

  /** Children of a node (the Objects folder by default), with data type and value of variables. */
  async browse(serverId: string, nodeId = 'ObjectsFolder'): Promise<BrowsedNode[]> {
    const opcua = this.#opcua;
    const connection = this.#connections.get(serverId);
    if (!opcua || !connection) {
      const known = [...this.#connections.keys()].join(', ') || 'none';
      throw new OpcuaBridgeError(
        'UNKNOWN_SERVER',
        `no OPC-UA server "${serverId}" is configured (configured: ${known})`,
      );
    }
    const live = connection.session;
    if (!live) {
      throw new OpcuaBridgeError(
        'NOT_CONNECTED',
        `OPC-UA server "${serverId}" is not connected: ${connection.health.reason}`,
      );
    }
    const { session, namespaces } = live;
    let target: ReturnType<NodeOpcua['resolveNodeId']>;
    try {
      target = opcua.resolveNodeId(toIndexedNodeId(nodeId, namespaces));
    } catch (err) {
      throw new OpcuaBridgeError(
        'INVALID_NODE_ID',
        `"${nodeId}" is not a node id of ${serverId}: ${(err as Error).message}; use e.g. ObjectsFolder, ns=1;s=Tag or nsu=<uri>;s=Tag`,
      );
    }
    const result = await session.browse({
      nodeId: target,
      browseDirection: opcua.BrowseDirection.Forward,
      referenceTypeId: 'HierarchicalReferences',
      includeSubtypes: true,
      nodeClassMask: 0,
      resultMask: 63,
    });
    if (result.statusCode.isNotGood()) {
      throw new OpcuaBridgeError(
        'BROWSE_FAILED',
        `browsing ${nodeId} on ${serverId} failed: ${result.statusCode.name}`,
      );
    }
    const references = result.references ?? [];
    const nodes = references.map((r) => describeReference(opcua, r, namespaces));
    await this.#addVariableValues(opcua, session, references, nodes);
    return nodes;
  }

  /** Closes every session and client; no timers or sockets remain. */
  async stop(): Promise<void> {
    this.#stopped = true;
    const connections = [...this.#connections.values()];
    this.#connections.clear();
    await Promise.all(connections.map((c) => c.stop()));
    await this.#loading?.catch(() => undefined);
    await this.#certificates?.dispose().catch(() => undefined);
    this.#certificates = undefined;
  }

  /** node-opcua and the client's certificates, made once, on the first server. */
  #load(): Promise<{ opcua: NodeOpcua; certificates: OPCUACertificateManager }> {
    this.#loading ??= (async () => {
      const opcua = await loadNodeOpcua(this.#logger);
      const certificates = new opcua.OPCUACertificateManager({
        rootFolder: join(this.#options.pkiDir, 'client'),
        automaticallyAcceptUnknownCertificate: true,
        disableFileWatchers: true,
      });
      await certificates.initialize();
      this.#opcua = opcua;
      this.#certificates = certificates;
      return { opcua, certificates };
    })();
    return this.#loading;
  }

  async #disconnect(serverId: string, connection: ServerConnection): Promise<void> {
    connection.removeAllListeners();
    this.#connections.delete(serverId);
    await connection.stop();
  }

  #onValue(serverId: string, node: OpcuaNodeMapping, dataValue: DataValue): void {
    const value: unknown = dataValue.value?.value;
    if (!dataValue.statusCode.isGood() || !isReadingValue(value)) {
      this.#logger.debug(
        { nodeId: node.nodeId, status: dataValue.statusCode.name, value: String(value) },
        'OPC-UA value skipped: bad status or not a number/boolean',
      );
      return;
    }
    this.#values.inc({ server: serverId });
    const ts = dataValue.sourceTimestamp ?? dataValue.serverTimestamp ?? undefined;
    const reading: Reading = {
      deviceId: node.deviceId,
      ...(ts ? { ts } : {}),
      values: { [node.metric]: value },
      source: 'opcua',
      receivedAt: new Date(),
    };
    try {
      this.#options.onReading(reading);
    } catch (err) {
      this.#logger.error({ err, deviceId: node.deviceId }, 'onReading threw');
    }
    this.emit('reading', reading);
  }

  async #addVariableValues(
    opcua: NodeOpcua,
    session: NonNullable<ServerConnection['session']>['session'],
    references: ReferenceDescription[],
    nodes: BrowsedNode[],
  ): Promise<void> {
    const variables = references
      .map((r, i) => ({ r, i }))
      .filter(({ r }) => r.nodeClass === opcua.NodeClass.Variable);
    if (variables.length === 0) return;
    const { AttributeIds } = opcua;
    const results = await session.read(
      variables.flatMap(({ r }) => [
        { nodeId: r.nodeId, attributeId: AttributeIds.DataType },
        { nodeId: r.nodeId, attributeId: AttributeIds.Value },
      ]),
    );
    for (const [k, { i }] of variables.entries()) {
      const node = nodes[i] as BrowsedNode;
      const dataType = results[2 * k]?.value?.value;
      const value: unknown = results[2 * k + 1]?.value?.value;
      if (dataType) node.dataType = dataTypeName(opcua, dataType);
      if (value === null || ['number', 'boolean', 'string'].includes(typeof value))
        node.value = value as BrowsedNode['value'];
    }
  }
}

function describeReference(
  opcua: NodeOpcua,
  reference: ReferenceDescription,
  namespaces: readonly string[],
): BrowsedNode {
  return {
    nodeId: toUriNodeId(reference.nodeId.toString(), namespaces),
    browseName: reference.browseName.name ?? '',
    displayName: reference.displayName.text ?? '',
    nodeClass: opcua.NodeClass[reference.nodeClass] ?? String(reference.nodeClass),
  };
}

/** `i=11` → "Double"; other data types by their node id. */
function dataTypeName(opcua: NodeOpcua, nodeId: { namespace: number; value: unknown }): string {
  if (nodeId.namespace === 0 && typeof nodeId.value === 'number') {
    const name = opcua.DataType[nodeId.value];
    if (name) return name;
  }
  return String(nodeId);
}

function isReadingValue(value: unknown): value is number | boolean {
  return typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
}
