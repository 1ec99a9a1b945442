import { errorMessage } from '../errors.js';
import { InfluxError } from './influx-error.js';
import { parseServerVersion, type ServerVersion } from './server-version.js';

/** Joins a server URL (which may carry a path prefix behind a proxy) and an API path. */
export function endpoint(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, '')}${path}`;
}

/** `fetch` with a deadline; a network failure becomes an INFLUX_UNREACHABLE error. */
export async function influxFetch(
  baseUrl: string,
  path: string,
  init: RequestInit & { timeoutMs: number },
): Promise<Response> {
  const { timeoutMs, ...rest } = init;
  try {
    return await fetch(endpoint(baseUrl, path), {
      ...rest,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new InfluxError(
      'INFLUX_UNREACHABLE',
      `cannot reach InfluxDB at ${baseUrl}: ${networkReason(err, timeoutMs)}`,
      undefined,
      { cause: err },
    );
  }
}

/** `fetch failed` hides the useful part (ECONNREFUSED, ENOTFOUND...) in its cause. */
function networkReason(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && err.name === 'TimeoutError')
    return `no answer within ${timeoutMs} ms`;
  const cause =
    err instanceof Error ? (err.cause as { code?: string; message?: string }) : undefined;
  return cause?.code ?? cause?.message ?? errorMessage(err);
}

/**
 * `GET /ping`: 204 on 1.x and 2.x, 200 with a JSON body on 3.x. Returns the server's version
 * from `X-Influxdb-Version` (or 3.x's body).
 */
export async function pingServer(
  baseUrl: string,
  authorization: string | undefined,
  timeoutMs: number,
): Promise<ServerVersion> {
  const res = await influxFetch(baseUrl, '/ping', {
    headers: authorization ? { authorization } : {},
    timeoutMs,
  });
  const body = await res.text();
  if (!res.ok) {
    throw new InfluxError(
      'INFLUX_UNREACHABLE',
      `InfluxDB at ${baseUrl} answered /ping with HTTP ${res.status}${res.status === 401 ? ' (check the token)' : ''}`,
      res.status,
    );
  }
  const header = res.headers.get('x-influxdb-version');
  if (header) return parseServerVersion(header);
  try {
    return parseServerVersion((JSON.parse(body) as { version?: string }).version);
  } catch {
    return parseServerVersion(undefined);
  }
}
