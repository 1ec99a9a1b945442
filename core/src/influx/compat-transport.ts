import type {
  ChunkCombiner,
  CommunicationObserver,
  ResponseStartedFn,
  SendOptions,
  Transport,
} from '@influxdata/influxdb-client';

/** Line-protocol precisions as the 1.x `/write` endpoint spells them. */
const V1_PRECISION: Record<string, string> = { ns: 'n', us: 'u', ms: 'ms', s: 's' };

/**
 * Rewrites the client's `/api/v2/write?org=&bucket=&precision=` to 1.x's
 * `/write?db=&rp=&precision=` (bucket `db/rp` names a retention policy, as in 1.8's
 * compatibility API). Any other path is returned unchanged.
 */
export function toV1WritePath(path: string): string {
  const queryStart = path.indexOf('?');
  const pathname = queryStart === -1 ? path : path.slice(0, queryStart);
  if (pathname !== '/api/v2/write') return path;
  const query = new URLSearchParams(queryStart === -1 ? '' : path.slice(queryStart + 1));
  const bucket = query.get('bucket') ?? '';
  const slash = bucket.indexOf('/');
  const v1 = new URLSearchParams({ db: slash === -1 ? bucket : bucket.slice(0, slash) });
  if (slash !== -1 && slash < bucket.length - 1) v1.set('rp', bucket.slice(slash + 1));
  const precision = query.get('precision') ?? 'ns';
  v1.set('precision', V1_PRECISION[precision] ?? precision);
  const consistency = query.get('consistency');
  if (consistency) v1.set('consistency', consistency);
  return `/write?${v1}`;
}

export interface CompatTransportOptions {
  /** The client's own transport, built without a token: this wrapper adds the credentials. */
  base: Transport;
  /** Full `Authorization` header value, or undefined for none. */
  authorization: string | undefined;
  /** Send writes to 1.x's `/write` (servers before 1.8 have no `/api/v2/write`). */
  v1Write: boolean;
}

/**
 * A transport for `@influxdata/influxdb-client` that speaks to every InfluxDB generation:
 * it adds the right `Authorization` header and, for servers older than 1.8, moves writes
 * to `/write`. Everything else is delegated to the client's default Node transport.
 */
export class CompatTransport implements Transport {
  readonly chunkCombiner: ChunkCombiner;
  readonly #base: Transport;
  readonly #authorization: string | undefined;
  readonly #v1Write: boolean;

  constructor({ base, authorization, v1Write }: CompatTransportOptions) {
    this.#base = base;
    this.#authorization = authorization;
    this.#v1Write = v1Write;
    this.chunkCombiner = base.chunkCombiner;
  }

  send(
    path: string,
    body: string,
    options: SendOptions,
    callbacks?: Partial<CommunicationObserver<Uint8Array>>,
  ): void {
    this.#base.send(this.#path(path), body, this.#options(options), callbacks);
  }

  request(
    path: string,
    body: unknown,
    options: SendOptions,
    responseStarted?: ResponseStartedFn,
  ): Promise<unknown> {
    return this.#base.request(this.#path(path), body, this.#options(options), responseStarted);
  }

  iterate(path: string, body: unknown, options: SendOptions): AsyncIterableIterator<Uint8Array> {
    return this.#base.iterate(this.#path(path), body, this.#options(options));
  }

  #path(path: string): string {
    return this.#v1Write ? toV1WritePath(path) : path;
  }

  #options(options: SendOptions): SendOptions {
    if (!this.#authorization) return options;
    return { ...options, headers: { authorization: this.#authorization, ...options.headers } };
  }
}
