import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { KpiDemoRow } from './kpi-model.js';

/** A refused or failed request; `retryable` when sending the same request later may work. */
export class KpiClientError extends Error {
  override readonly name = 'KpiClientError';
  constructor(
    message: string,
    readonly status: number | null,
    readonly code: string,
  ) {
    super(message);
  }

  get retryable(): boolean {
    return this.status === null || this.status === 429 || this.status >= 500;
  }
}

export interface KpiClientOptions {
  /** Base URL of the IOC web server, e.g. http://127.0.0.1:8080. */
  url: string;
  /** API token of a `service` account. */
  token: string;
  /** For HTTPS: the server's own certificate (PEM), trusted as the only one (pinned). */
  pinnedCertificate?: Buffer;
  timeoutMs?: number;
}

export interface KpiSubmitAnswer {
  accepted: number;
  rejected: number;
  errors: Array<{ index: number; code: string; message: string }>;
}

/** The two calls an integrator makes: push observations, read a KPI back. */
export class KpiClient {
  readonly #options: KpiClientOptions;

  constructor(options: KpiClientOptions) {
    this.#options = options;
  }

  submit(rows: readonly KpiDemoRow[]): Promise<KpiSubmitAnswer> {
    return this.#call('POST', '/api/v1/kpi', { observations: rows }) as Promise<KpiSubmitAnswer>;
  }

  /** Days (`yyyy-MM-dd`) in [from, to] on which `kpi` has a figure for `unit`'s subtree. */
  async daysWithData(kpi: string, unit: string, from: string, to: string): Promise<Set<string>> {
    const query = new URLSearchParams({ kpi, unit, from, to, every: '1d' });
    const series = (await this.#call('GET', `/api/v1/kpi?${query}`)) as {
      points: Array<{ date: string }>;
    };
    return new Set(series.points.map((p) => p.date));
  }

  #call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    const url = new URL(path, this.#options.url);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string | number> = {
      authorization: `Bearer ${this.#options.token}`,
      accept: 'application/json',
    };
    if (payload) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = payload.length;
    }
    const pinned = this.#options.pinnedCertificate;
    const tls =
      url.protocol === 'https:' && pinned
        ? // The exact certificate is pinned, so its host name need not match the URL's.
          { ca: pinned, checkServerIdentity: () => undefined }
        : {};
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const timeout = this.#options.timeoutMs ?? 60_000;
    return new Promise((resolve, reject) => {
      const req = send(url, { method, headers, timeout, ...tls }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: { code?: string; message?: string } | undefined;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300 && json !== undefined) resolve(json);
          else
            reject(
              new KpiClientError(
                `${method} ${url.pathname} answered HTTP ${status}: ${json?.message ?? text.slice(0, 200)}`,
                status,
                json?.code ?? 'HTTP_ERROR',
              ),
            );
        });
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${timeout} ms`)));
      req.on('error', (err) =>
        reject(new KpiClientError(`${method} ${url.pathname}: ${err.message}`, null, 'NETWORK')),
      );
      req.end(payload);
    });
  }
}
