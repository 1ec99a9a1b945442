// The one way the app talks to the IOC server: same origin, JSON, session cookie.

/** The server answered with an error status; `code` is the server's error code. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** No usable answer: the server is unreachable, timed out, or sent something unreadable. */
export class NetworkError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'NetworkError';
  }
}

export interface RequestOptions {
  body?: unknown;
  signal?: AbortSignal;
  /** Give up after this long, so a hung server cannot stall polling. */
  timeoutMs?: number;
  /** Statuses whose JSON body is still the answer (e.g. /healthz sends 503 with its report). */
  acceptStatuses?: readonly number[];
}

export async function requestJson(
  method: 'GET' | 'POST',
  path: string,
  options: RequestOptions = {},
): Promise<unknown> {
  const { body, signal, timeoutMs = 10_000, acceptStatuses = [] } = options;
  const timeout = AbortSignal.timeout(timeoutMs);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';

  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
  } catch (error) {
    if (signal?.aborted) throw error; // the caller cancelled: not a failure to report
    throw new NetworkError(`${method} ${path}: no answer from the IOC server`, { cause: error });
  }

  const payload = await readJson(response);
  if (response.ok || acceptStatuses.includes(response.status)) {
    if (payload === undefined && response.status !== 204) {
      throw new NetworkError(`${method} ${path}: the answer is not JSON`);
    }
    return payload;
  }
  const { code, message } = errorFields(payload);
  throw new ApiError(
    response.status,
    code ?? `HTTP_${response.status}`,
    message ?? `${method} ${path} failed with HTTP ${response.status}`,
  );
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function errorFields(payload: unknown): { code?: string; message?: string } {
  if (typeof payload !== 'object' || payload === null) return {};
  const { code, message } = payload as Record<string, unknown>;
  return {
    code: typeof code === 'string' ? code : undefined,
    message: typeof message === 'string' ? message : undefined,
  };
}
