import type { Logger } from '@ioc/core';
import type { RoomScope } from '../access/access-scope.js';
import type { KpiDesk, KpiSeriesRequest } from '../routes/kpi.js';
import type { KpiRollup } from './room-feed.js';

/**
 * Recomputes one room's roll-up of the KPIs whose figures changed, for the newest day each
 * changed, so that the wall's tiles follow the live feed instead of re-reading their history.
 * The roll-up covers the room's units (several: their union; none: the whole tree) as the
 * wall's initial REST read does. One computation at a time per room; KPI figures come in
 * batches (an integrator's push), so what arrives meanwhile is merged and done next.
 */
export class RoomKpiRollups {
  readonly #desk: KpiDesk;
  readonly #scope: RoomScope;
  readonly #logger: Logger;
  readonly #onRollup: (rollup: KpiRollup) => void;
  /** KPI code → the newest local day that changed and is not computed yet. */
  #pending = new Map<string, string>();
  #running = false;
  #closed = false;

  constructor(options: {
    desk: KpiDesk;
    scope: RoomScope;
    logger: Logger;
    onRollup: (rollup: KpiRollup) => void;
  }) {
    this.#desk = options.desk;
    this.#scope = options.scope;
    this.#logger = options.logger;
    this.#onRollup = options.onRollup;
  }

  observed(kpi: string, date: string): void {
    const known = this.#pending.get(kpi);
    if (known === undefined || known < date) this.#pending.set(kpi, date);
    void this.#run();
  }

  close(): void {
    this.#closed = true;
    this.#pending.clear();
  }

  async #run(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      while (this.#pending.size > 0 && !this.#closed) {
        const batch = this.#pending;
        this.#pending = new Map();
        for (const [kpi, date] of batch) {
          if (this.#closed) return;
          const rollup = await this.#compute(kpi, date);
          if (rollup && !this.#closed) this.#onRollup(rollup);
        }
      }
    } finally {
      this.#running = false;
    }
  }

  async #compute(kpi: string, date: string): Promise<KpiRollup | undefined> {
    const units = this.#scope.units;
    const query: KpiSeriesRequest = {
      kpi,
      from: date,
      to: date,
      every: '1d',
      ...(units.length === 1 ? { unit: units[0] } : units.length > 1 ? { units } : {}),
    };
    if (this.#scope.sectors.length > 0) {
      // Only the room's sector's figures, as a room operator's own read gets them.
      const definition = this.#desk
        .definitions()
        .find((d) => (d as { code?: unknown }).code === kpi);
      const sector = (definition as { sector?: unknown } | undefined)?.sector;
      if (typeof sector === 'string') query.sector = sector;
    }
    try {
      const series = (await this.#desk.series(query)) as { points?: unknown };
      const points = Array.isArray(series.points) ? series.points : [];
      const point = points.find((p) => (p as { date?: unknown }).date === date) as
        | { value?: unknown }
        | undefined;
      const value = typeof point?.value === 'number' ? point.value : null;
      return { kpi, date, value };
    } catch (err) {
      // The store is down or the KPI went away: the wall's periodic REST read catches up.
      this.#logger.warn({ err, kpi, date }, 'live channel: KPI roll-up failed');
      return undefined;
    }
  }
}
