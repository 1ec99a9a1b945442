import type { InfluxStore } from '@ioc/core';

/** The last values of one device at or before an instant, with the tags it was stored under. */
export interface DeviceValuesAt {
  device: string;
  unit: string | null;
  sector: string | null;
  /** Metric key → its last value at or before the instant (within the look-back). */
  values: Record<string, number | boolean>;
}

/** Sensor values as they stood at a past instant (the wall's time travel). */
export interface TelemetryAtReader {
  valuesAt(at: Date): Promise<DeviceValuesAt[]>;
}

/** How far back a device's last value still counts as "its value at T". */
export const TELEMETRY_AT_LOOKBACK_MS = 86_400_000;

// ingest's measurement (ingest/src/pipeline/telemetry-point.ts); the web service reads it
// without depending on ingest.
const MEASUREMENT = 'telemetry';

/**
 * Reads every device's last value of each metric in (T - 1 day, T] in one InfluxQL query,
 * grouped by the device's tags; the caller filters by scope. Fields a device never sent in
 * that day come back null and are left out.
 */
export class InfluxTelemetryAt implements TelemetryAtReader {
  readonly #influx: InfluxStore;

  constructor(influx: InfluxStore) {
    this.#influx = influx;
  }

  async valuesAt(at: Date): Promise<DeviceValuesAt[]> {
    const series = await this.#influx.query(
      `SELECT last(*) FROM "${MEASUREMENT}" WHERE time <= $at AND time > $since GROUP BY "device", "unit", "sector"`,
      {
        at: at.toISOString(),
        since: new Date(at.getTime() - TELEMETRY_AT_LOOKBACK_MS).toISOString(),
      },
    );
    const devices: DeviceValuesAt[] = [];
    for (const one of series) {
      const device = one.tags?.device;
      const row = one.values[0];
      if (!device || !row) continue;
      const values: Record<string, number | boolean> = {};
      one.columns.forEach((column, i) => {
        const value = row[i];
        if (
          column.startsWith('last_') &&
          (typeof value === 'number' || typeof value === 'boolean')
        ) {
          values[column.slice('last_'.length)] = value;
        }
      });
      devices.push({
        device,
        unit: one.tags?.unit || null,
        sector: one.tags?.sector || null,
        values,
      });
    }
    return devices;
  }
}
