import type { SqlExecutor, SqlStore } from '@ioc/core';
import {
  effectiveSecurityPolicy,
  type OpcuaDeadband,
  type OpcuaMapping,
  type OpcuaNodeMapping,
  type OpcuaSecurityMode,
  type OpcuaSecurityPolicy,
  type OpcuaServerMapping,
} from './mapping.js';

/** Who wrote a server: the API, the mapping file or the demo PLC (both rewritten on start). */
export type OpcuaServerSource = 'api' | 'file' | 'demo';

/** A server as stored, password included (never hand this to an API client). */
export interface StoredOpcuaServer {
  id: string;
  endpointUrl: string;
  securityMode: OpcuaSecurityMode;
  securityPolicy: OpcuaSecurityPolicy;
  username: string | null;
  password: string | null;
  publishingIntervalMs: number;
  enabled: boolean;
  source: OpcuaServerSource;
  nodeCount: number;
  createdAt: string;
  updatedAt: string;
}

/** One node → device metric mapping as stored. */
export interface StoredOpcuaNode {
  /** uuid of the mapping. */
  id: string;
  serverId: string;
  nodeId: string;
  deviceId: string;
  metric: string;
  samplingIntervalMs: number;
  /** Null: the server's publishing interval. */
  publishingIntervalMs: number | null;
  deadband: OpcuaDeadband | null;
  createdAt: string;
  updatedAt: string;
}

export type ServerFields = Omit<StoredOpcuaServer, 'nodeCount' | 'createdAt' | 'updatedAt'>;
export type NodeFields = Omit<StoredOpcuaNode, 'id' | 'createdAt' | 'updatedAt'>;

interface ServerRow {
  id: string;
  endpoint_url: string;
  security_mode: OpcuaSecurityMode;
  security_policy: OpcuaSecurityPolicy;
  username: string | null;
  password: string | null;
  publishing_interval_ms: number;
  enabled: boolean;
  source: OpcuaServerSource;
  node_count: number;
  created_at: Date | string;
  updated_at: Date | string;
}

interface NodeRow {
  id: string;
  server_id: string;
  node_id: string;
  device_id: string;
  metric: string;
  sampling_interval_ms: number;
  publishing_interval_ms: number | null;
  deadband_type: 'absolute' | 'percent' | null;
  deadband_value: number | null;
  created_at: Date | string;
  updated_at: Date | string;
}

const SERVER_COLUMNS = `s.id, s.endpoint_url, s.security_mode, s.security_policy, s.username,
  s.password, s.publishing_interval_ms, s.enabled, s.source, s.created_at, s.updated_at,
  (SELECT count(*) FROM opcua_nodes n WHERE n.server_id = s.id) AS node_count`;
const NODE_COLUMNS = `id, server_id, node_id, device_id, metric, sampling_interval_ms,
  publishing_interval_ms, deadband_type, deadband_value, created_at, updated_at`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** SQLSTATE of a unique or primary-key violation. */
export function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: string })?.code === '23505';
}

/**
 * OPC-UA servers and node mappings in SQL (core/migrations/0004_opcua.sql). Checks are the
 * caller's (OpcuaConfiguration); the table constraints are the last line.
 */
export class OpcuaMappingStore {
  constructor(private readonly sql: SqlStore) {}

  async listServers(): Promise<StoredOpcuaServer[]> {
    const { rows } = await this.sql.query<ServerRow>(
      `SELECT ${SERVER_COLUMNS} FROM opcua_servers s ORDER BY s.id`,
    );
    return rows.map(toServer);
  }

  async getServer(id: string, db: SqlExecutor = this.sql): Promise<StoredOpcuaServer | undefined> {
    const { rows } = await db.query<ServerRow>(
      `SELECT ${SERVER_COLUMNS} FROM opcua_servers s WHERE s.id = $1`,
      [id],
    );
    return rows[0] && toServer(rows[0]);
  }

  /** Throws a unique violation (SQLSTATE 23505) when the id is taken. */
  async insertServer(server: ServerFields): Promise<StoredOpcuaServer> {
    await this.sql.query(
      `INSERT INTO opcua_servers (id, endpoint_url, security_mode, security_policy, username,
         password, publishing_interval_ms, enabled, source)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      serverParams(server),
    );
    return (await this.getServer(server.id)) as StoredOpcuaServer;
  }

  async updateServer(server: ServerFields): Promise<StoredOpcuaServer | undefined> {
    const { rowCount } = await this.sql.query(
      `UPDATE opcua_servers SET endpoint_url = $2, security_mode = $3, security_policy = $4,
         username = $5, password = $6, publishing_interval_ms = $7, enabled = $8, source = $9,
         updated_at = now()
       WHERE id = $1`,
      serverParams(server),
    );
    return rowCount === 0 ? undefined : this.getServer(server.id);
  }

  /** Deletes a server with its node mappings; false when there was none. */
  async deleteServer(id: string): Promise<boolean> {
    const { rowCount } = await this.sql.query('DELETE FROM opcua_servers WHERE id = $1', [id]);
    return rowCount > 0;
  }

  async listNodes(serverId: string): Promise<StoredOpcuaNode[]> {
    const { rows } = await this.sql.query<NodeRow>(
      `SELECT ${NODE_COLUMNS} FROM opcua_nodes WHERE server_id = $1 ORDER BY device_id, metric`,
      [serverId],
    );
    return rows.map(toNode);
  }

  async getNode(serverId: string, id: string): Promise<StoredOpcuaNode | undefined> {
    if (!UUID.test(id)) return undefined;
    const { rows } = await this.sql.query<NodeRow>(
      `SELECT ${NODE_COLUMNS} FROM opcua_nodes WHERE server_id = $1 AND id = $2`,
      [serverId, id],
    );
    return rows[0] && toNode(rows[0]);
  }

  /** The mapping that feeds a device metric, whatever its server. */
  async nodeFeeding(deviceId: string, metric: string): Promise<StoredOpcuaNode | undefined> {
    const { rows } = await this.sql.query<NodeRow>(
      `SELECT ${NODE_COLUMNS} FROM opcua_nodes WHERE device_id = $1 AND metric = $2`,
      [deviceId, metric],
    );
    return rows[0] && toNode(rows[0]);
  }

  /** Throws a unique violation (SQLSTATE 23505) when the device metric is mapped already. */
  async insertNode(node: NodeFields, db: SqlExecutor = this.sql): Promise<StoredOpcuaNode> {
    const { rows } = await db.query<NodeRow>(
      `INSERT INTO opcua_nodes (server_id, node_id, device_id, metric, sampling_interval_ms,
         publishing_interval_ms, deadband_type, deadband_value)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       RETURNING ${NODE_COLUMNS}`,
      nodeParams(node),
    );
    return toNode(rows[0] as NodeRow);
  }

  /** Throws a unique violation when the new device metric is mapped by another node. */
  async updateNode(id: string, node: NodeFields): Promise<StoredOpcuaNode | undefined> {
    const { rows } = await this.sql.query<NodeRow>(
      `UPDATE opcua_nodes SET node_id = $2, device_id = $3, metric = $4,
         sampling_interval_ms = $5, publishing_interval_ms = $6, deadband_type = $7,
         deadband_value = $8, updated_at = now()
       WHERE server_id = $1 AND id = $9
       RETURNING ${NODE_COLUMNS}`,
      [...nodeParams(node), id],
    );
    return rows[0] && toNode(rows[0]);
  }

  async deleteNode(serverId: string, id: string): Promise<boolean> {
    if (!UUID.test(id)) return false;
    const { rowCount } = await this.sql.query(
      'DELETE FROM opcua_nodes WHERE server_id = $1 AND id = $2',
      [serverId, id],
    );
    return rowCount > 0;
  }

  /** A server with its nodes in the shape the bridge takes, or undefined when it is gone. */
  async serverMapping(id: string): Promise<OpcuaServerMapping | undefined> {
    const server = await this.getServer(id);
    return server && toServerMapping(server, await this.listNodes(id));
  }

  /** Every server (enabled or not) with its nodes. */
  async loadMapping(): Promise<OpcuaMapping> {
    const servers = await this.listServers();
    const { rows } = await this.sql.query<NodeRow>(
      `SELECT ${NODE_COLUMNS} FROM opcua_nodes ORDER BY server_id, device_id, metric`,
    );
    const nodes = rows.map(toNode);
    return {
      servers: servers.map((s) =>
        toServerMapping(
          s,
          nodes.filter((n) => n.serverId === s.id),
        ),
      ),
    };
  }

  /**
   * Writes the servers of a mapping (file or demo PLC) as given, replacing their settings
   * and all their node mappings. Mappings of other servers that feed the same device metrics
   * give way (returned, so the caller can say so). With `source` 'file', servers an earlier
   * file listed and this one does not are deleted. Returns the ids of every server touched.
   */
  async replaceServers(
    mapping: OpcuaMapping,
    source: Exclude<OpcuaServerSource, 'api'>,
  ): Promise<{ touched: string[]; displaced: StoredOpcuaNode[] }> {
    const ids = mapping.servers.map((s) => s.id);
    return this.sql.transaction(async (tx) => {
      const touched = new Set(ids);
      const displaced: StoredOpcuaNode[] = [];
      if (source === 'file') {
        const { rows } = await tx.query<{ id: string }>(
          `DELETE FROM opcua_servers WHERE source = 'file' AND NOT (id = ANY($1::text[]))
           RETURNING id`,
          [ids],
        );
        for (const row of rows) touched.add(row.id);
      }
      for (const server of mapping.servers) {
        const mode = server.securityMode ?? 'None';
        await tx.query(
          `INSERT INTO opcua_servers (id, endpoint_url, security_mode, security_policy, username,
             password, publishing_interval_ms, enabled, source)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
           ON CONFLICT (id) DO UPDATE SET endpoint_url = $2, security_mode = $3,
             security_policy = $4, username = $5, password = $6, publishing_interval_ms = $7,
             enabled = $8, source = $9, updated_at = now()`,
          serverParams({
            id: server.id,
            endpointUrl: server.endpointUrl,
            securityMode: mode,
            securityPolicy: effectiveSecurityPolicy(mode, server.securityPolicy),
            username: server.username ?? null,
            password: server.username === undefined ? null : (server.password ?? ''),
            publishingIntervalMs: server.publishingIntervalMs ?? 1000,
            enabled: server.enabled ?? true,
            source,
          }),
        );
        await tx.query('DELETE FROM opcua_nodes WHERE server_id = $1', [server.id]);
        for (const node of server.nodes) {
          const { rows } = await tx.query<NodeRow>(
            `DELETE FROM opcua_nodes WHERE device_id = $1 AND metric = $2
             RETURNING ${NODE_COLUMNS}`,
            [node.deviceId, node.metric],
          );
          for (const row of rows) {
            displaced.push(toNode(row));
            touched.add(row.server_id);
          }
          await this.insertNode(
            {
              serverId: server.id,
              nodeId: node.nodeId,
              deviceId: node.deviceId,
              metric: node.metric,
              samplingIntervalMs: node.samplingIntervalMs ?? 1000,
              publishingIntervalMs: node.publishingIntervalMs ?? null,
              deadband: node.deadband ?? null,
            },
            tx,
          );
        }
      }
      // A node displaced by a later node of the same mapping is not news.
      return {
        touched: [...touched],
        displaced: displaced.filter((n) => !ids.includes(n.serverId)),
      };
    });
  }
}

/** The bridge's view of a stored server: its nodes, and no secrets beyond what it needs. */
export function toServerMapping(
  server: StoredOpcuaServer,
  nodes: StoredOpcuaNode[],
): OpcuaServerMapping {
  return {
    id: server.id,
    endpointUrl: server.endpointUrl,
    securityMode: server.securityMode,
    securityPolicy: server.securityPolicy,
    ...(server.username === null
      ? {}
      : { username: server.username, password: server.password ?? '' }),
    publishingIntervalMs: server.publishingIntervalMs,
    enabled: server.enabled,
    nodes: nodes.map(toNodeMapping),
  };
}

function toNodeMapping(node: StoredOpcuaNode): OpcuaNodeMapping {
  return {
    nodeId: node.nodeId,
    deviceId: node.deviceId,
    metric: node.metric,
    samplingIntervalMs: node.samplingIntervalMs,
    ...(node.publishingIntervalMs === null
      ? {}
      : { publishingIntervalMs: node.publishingIntervalMs }),
    ...(node.deadband === null ? {} : { deadband: node.deadband }),
  };
}

function serverParams(s: ServerFields): unknown[] {
  return [
    s.id,
    s.endpointUrl,
    s.securityMode,
    s.securityPolicy,
    s.username,
    s.password,
    s.publishingIntervalMs,
    s.enabled,
    s.source,
  ];
}

function nodeParams(n: NodeFields): unknown[] {
  return [
    n.serverId,
    n.nodeId,
    n.deviceId,
    n.metric,
    n.samplingIntervalMs,
    n.publishingIntervalMs,
    n.deadband?.type ?? null,
    n.deadband?.value ?? null,
  ];
}

function toServer(row: ServerRow): StoredOpcuaServer {
  return {
    id: row.id,
    endpointUrl: row.endpoint_url,
    securityMode: row.security_mode,
    securityPolicy: row.security_policy,
    username: row.username,
    password: row.password,
    publishingIntervalMs: row.publishing_interval_ms,
    enabled: row.enabled,
    source: row.source,
    nodeCount: Number(row.node_count),
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

function toNode(row: NodeRow): StoredOpcuaNode {
  return {
    id: row.id,
    serverId: row.server_id,
    nodeId: row.node_id,
    deviceId: row.device_id,
    metric: row.metric,
    samplingIntervalMs: row.sampling_interval_ms,
    publishingIntervalMs: row.publishing_interval_ms,
    deadband:
      row.deadband_type === null
        ? null
        : { type: row.deadband_type, value: Number(row.deadband_value) },
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}
