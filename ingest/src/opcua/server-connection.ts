import { EventEmitter } from 'node:events';
import type { ComponentHealth, Logger } from '@ioc/core';
import type {
  ClientSession,
  ClientSubscription,
  DataValue,
  MonitoringParametersOptions,
  OPCUACertificateManager,
  OPCUAClient,
} from 'node-opcua';
import type { OpcuaNodeMapping, OpcuaServerMapping } from './mapping.js';
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
 * One OPC-UA server: a client that keeps (re)connecting, one session, one subscription per
 * distinct publishing interval and monitored items created in bulk per (sampling interval,
 * deadband). After a connection loss node-opcua repairs the session and re-creates the
 * subscriptions and monitored items on a restarted server.
 */
export class ServerConnection extends EventEmitter<ServerConnectionEvents> {
  readonly server: OpcuaServerMapping;
  readonly #opcua: NodeOpcua;
  readonly #options: ServerConnectionOptions;
  readonly #logger: Logger;
  #client: OPCUAClient | undefined;
  #session: ClientSession | undefined;
  #namespaces: string[] = [];
  #subscriptions: ClientSubscription[] = [];
  #retryTimer: NodeJS.Timeout | undefined;
  #state: ConnectionState = 'connecting';
  #reason = 'not connected yet';
  #refusedNodes: string[] = [];

  constructor(options: ServerConnectionOptions) {
    super();
    this.server = options.server;
    this.#opcua = options.opcua;
    this.#options = options;
    this.#logger = options.logger.child({ opcuaServer: options.server.id });
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
    const where = `${this.server.id} (${this.server.endpointUrl})`;
    if (this.#state === 'connected') {
      const refused =
        this.#refusedNodes.length > 0 ? `; nodes refused: ${this.#refusedNodes.join(', ')}` : '';
      return {
        status: 'up',
        reason: `${where} connected, ${this.server.nodes.length} node(s)${refused}`,
      };
    }
    return { status: 'down', reason: `${where} ${this.#state}: ${this.#reason}` };
  }

  /** Starts connecting in the background; progress shows in `state` events and health. */
  start(): void {
    void this.#connect();
  }

  async stop(): Promise<void> {
    this.#setState('stopped', 'stopped');
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    const client = this.#client;
    const session = this.#session;
    this.#client = undefined;
    this.#session = undefined;
    this.#subscriptions = [];
    if (session && client && !client.isReconnecting) {
      // A server that went away would leave close() waiting for its request timeout.
      await withTimeout(session.close(true), 2000).catch(() => undefined);
    }
    await client?.disconnect().catch(() => undefined);
  }

  async #connect(): Promise<void> {
    if (this.#state === 'stopped') return;
    const { opcua, server } = this.#options;
    const { MessageSecurityMode, SecurityPolicy, OPCUAClient, UserTokenType } = opcua;
    const securityMode = MessageSecurityMode[server.securityMode ?? 'None'];
    const client = OPCUAClient.create({
      applicationName: 'IOC ingest',
      endpointMustExist: false,
      keepSessionAlive: true,
      securityMode,
      securityPolicy:
        securityMode === MessageSecurityMode.None
          ? SecurityPolicy.None
          : SecurityPolicy.Basic256Sha256,
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
      session.on('session_restored', () => this.#setState('connected', 'session restored'));
      this.#namespaces = await session.readNamespaceArray();
      await this.#monitor(session);
      this.#setState('connected', 'connected');
    } catch (err) {
      if (this.#client !== client) return;
      const reason = `${describeError(err)}${isAccessDenied(err) ? ' (check username and password)' : ''}`;
      this.#logger.warn({ err: describeError(err) }, 'OPC-UA session failed; retrying later');
      this.#setState('failed', reason);
      this.#client = undefined;
      this.#session = undefined;
      await client.disconnect().catch(() => undefined);
      // stop() may have run while disconnecting.
      if (this.state === 'stopped') return;
      this.#retryTimer = setTimeout(() => void this.#connect(), this.#options.sessionRetryMs);
      this.#retryTimer.unref();
    }
  }

  #watch(client: OPCUAClient): void {
    const { endpointUrl } = this.server;
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
      if (err) this.#setState('reconnecting', describeError(err));
      else this.#setState('connected', 'reconnected');
    });
  }

  /** One subscription per publishing interval; monitored items created in bulk per parameter set. */
  async #monitor(session: ClientSession): Promise<void> {
    const byInterval = groupBy(
      this.server.nodes,
      (n) => n.publishingIntervalMs ?? this.server.publishingIntervalMs ?? DEFAULT_PUBLISHING_MS,
    );
    this.#refusedNodes = [];
    for (const [publishingInterval, nodes] of byInterval) {
      const subscription = await session.createSubscription2({
        requestedPublishingInterval: publishingInterval,
        requestedLifetimeCount: 100,
        requestedMaxKeepAliveCount: 10,
        maxNotificationsPerPublish: 1000,
        publishingEnabled: true,
        priority: 1,
      });
      this.#subscriptions.push(subscription);
      const byParameters = groupBy(nodes, (n) =>
        JSON.stringify([n.samplingIntervalMs ?? DEFAULT_SAMPLING_MS, n.deadband ?? null]),
      );
      for (const group of byParameters.values()) {
        await this.#monitorGroup(subscription, group);
      }
    }
    if (this.#refusedNodes.length > 0)
      this.#logger.warn({ nodes: this.#refusedNodes }, 'the OPC-UA server refused some nodes');
    this.#logger.info(
      { nodes: this.server.nodes.length, subscriptions: this.#subscriptions.length },
      'OPC-UA monitoring started',
    );
  }

  async #monitorGroup(subscription: ClientSubscription, nodes: OpcuaNodeMapping[]): Promise<void> {
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
        this.#refusedNodes.push(`${node.nodeId} (${describeError(err)})`);
      }
    }
    if (items.length === 0) return;
    const first = nodes[0] as OpcuaNodeMapping;
    const group = ClientMonitoredItemGroup.create(
      subscription,
      items,
      this.#parameters(first),
      TimestampsToReturn.Both,
    );
    await new Promise<void>((resolve, reject) => {
      group.once('initialized', () => resolve());
      group.once('err', (message) => reject(new Error(message)));
    });
    group.on('changed', (_item, dataValue, index) => {
      const node = accepted[index];
      if (node) this.emit('value', node, dataValue);
    });
    for (const [i, item] of group.monitoredItems.entries()) {
      const status = item.statusCode;
      if (status?.isNotGood()) this.#refusedNodes.push(`${accepted[i]?.nodeId} (${status.name})`);
    }
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
