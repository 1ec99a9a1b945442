import { type AdminUnitTree, hashPassword, randomSecret, type SqlStore } from '@ioc/core';
import type { DeviceCatalogue } from '@ioc/devices';

/** A benchmark sensor: what the bus events about it carry. */
export interface WallSensor {
  id: string;
  unit: string;
  sector: string;
  /** The first metric of its type, the one the load changes. */
  metric: string;
}

const ROWS_PER_INSERT = 1_000;

/**
 * `count` positioned devices of every catalogue type, spread over the dataset's lowest units
 * (each at a pseudo-random point of its unit's bounding box), written straight into the
 * registry's `devices` table. The registry's bulk import costs one scrypt hash per row (about
 * 10,000 × 90 ms here); these sensors never log in, so all share one real hash of a secret
 * nobody keeps. The rows are otherwise what `importDevices` writes, and the web service reads
 * them through the registry as it would any others.
 */
export async function insertWallSensors(options: {
  sql: SqlStore;
  units: AdminUnitTree;
  catalogue: DeviceCatalogue;
  count: number;
}): Promise<WallSensor[]> {
  const { sql, units, catalogue, count } = options;
  const depth = Math.max(...units.all().map((u) => u.level));
  const places = units.all().filter((u) => u.level === depth && u.bbox);
  const types = catalogue.types().filter((t) => t.metrics.length > 0);
  if (places.length === 0 || types.length === 0) {
    throw new Error('the unit dataset has no units with geometry, or the catalogue no metrics');
  }
  const secretHash = await hashPassword(randomSecret(24));
  const random = seededRandom(0x3a11);
  const sensors: WallSensor[] = [];
  for (let start = 0; start < count; start += ROWS_PER_INSERT) {
    const params: unknown[] = [];
    const rows: string[] = [];
    for (let i = start; i < Math.min(count, start + ROWS_PER_INSERT); i++) {
      const type = types[i % types.length] as (typeof types)[number];
      const place = places[i % places.length] as (typeof places)[number];
      const [minLon, minLat, maxLon, maxLat] = place.bbox as [number, number, number, number];
      const id = `wall-bench-${String(i).padStart(5, '0')}`;
      const lon = minLon + random() * (maxLon - minLon);
      const lat = minLat + random() * (maxLat - minLat);
      params.push(id, `Bench sensor ${i}`, type.id, place.code, type.sector, lat, lon);
      params.push('{}', true, secretHash);
      const $ = (n: number) => `$${rows.length * 10 + n}`;
      rows.push(
        `(${$(1)}, ${$(2)}, ${$(3)}, ${$(4)}, ${$(5)}, ${$(6)}, ${$(7)}, ${$(8)}::jsonb, ${$(9)}, ${$(10)})`,
      );
      sensors.push({
        id,
        unit: place.code,
        sector: type.sector,
        metric: (type.metrics[0] as { key: string }).key,
      });
    }
    await sql.query(
      `INSERT INTO devices (id, name, type, unit_code, sector, lat, lon, tags, enabled, secret_hash)
       VALUES ${rows.join(', ')}`,
      params,
    );
  }
  return sensors;
}

/** mulberry32: the same positions on every run. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
