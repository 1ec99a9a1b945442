import { Socket } from 'node:net';
import pg from 'pg';
import type { Logger } from '../logger.js';
import { describeConnectError, redactDatabaseUrl } from './postgres-errors.js';
import { ARRAY_OIDS, mapArray, TEXT_PARSERS } from './type-parsers.js';
import type { MigratableStore, ScriptExecutor, SqlResult } from './types.js';

/** text[]'s parser splits any array literal into strings (NULL → null). */
const splitArray = (
  pg.types.getTypeParser as (oid: number, format: 'text') => (v: string) => unknown
)(1009, 'text');
/** How long to wait for a connection before calling the server unreachable. */
const CONNECT_TIMEOUT_MS = 10_000;

const TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (format === undefined || format === 'text') {
      const parse = TEXT_PARSERS[oid];
      if (parse) return parse;
      const element = ARRAY_OIDS[oid];
      const parseElement = element === undefined ? undefined : TEXT_PARSERS[element];
      if (parseElement) {
        return (value: string) => mapArray(splitArray(value), parseElement);
      }
    }
    return pg.types.getTypeParser(oid, format);
  }) as pg.CustomTypesConfig['getTypeParser'],
};

/** A PostgreSQL server reached through a node-postgres connection pool. */
export class PostgresStore implements MigratableStore {
  readonly kind = 'postgres';
  private closing: Promise<void> | undefined;

  private constructor(private readonly pool: pg.Pool) {}

  /** Connects once to prove the URL works; failures become a one-line StartupError. */
  static async open(url: string, logger: Logger): Promise<PostgresStore> {
    // pg leaves the socket of a login that fails on the client side (no password for
    // SCRAM) open; the server then holds a half-authenticated backend for a minute and
    // this process cannot exit. Tracking the sockets lets a failed open close them.
    const sockets = new Set<Socket>();
    const pool = new pg.Pool({
      connectionString: url,
      stream: () => {
        const socket = new Socket();
        sockets.add(socket);
        socket.once('close', () => sockets.delete(socket));
        return socket;
      },
      application_name: 'ioc',
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      types: TYPES,
      // Same session time zone as the embedded store, whatever the server's default.
      onConnect: async (client) => {
        await client.query("SET TIME ZONE 'UTC'");
      },
    });
    // An idle connection that breaks (server restart) emits here; without a listener
    // the process would crash. The pool replaces it on the next query.
    pool.on('error', (err) =>
      logger.warn(
        { err: err.message, database: redactDatabaseUrl(url) },
        'idle PostgreSQL connection lost',
      ),
    );
    try {
      await pool.query('SELECT 1');
    } catch (err) {
      await pool.end().catch(() => {});
      await Promise.all([...sockets].map(closeSocket));
      throw describeConnectError(err, url);
    }
    return new PostgresStore(pool);
  }

  async query<R = Record<string, unknown>>(text: string, params?: unknown[]) {
    return toResult<R>(await this.pool.query(text, params));
  }

  async transaction<T>(fn: (tx: ScriptExecutor) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const tx: ScriptExecutor = {
      query: async <R>(text: string, params?: unknown[]) =>
        toResult<R>(await client.query(text, params)),
      exec: async (script: string) => {
        // Without parameters pg uses the simple protocol, which runs several statements.
        await client.query(script);
      },
    };
    try {
      await client.query('BEGIN');
      const result = await fn(tx);
      await client.query('COMMIT');
      client.release();
      return result;
    } catch (err) {
      await client.query('ROLLBACK').then(
        () => client.release(),
        // A connection that cannot even roll back is discarded, not reused.
        (rollbackErr: Error) => client.release(rollbackErr),
      );
      throw err;
    }
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  close(): Promise<void> {
    this.closing ??= this.pool.end();
    return this.closing;
  }
}

function closeSocket(socket: Socket): Promise<void> {
  if (socket.closed) return Promise.resolve();
  return new Promise((resolve) => socket.once('close', () => resolve()).destroy());
}

function toResult<R>(result: pg.QueryResult): SqlResult<R> {
  return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
}
