import { EventEmitter } from 'node:events';
import type { ComponentHealth, Logger } from '@ioc/core';
import type {
  ClientMonitoredItemGroup,
  ClientSession,
  ClientSubscription,
  DataValue,
  MonitoringParametersOptions,
  OPCUACertificateManager,
  OPCUAClient,
} from 'node-opcua';
import {
  effectiveSecurityPolicy,
  type OpcuaNodeMapping,
  type OpcuaServerMapping,
} from './mapping.js';
import { type NodeOpcua, toIndexedNodeId } from './node-opcua.js';

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'failed' | 'stopped';

export interface ServerConnectionEvents {
  /** A data change of a mapped node. */
  value: [node: OpcuaNodeMapping, dataValue: DataValue];
  state: [state: ConnectionState, reason: string];
}

export interface ServerConnectionOptions {
  server: OpcuaServerMapping;
  opcua: NodeOpcua;
  certificates: OPCUACertificateManager;
  logger: Logger;
  /** Delay before a new session attempt after the server refused one. */
  sessionRetryMs: number;
  /** Bounds of node-opcua's reconnection back-off. */
  reconnectDelayMs: { initial: number; max: number };
}

const DEFAULT_PUBLISHING_MS = 1000;
const DEFAULT_SAMPLING_MS = 1000;

/**
 * Monitored items created together in one bulk request: nodes that share a publishing
 * interval, a sampling interval and a deadband. A mapping change re-creates only the
 * batches it touches.
 */
interface MonitoredBatch {
  publishingInterval: number;
  nodes: OpcuaNodeMapping[];
  group: ClientMonitoredItemGroup;
  /** Nodes the server refused, with the reason. */
  refused: string[];
}

/** The settings that need a new session when they change; the rest applies to a live one. */
export function sameSession(a: OpcuaServerMapping, b: OpcuaServerMapping): boolean {
  const mode = (s: OpcuaServerMapping) => s.securityMode ?? 'None';
  return (
    a.endpointUrl === b.endpointUrl &&
    mode(a) === mode(b) &&
    effectiveSecurityPolicy(mode(a), a.securityPolicy) ===
      effectiveSecurityPolicy(mode(b), b.securityPolicy) &&
    a.username === b.username &&
    a.password === b.password
  );
}

/**
 * One OPC-UA server: a client that keeps (re)connecting, one session, one subscription per
 * distinct publishing interval and monitored items created in bulk per (sampling interval,
 * deadband). After a connection loss node-opcua repairs the session and re-creates the
 * subscriptions and monitored items on a restarted server. `updateNodes` changes the mapped
 * nodes of a live session: only the monitored items concerned are deleted or created.
 */
export class ServerConnection extends EventEmitter<ServerConnectionEvents> {
  readonly #opcua: NodeOpcua;
  readonly #options: ServerConnectionOptions;
  readonly #logger: Logger;
  #server: OpcuaServerMapping;
  /** Keys of the nodes mapped now: a value of any other node is dropped at once. */
  #wanted = new Set<string>();
  #client: OPCUAClient | undefined;
  #session: ClientSession | undefined;
  #namespaces: string[] = [];
  #subscriptions = new Map<number, ClientSubscription>();
  #batches: MonitoredBatch[] = [];
  #unresolved: string[] = [];
  /** Mapping changes are applied one after another, each to the newest mapping. */
  #applying: Promise<void> = Promise.resolve();
  #retryTimer: NodeJS.Timeout | undefined;
  #state: ConnectionState = 'connecting';
  #reason = 'not connected yet';

  constructor(options: ServerConnectionOptions) {
    super();
    this.#opcua = options.opcua;
    this.#options = options;
    this.#server = options.server;
    this.#wanted = new Set(options.server.nodes.map(nodeKey));
    this.#logger = options.logger.child({ opcuaServer: options.server.id });
  }

  get server(): OpcuaServerMapping {
    return this.#server;
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** The live session and the server's namespace array, or undefined while not connected. */
  get session(): { session: ClientSession; namespaces: readonly string[] } | undefined {
    return this.#state === 'connected' && this.#session
      ? { session: this.#session, namespaces: this.#namespaces }
      : undefined;
  }

  get health(): ComponentHealth {
    const where = `${this.#server.id} (${this.#server.endpointUrl})`;
    if (this.#state === 'connected') {
      const refusedNodes = this.refusedNodes;
      const refused = refusedNodes.length > 0 ? `; nodes refused: ${refusedNodes.join(', ')}` : '';
      return {
        status: 'up',
        reason: `${where} connected, ${this.#server.nodes.length} node(s)${refused}`,
      };
    }
    return { status: 'down', reason: `${where} ${this.#state}: ${this.#reason}` };
  }

  /** Mapped nodes the server refused (unknown node, unknown namespace), with the reason. */
  get refusedNodes(): string[] {
    return [...this.#unresolved, ...this.#batches.flatMap((b) => b.refused)];
  }

  /** Starts connecting in the background; progress shows in `state` events and health. */
  start(): void {
    void this.#connect();
  }

  /**
   * New node mappings for this server (its session settings must be the same: see
   * `sameSession`). Values of removed nodes stop at once; on a live session the monitored
   * items follow before the promise resolves, otherwise when the session is (re)made.
   */
  updateNodes(server: OpcuaServerMapping): Promise<void> {
    if (!sameSession(server, this.#server))
      throw new Error(`the session settings of ${server.id} changed; reconnect instead`);
    this.#server = server;
    this.#wanted = new Set(server.nodes.map(nodeKey));
    return this.#applyMapping();
  }

  async stop(): Promise<void> {
    this.#setState('stopped', 'stopped');
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    const client = this.#client;
    const session = this.#session;
    this.#client = undefined;
    this.#session = undefined;
    this.#forgetMonitoring();
    if (session && client && !client.isReconnecting) {
      // A server that went away would leave close() waiting for its request timeout.
      await withTimeout(session.close(true), 2000).catch(() => undefined);
    }
    await client?.disconnect().catch(() => undefined);
  }

  async #connect(): Promise<void> {
    if (this.#state === 'stopped') return;
    const { opcua } = this.#options;
    const server = this.#server;
    const { MessageSecurityMode, SecurityPolicy, OPCUAClient, UserTokenType } = opcua;
    const mode = server.securityMode ?? 'None';
    const client = OPCUAClient.create({
      applicationName: 'IOC ingest',
      endpointMustExist: false,
      keepSessionAlive: true,
      securityMode: MessageSecurityMode[mode],
      securityPolicy: SecurityPolicy[effectiveSecurityPolicy(mode, server.securityPolicy)],
      clientCertificateManager: this.#options.certificates,
      // Retry for ever, both the first connection and after a loss.
      connectionStrategy: {
        maxRetry: -1,
        initialDelay: this.#options.reconnectDelayMs.initial,
        maxDelay: this.#options.reconnectDelayMs.max,
      },
      requestedSessionTimeout: 60_000,
    });
    this.#client = client;
    this.#watch(client);
    try {
      await client.connect(server.endpointUrl);
      if (this.#client !== client) return;
      const session = await client.createSession(
        server.username === undefined
          ? { type: UserTokenType.Anonymous }
          : {
              type: UserTokenType.UserName,
              userName: server.username,
              password: server.password ?? '',
            },
      );
      if (this.#client !== client) {
        await session.close().catch(() => undefined);
        return;
      }
      this.#session = session;
      session.on('session_restored', () => {
        this.#setState('connected', 'session restored');
        void this.#applyMapping();
      });
      this.#namespaces = await session.readNamespaceArray();
      await this.#applyMapping(true);
      this.#logger.info(
        { nodes: this.#server.nodes.length, subscriptions: this.#subscriptions.size },
        'OPC-UA monitoring started',
      );
      this.#setState('connected', 'connected');
    } catch (err) {
      if (this.#client !== client) return;
      const reason = `${describeError(err)}${isAccessDenied(err) ? ' (check username and password)' : ''}`;
      this.#logger.warn({ err: describeError(err) }, 'OPC-UA session failed; retrying later');
      this.#setState('failed', reason);
      this.#client = undefined;
      this.#session = undefined;
      this.#forgetMonitoring();
      await client.disconnect().catch(() => undefined);
      // stop() may have run while disconnecting.
      if (this.state === 'stopped') return;
      this.#retryTimer = setTimeout(() => void this.#connect(), this.#options.sessionRetryMs);
      this.#retryTimer.unref();
    }
  }

  #watch(client: OPCUAClient): void {
    const { endpointUrl } = this.#server;
    client.on('backoff', (count) => {
      if (this.#client === client)
        this.#setState(this.#state, `cannot reach ${endpointUrl} (attempt ${count}), retrying`);
    });
    client.on('connection_lost', () => {
      if (this.#client === client) this.#setState('reconnecting', 'connection lost, reconnecting');
    });
    client.on('reconnection_attempt_has_failed', (_err, message) => {
      if (this.#client === client) this.#setState('reconnecting', message);
    });
    client.on('after_reconnection', (err) => {
      if (this.#client !== client || !this.#session) return;
      if (err) {
        this.#setState('reconnecting', describeError(err));
        return;
      }
      this.#setState('connected', 'reconnected');
      // Mapping changes made while the connection was down.
      void this.#applyMapping();
    });
  }

  /**
   * Queues a pass that brings the monitored items in line with the newest mapping. A failed
   * pass is retried after the next reconnection; `rethrow` hands the error to the caller.
   */
  #applyMapping(rethrow = false): Promise<void> {
    const next = this.#applying.then(async () => {
      const session = this.#session;
      if (!session || this.#state === 'stopped') return;
      try {
        await this.#reconcile(session);
      } catch (err) {
        if (rethrow) throw err;
        if (this.state !== 'stopped')
          this.#logger.warn({ err: describeError(err) }, 'OPC-UA monitored items not updated');
      }
    });
    this.#applying = next.catch(() => undefined);
    return next;
  }

  /**
   * Deletes the batches that hold a node no longer mapped (their other nodes are created
   * again), creates the nodes not monitored yet in bulk per parameter set, and ends the
   * subscriptions left without items.
   */
  async #reconcile(session: ClientSession): Promise<void> {
    const desired = new Map(this.#server.nodes.map((n) => [nodeKey(n), n]));
    const monitored = new Set<string>();
    const kept: MonitoredBatch[] = [];
    const dropped: MonitoredBatch[] = [];
    for (const batch of this.#batches) {
      const current = batch.nodes.every(
        (n) => desired.has(nodeKey(n)) && this.#publishingInterval(n) === batch.publishingInterval,
      );
      if (current) {
        kept.push(batch);
        for (const n of batch.nodes) monitored.add(nodeKey(n));
      } else {
        dropped.push(batch);
      }
    }
    this.#batches = kept;
    for (const batch of dropped) {
      batch.group.removeAllListeners('changed');
      await batch.group.terminate().catch(() => undefined);
    }

    const missing = [...desired].filter(([key]) => !monitored.has(key)).map(([, node]) => node);
    this.#unresolved = [];
    const byInterval = groupBy(missing, (n) => this.#publishingInterval(n));
    for (const [publishingInterval, nodes] of byInterval) {
      const subscription = await this.#subscription(session, publishingInterval);
      const byParameters = groupBy(nodes, (n) =>
        JSON.stringify([n.samplingIntervalMs ?? DEFAULT_SAMPLING_MS, n.deadband ?? null]),
      );
      for (const group of byParameters.values()) {
        const batch = await this.#monitor(subscription, publishingInterval, group);
        if (batch) this.#batches.push(batch);
      }
    }

    for (const [interval, subscription] of this.#subscriptions) {
      if (this.#batches.some((b) => b.publishingInterval === interval)) continue;
      this.#subscriptions.delete(interval);
      await subscription.terminate().catch(() => undefined);
    }
    const refused = this.refusedNodes;
    if (refused.length > 0)
      this.#logger.warn({ nodes: refused }, 'the OPC-UA server refused some nodes');
    if (dropped.length > 0 || missing.length > 0)
      this.#logger.debug(
        { deleted: dropped.length, created: missing.length, batches: this.#batches.length },
        'OPC-UA monitored items updated',
      );
  }

  async #subscription(session: ClientSession, interval: number): Promise<ClientSubscription> {
    const existing = this.#subscriptions.get(interval);
    if (existing) return existing;
    const subscription = await session.createSubscription2({
      requestedPublishingInterval: interval,
      requestedLifetimeCount: 100,
      requestedMaxKeepAliveCount: 10,
      maxNotificationsPerPublish: 1000,
      publishingEnabled: true,
      priority: 1,
    });
    this.#subscriptions.set(interval, subscription);
    return subscription;
  }

  /** One bulk CreateMonitoredItems request for nodes that share their parameters. */
  async #monitor(
    subscription: ClientSubscription,
    publishingInterval: number,
    nodes: OpcuaNodeMapping[],
  ): Promise<MonitoredBatch | undefined> {
    const { ClientMonitoredItemGroup, AttributeIds, TimestampsToReturn } = this.#opcua;
    const accepted: OpcuaNodeMapping[] = [];
    const items = [];
    for (const node of nodes) {
      try {
        items.push({
          nodeId: toIndexedNodeId(node.nodeId, this.#namespaces),
          attributeId: AttributeIds.Value,
        });
        accepted.push(node);
      } catch (err) {
        this.#unresolved.push(`${node.nodeId} (${describeError(err)})`);
      }
    }
    if (items.length === 0) return undefined;
    const group = ClientMonitoredItemGroup.create(
      subscription,
      items,
      this.#parameters(nodes[0] as OpcuaNodeMapping),
      TimestampsToReturn.Both,
    );
    const keys = accepted.map(nodeKey);
    group.on('changed', (_item, dataValue, index) => {
      const node = accepted[index];
      if (node && this.#wanted.has(keys[index] as string)) this.emit('value', node, dataValue);
    });
    await new Promise<void>((resolve, reject) => {
      group.once('initialized', () => resolve());
      group.once('err', (message) => reject(new Error(message)));
    });
    const refused: string[] = [];
    for (const [i, item] of group.monitoredItems.entries()) {
      const status = item.statusCode;
      if (status?.isNotGood()) refused.push(`${accepted[i]?.nodeId} (${status.name})`);
    }
    return { publishingInterval, nodes: accepted, group, refused };
  }

  #publishingInterval(node: OpcuaNodeMapping): number {
    return node.publishingIntervalMs ?? this.#server.publishingIntervalMs ?? DEFAULT_PUBLISHING_MS;
  }

  #parameters(node: OpcuaNodeMapping): MonitoringParametersOptions {
    const { DataChangeFilter, DataChangeTrigger, DeadbandType } = this.#opcua;
    const filter = node.deadband
      ? new DataChangeFilter({
          trigger: DataChangeTrigger.StatusValue,
          deadbandType:
            node.deadband.type === 'absolute' ? DeadbandType.Absolute : DeadbandType.Percent,
          deadbandValue: node.deadband.value,
        })
      : null;
    return {
      samplingInterval: node.samplingIntervalMs ?? DEFAULT_SAMPLING_MS,
      queueSize: 10,
      discardOldest: true,
      filter,
    };
  }

  /** The session is gone: its subscriptions and monitored items went with it. */
  #forgetMonitoring(): void {
    for (const batch of this.#batches) batch.group.removeAllListeners('changed');
    this.#batches = [];
    this.#subscriptions.clear();
    this.#unresolved = [];
  }

  #setState(state: ConnectionState, reason: string): void {
    if (this.#state === 'stopped' && state !== 'stopped') return;
    const changed = state !== this.#state || reason !== this.#reason;
    this.#state = state;
    this.#reason = reason;
    if (!changed) return;
    this.#logger.info({ state, reason }, 'OPC-UA server state');
    this.emit('state', state, reason);
  }
}

/** What makes two mappings of a node the same monitored item. */
function nodeKey(node: OpcuaNodeMapping): string {
  return JSON.stringify([
    node.nodeId,
    node.deviceId,
    node.metric,
    node.samplingIntervalMs ?? null,
    node.publishingIntervalMs ?? null,
    node.deadband ?? null,
  ]);
}

function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

function describeError(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0]?.trim() || err.name : String(err);
}

function isAccessDenied(err: unknown): boolean {
  return /BadUserAccessDenied|BadIdentityTokenRejected|BadIdentityTokenInvalid/.test(
    String((err as Error)?.message ?? err),
  );
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
