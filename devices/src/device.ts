import type { Sector } from './sectors.js';

/** A registered field device as the registry returns it (never its secret or hash). */
export interface Device {
  id: string;
  name: string;
  /** Device type id of the catalogue. */
  type: string;
  /** Administrative unit code (mã đơn vị hành chính). */
  unit: string;
  sector: Sector;
  /** WGS84 decimal degrees; both null when the location is unknown. */
  lat: number | null;
  lon: number | null;
  tags: Record<string, string>;
  /** A disabled device cannot authenticate until enabled again. */
  enabled: boolean;
  /** ISO 8601 UTC instants. */
  createdAt: string;
  updatedAt: string;
  secretRotatedAt: string | null;
  lastSeenAt: string | null;
  /** Set once and final: a revoked device never authenticates again and its id stays taken. */
  revokedAt: string | null;
}

/** A row of the `devices` table (core/migrations/0002_devices.sql). */
export interface DeviceRow {
  id: string;
  name: string;
  type: string;
  unit_code: string;
  sector: string;
  lat: number | null;
  lon: number | null;
  tags: Record<string, string>;
  enabled: boolean;
  secret_hash: string;
  secret_rotated_at: Date | string | null;
  created_at: Date | string;
  updated_at: Date | string;
  last_seen_at: Date | string | null;
  revoked_at: Date | string | null;
}

export function toDevice(row: DeviceRow): Device {
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    unit: row.unit_code,
    sector: row.sector as Sector,
    lat: row.lat,
    lon: row.lon,
    tags: row.tags,
    enabled: row.enabled,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    secretRotatedAt: isoOrNull(row.secret_rotated_at),
    lastSeenAt: isoOrNull(row.last_seen_at),
    revokedAt: isoOrNull(row.revoked_at),
  };
}

function iso(value: Date | string): string {
  return new Date(value).toISOString();
}

function isoOrNull(value: Date | string | null): string | null {
  return value === null ? null : iso(value);
}
