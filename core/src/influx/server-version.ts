/** The InfluxDB release a server reports in its `X-Influxdb-Version` header. */
export interface ServerVersion {
  /** As reported, e.g. `1.6.7~rc0`, `v2.7.4`, `3.0.1`; `unknown` when the header is absent. */
  raw: string;
  major: number;
  minor: number;
}

export function parseServerVersion(header: string | null | undefined): ServerVersion {
  const raw = header?.trim() || 'unknown';
  const match = /(\d+)\.(\d+)/.exec(raw);
  if (!match) return { raw, major: 0, minor: 0 };
  return { raw, major: Number(match[1]), minor: Number(match[2]) };
}

/**
 * InfluxDB 1.8 added `/api/v2/write`; 2.x and 3.x have it natively. Older 1.x servers (Debian
 * ships 1.6.7) only take `/write`. A server that does not say its version is assumed modern
 * (hosted 2.x/3.x services omit the header).
 */
export function hasV2WriteApi(version: ServerVersion): boolean {
  if (version.major === 0) return true;
  return version.major > 1 || version.minor >= 8;
}
