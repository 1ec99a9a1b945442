/** Why an InfluxDB request failed, as a stable code for callers to branch on. */
export type InfluxErrorCode =
  | 'INFLUX_UNREACHABLE'
  | 'INFLUX_QUERY_FAILED'
  | 'INFLUX_WRITE_FAILED'
  | 'INFLUX_BAD_RESPONSE';

/** A failed request to InfluxDB, carrying InfluxDB's own message (and HTTP status when known). */
export class InfluxError extends Error {
  override readonly name = 'InfluxError';
  constructor(
    readonly code: InfluxErrorCode,
    message: string,
    readonly statusCode?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * InfluxDB answers errors as `{"error": "..."}` (1.x, 3.x) or `{"code", "message"}` (2.x);
 * returns that text, or the raw body when it is neither.
 */
export function influxErrorText(body: string): string {
  try {
    const json = JSON.parse(body) as { error?: unknown; message?: unknown };
    if (typeof json.error === 'string') return json.error;
    if (typeof json.message === 'string') return json.message;
  } catch {
    // not JSON: fall through to the raw text
  }
  return body.trim().replace(/\s+/g, ' ').slice(0, 500);
}
