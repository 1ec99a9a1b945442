import type { AdminUnitTree, InfluxStore, KpiObservation } from '@ioc/core';
import type { KpiCatalogue } from './catalogue.js';
import { isRatio, type RatioKpiDefinition, type StoredKpiDefinition } from './definition.js';
import { type KpiAggregateRow, readKpiAggregates } from './kpi-aggregate.js';
import { ratioFigure } from './kpi-figure.js';
import { addDays, localDateOf, localMidnight } from './local-day.js';

export interface RatioDerivationOptions {
  influx: InfluxStore;
  catalogue: KpiCatalogue;
  units: AdminUnitTree;
}

/**
 * Ratio KPIs (on-time rate, overdue share, …) are never stored, so whoever follows
 * `kpi.observed` (the rule engine, walls) would never see them. After a submission this
 * works out, for every ratio whose parts the batch touched, the ratio of each unit that sent
 * parts and of every unit above it: the day's figure rolled up over the unit's subtree, all
 * sectors together, exactly as `GET /api/v1/kpi` computes it (same aggregate read, same
 * arithmetic).
 *
 * Only the newest day per (ratio, unit) in the batch is derived: the rule engine judges a
 * KPI source by its newest day only, and a year of backfill then costs one day's read. All
 * the figures come from one aggregate read per batch (two InfluxQL queries when the touched
 * parts mix flows and stocks), grouped by day and unit, whatever the number of units.
 */
export class RatioDerivation {
  readonly #influx: InfluxStore;
  readonly #catalogue: KpiCatalogue;
  readonly #units: AdminUnitTree;
  /** For each stored KPI, the ratios it is a part of. */
  readonly #ratiosOf = new Map<string, RatioKpiDefinition[]>();

  constructor({ influx, catalogue, units }: RatioDerivationOptions) {
    this.#influx = influx;
    this.#catalogue = catalogue;
    this.#units = units;
    for (const definition of catalogue.all()) {
      if (!isRatio(definition)) continue;
      for (const part of new Set([...definition.numerator, ...definition.denominator])) {
        const list = this.#ratiosOf.get(part);
        if (list) list.push(definition);
        else this.#ratiosOf.set(part, [definition]);
      }
    }
  }

  /**
   * The ratio observations that the stored ones change (sector null: all sectors; `ts` the
   * day's local midnight), in the order ratio, then unit nearest the data first. Empty, with
   * no read, when the batch touches no ratio's part. A ratio with nothing to divide (no
   * denominator that day) gives no observation. Throws when InfluxDB cannot be read.
   */
  async derive(stored: readonly KpiObservation[]): Promise<KpiObservation[]> {
    // Newest day per ratio and unit, for the units that sent parts and every unit above them.
    const days = new Map<string, Map<string, string>>();
    for (const observation of stored) {
      const ratios = this.#ratiosOf.get(observation.kpi);
      if (!ratios) continue;
      const chain = [
        observation.unit,
        ...this.#units.ancestors(observation.unit).map((u) => u.code),
      ];
      for (const ratio of ratios) {
        let perUnit = days.get(ratio.code);
        if (!perUnit) {
          perUnit = new Map();
          days.set(ratio.code, perUnit);
        }
        for (const unit of chain) {
          const seen = perUnit.get(unit);
          if (seen === undefined || observation.date > seen) perUnit.set(unit, observation.date);
        }
      }
    }
    if (days.size === 0) return [];

    const rows = await this.#read(days);
    // Each row counts for its own unit and every unit above it, on the day derived for them.
    const rowsOf = new Map<string, KpiAggregateRow[]>();
    for (const row of rows) {
      if (row.unit === null || row.time === null || !this.#units.has(row.unit)) continue;
      const date = localDateOf(row.time);
      const chain = [row.unit, ...this.#units.ancestors(row.unit).map((u) => u.code)];
      for (const ratio of this.#ratiosOf.get(row.kpi) ?? []) {
        const perUnit = days.get(ratio.code);
        if (!perUnit) continue;
        for (const unit of chain) {
          if (perUnit.get(unit) !== date) continue;
          const key = `${ratio.code}\u0000${unit}`;
          const list = rowsOf.get(key);
          if (list) list.push(row);
          else rowsOf.set(key, [row]);
        }
      }
    }

    const derived: KpiObservation[] = [];
    const definitionOf = (code: string) => this.#catalogue.get(code) as StoredKpiDefinition;
    for (const [code, perUnit] of days) {
      const ratio = this.#catalogue.get(code) as RatioKpiDefinition;
      for (const [unit, date] of perUnit) {
        const figure = ratioFigure(ratio, rowsOf.get(`${code}\u0000${unit}`) ?? [], definitionOf);
        if (figure?.value === null || figure?.value === undefined) continue;
        derived.push({
          kpi: code,
          unit,
          sector: null,
          date,
          ts: new Date(localMidnight(date)).toISOString(),
          value: figure.value,
        });
      }
    }
    return derived;
  }

  /**
   * The parts of the touched ratios, per day and unit, over the trees the units belong to and
   * from the oldest to the newest derived day (one day for a feed that sends whole days).
   */
  #read(days: ReadonlyMap<string, ReadonlyMap<string, string>>): Promise<KpiAggregateRow[]> {
    const parts = new Map<string, StoredKpiDefinition>();
    const roots = new Set<string>();
    let first: string | undefined;
    let last: string | undefined;
    for (const [code, perUnit] of days) {
      for (const part of this.#catalogue.components(code)) parts.set(part.code, part);
      for (const [unit, date] of perUnit) {
        if (this.#units.get(unit)?.parentCode === null) roots.add(unit);
        if (first === undefined || date < first) first = date;
        if (last === undefined || date > last) last = date;
      }
    }
    const units = [...roots].flatMap((root) => [
      root,
      ...this.#units.descendants(root).map((u) => u.code),
    ]);
    const stored = [...parts.values()];
    return readKpiAggregates(this.#influx, {
      pooled: stored.filter((p) => p.time !== 'last').map((p) => p.code),
      last: stored.filter((p) => p.time === 'last').map((p) => p.code),
      units,
      from: localMidnight(first as string),
      to: localMidnight(addDays(last as string, 1)),
      byDay: true,
      byUnit: true,
    });
  }
}
