import {
  InfluxDB,
  type Point,
  setLogger,
  type WriteApi,
  type WriteOptions,
} from '@influxdata/influxdb-client';
import type { Logger } from 'pino';
import { errorMessage } from '../errors.js';
import type { ComponentHealth } from '../health.js';
import { authorizationHeader } from './auth.js';
import { CompatTransport } from './compat-transport.js';
import { influxFetch, pingServer } from './http.js';
import { InfluxError, influxErrorText } from './influx-error.js';
import { hasV2WriteApi, type ServerVersion } from './server-version.js';

export interface InfluxConnectOptions {
  /** Server root, e.g. `http://127.0.0.1:8186`. */
  url: string;
  /** 2.x/3.x token, or `user:password` for 1.x; empty for none. */
  token?: string;
  /** Database (1.x, 3.x) or bucket (2.x); `db/rp` names a retention policy. */
  database: string;
  /** Organisation; only InfluxDB 2.x uses it. */
  org?: string;
  logger: Logger;
  /** Deadline of each ping and query request. */
  requestTimeoutMs?: number;
}

/** One series of an InfluxQL result; with `epoch=ms` the `time` column holds epoch ms. */
export interface InfluxSeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

/** Bound parameters of an InfluxQL query, referenced as `$name`. */
export type InfluxQueryParams = Record<string, string | number | boolean>;

interface QueryResponse {
  error?: string;
  results?: { error?: string; series?: InfluxSeries[] }[];
}

/** Most lines a single `writePoints` request carries; bigger arrays go in several requests. */
const WRITE_CHUNK = 5000;

/**
 * The IOC's door to InfluxDB (1.x, 2.x or 3.x). Writes go through the official client at ms
 * precision; reads use InfluxQL on `/query`, which every generation answers.
 */
export class InfluxStore {
  /** What the server reported in `X-Influxdb-Version`, e.g. `1.6.7~rc0`. */
  readonly version: string;
  readonly url: string;
  readonly database: string;
  /** True when writes go to 1.x's `/write` (servers before 1.8). */
  readonly usesV1Write: boolean;
  readonly #client: InfluxDB;
  readonly #org: string;
  readonly #authorization: string | undefined;
  readonly #timeoutMs: number;
  readonly #gzipThreshold: number | undefined;
  readonly #logger: Logger;
  readonly #writeApis = new Set<WriteApi>();
  #closed = false;

  private constructor(
    options: Required<Omit<InfluxConnectOptions, 'token'>>,
    version: ServerVersion,
    authorization: string | undefined,
  ) {
    this.url = options.url;
    this.database = options.database;
    this.version = version.raw;
    this.usesV1Write = !hasV2WriteApi(version);
    this.#org = options.org;
    this.#authorization = authorization;
    this.#timeoutMs = options.requestTimeoutMs;
    this.#logger = options.logger;
    // Compressing costs more CPU than it saves bandwidth on the loopback interface.
    this.#gzipThreshold = isLoopback(options.url) ? undefined : 1000;
    const base = new InfluxDB({ url: options.url }).transport;
    this.#client = new InfluxDB({
      url: options.url,
      transport: new CompatTransport({ base, authorization, v1Write: this.usesV1Write }),
    });
  }

  /**
   * Pings the server, learns its version, creates the database on 1.x and returns a store
   * ready to write. Rejects with an InfluxError when the server cannot be reached.
   */
  static async connect(options: InfluxConnectOptions): Promise<InfluxStore> {
    const url = options.url.replace(/\/+$/, '');
    if (!/^https?:\/\/[^/]/.test(url)) {
      throw new TypeError(`InfluxDB URL must start with http:// or https://, got "${url}"`);
    }
    if (!options.database) throw new TypeError('InfluxDB database must not be empty');
    const token = options.token ?? '';
    const timeoutMs = options.requestTimeoutMs ?? 30_000;
    // Before the version is known, assume a modern server; /ping needs no auth on 1.x/2.x.
    const probeAuth = authorizationHeader(token, { raw: '', major: 2, minor: 0 });
    const version = await pingServer(url, probeAuth, Math.min(timeoutMs, 10_000));
    const store = new InfluxStore(
      { ...options, url, org: options.org ?? '', requestTimeoutMs: timeoutMs },
      version,
      authorizationHeader(token, version),
    );
    routeClientLogs(options.logger);
    if (version.major === 1) await store.#createDatabase();
    options.logger.info(
      { url, version: version.raw, database: options.database, writeApi: store.#writePathName() },
      'connected to InfluxDB',
    );
    return store;
  }

  /** Writes the points in one go (chunked above 5000) and resolves once InfluxDB accepted them. */
  async writePoints(points: readonly Point[]): Promise<void> {
    await this.#writeChunked(points, (api, chunk) => api.writePoints(chunk));
  }

  /**
   * Writes pre-serialised line protocol (ms timestamps, no trailing newline) in one go,
   * chunked above 5000, and resolves once InfluxDB accepted every line. For writers that
   * keep lines rather than Points, e.g. the ingest spool replaying its files.
   */
  async writeLines(lines: readonly string[]): Promise<void> {
    await this.#writeChunked(lines, (api, chunk) => api.writeRecords(chunk));
  }

  async #writeChunked<T>(
    items: readonly T[],
    write: (api: WriteApi, chunk: T[]) => void,
  ): Promise<void> {
    this.#assertOpen();
    for (let start = 0; start < items.length; start += WRITE_CHUNK) {
      const chunk = items.slice(start, start + WRITE_CHUNK);
      // A fresh WriteApi per call keeps concurrent callers' batches and errors apart;
      // no client-side retries: the caller (the ingest spool) decides what to retry.
      const api = this.#client.getWriteApi(this.#org, this.database, 'ms', {
        batchSize: chunk.length + 1,
        flushInterval: 0,
        maxRetries: 0,
        gzipThreshold: this.#gzipThreshold,
      });
      try {
        write(api, chunk);
        await api.flush();
      } catch (err) {
        throw writeError(err);
      } finally {
        api.dispose();
      }
    }
  }

  /**
   * A batching WriteApi (ms precision) for high-rate writers; the caller flushes and closes
   * it, and `close()` of the store closes any still open.
   */
  writeApi(options: Partial<WriteOptions> = {}): WriteApi {
    this.#assertOpen();
    const api = this.#client.getWriteApi(this.#org, this.database, 'ms', {
      gzipThreshold: this.#gzipThreshold,
      ...options,
    });
    this.#writeApis.add(api);
    return api;
  }

  /**
   * Runs InfluxQL on `/query` (GET for reads, POST for anything that changes state) and
   * returns every series of every statement. InfluxDB's error message becomes the rejection.
   */
  async query(influxql: string, params?: InfluxQueryParams): Promise<InfluxSeries[]> {
    this.#assertOpen();
    const response = await this.#runQuery(influxql, params);
    return (response.results ?? []).flatMap((result) => result.series ?? []);
  }

  /** Health of the connection, for `/healthz`. */
  async ping(): Promise<ComponentHealth> {
    try {
      const version = await pingServer(
        this.url,
        this.#authorization,
        Math.min(this.#timeoutMs, 2000),
      );
      return { status: 'up', reason: `InfluxDB ${version.raw}` };
    } catch (err) {
      return { status: 'down', reason: errorMessage(err) };
    }
  }

  /** Flushes and closes the WriteApis handed out; later calls reject. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const apis = [...this.#writeApis];
    this.#writeApis.clear();
    const results = await Promise.allSettled(apis.map((api) => api.close()));
    for (const result of results) {
      if (result.status === 'rejected') {
        this.#logger.warn({ err: result.reason }, 'InfluxDB write batch lost on close');
      }
    }
  }

  async #createDatabase(): Promise<void> {
    const [db] = this.database.split('/');
    try {
      await this.#runQuery(`CREATE DATABASE ${quoteIdentifier(db ?? this.database)}`);
    } catch (err) {
      // A non-admin 1.x user cannot create databases; writes still work if it exists.
      this.#logger.warn(
        { err: errorMessage(err), database: db },
        'could not create the InfluxDB database; it must already exist',
      );
    }
  }

  async #runQuery(influxql: string, params?: InfluxQueryParams): Promise<QueryResponse> {
    const [db, rp] = this.database.split('/');
    const target = new URLSearchParams({ db: db ?? this.database, epoch: 'ms' });
    if (rp) target.set('rp', rp);
    const statement = new URLSearchParams({ q: influxql });
    if (params) statement.set('params', JSON.stringify(params));
    const headers: Record<string, string> = {};
    if (this.#authorization) headers.authorization = this.#authorization;
    const res = isReadOnly(influxql)
      ? await influxFetch(this.url, `/query?${target}&${statement}`, {
          headers,
          timeoutMs: this.#timeoutMs,
        })
      : await influxFetch(this.url, `/query?${target}`, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
          body: statement.toString(),
          timeoutMs: this.#timeoutMs,
        });
    const text = await res.text();
    if (!res.ok) {
      throw new InfluxError(
        'INFLUX_QUERY_FAILED',
        `InfluxDB query failed: ${influxErrorText(text)}`,
        res.status,
      );
    }
    let response: QueryResponse;
    try {
      response = JSON.parse(text) as QueryResponse;
    } catch {
      throw new InfluxError(
        'INFLUX_BAD_RESPONSE',
        `InfluxDB answered /query with something other than JSON: ${influxErrorText(text)}`,
        res.status,
      );
    }
    const error = response.error ?? response.results?.find((r) => r.error)?.error;
    if (error) throw new InfluxError('INFLUX_QUERY_FAILED', `InfluxDB query failed: ${error}`, 400);
    return response;
  }

  #writePathName(): string {
    return this.usesV1Write ? '/write' : '/api/v2/write';
  }

  #assertOpen(): void {
    if (this.#closed) throw new InfluxError('INFLUX_UNREACHABLE', 'InfluxStore is closed');
  }
}

/** SELECT and SHOW can go as GET; `SELECT ... INTO` writes, so it must be a POST. */
function isReadOnly(influxql: string): boolean {
  return /^\s*(SELECT|SHOW)\b/i.test(influxql) && !/\bINTO\b/i.test(influxql);
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function isLoopback(url: string): boolean {
  const host = new URL(url).hostname;
  return host === 'localhost' || host === '[::1]' || host.startsWith('127.');
}

/** The client's HttpError carries InfluxDB's JSON body; surface its message and status. */
function writeError(err: unknown): InfluxError {
  const http = err as { statusCode?: number; body?: string; message?: string };
  if (typeof http.statusCode === 'number') {
    const text = http.body ? influxErrorText(http.body) : (http.message ?? 'no details');
    return new InfluxError(
      'INFLUX_WRITE_FAILED',
      `InfluxDB write failed (HTTP ${http.statusCode}): ${text}`,
      http.statusCode,
      { cause: err },
    );
  }
  return new InfluxError(
    'INFLUX_UNREACHABLE',
    `InfluxDB write failed: ${errorMessage(err)}`,
    undefined,
    {
      cause: err,
    },
  );
}

/** The client logs to the console by default; services log through pino. */
function routeClientLogs(logger: Logger): void {
  const log = logger.child({ component: 'influxdb-client' });
  setLogger({
    error: (message, err) => log.warn({ err: err ? errorMessage(err) : undefined }, message),
    warn: (message, err) => log.warn({ err: err ? errorMessage(err) : undefined }, message),
  });
}
