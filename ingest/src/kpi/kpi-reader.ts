import { type AdminUnit, type AdminUnitTree, ApiError, type InfluxStore } from '@ioc/core';
import { isSector, type LocalizedText } from '@ioc/devices';
import type { KpiCatalogue } from './catalogue.js';
import { isRatio, type KpiDefinition, type StoredKpiDefinition } from './definition.js';
import { type KpiAggregateRow, readKpiAggregates } from './kpi-aggregate.js';
import { type KpiFigure, ratioFigure, storedValue } from './kpi-figure.js';
import { KpiPeriod } from './kpi-period.js';
import { addDays, localDateOf, localMidnight } from './local-day.js';

export interface KpiSeriesQuery {
  kpi: string;
  /** Admin unit whose subtree is rolled up; default the tree's root. */
  unit?: string;
  /**
   * Several admin units rolled up together (the union of their subtrees, each unit counted
   * once); instead of `unit` (an operating room that covers several districts).
   */
  units?: readonly string[];
  /** Only this sector's figures; default all sectors. */
  sector?: string;
  /** First local day (`yyyy-MM-dd`); default 30 days before `to`. */
  from?: string;
  /** Last local day, inclusive; default today. */
  to?: string;
  /** Bucket: `Nd`, `Nw` (from Monday) or `Nmo` (calendar months); default `1d`. */
  every?: string;
}

export type KpiBreakdownQuery = Omit<KpiSeriesQuery, 'every'>;

export interface KpiPoint extends KpiFigure {
  /** First local day of the bucket. */
  date: string;
}

/** What a read says about the KPI itself, so a tile needs no second request. */
export interface KpiHeader {
  kpi: string;
  name: LocalizedText;
  unitOfMeasure: LocalizedText;
  direction: KpiDefinition['direction'];
  target: number | null;
  /** The rolled-up unit, or the rolled-up units joined by commas. */
  unit: string;
  /** The rolled-up units (one unless `units` was asked for). */
  units: string[];
  sector: string | null;
  from: string;
  to: string;
}

export interface KpiSeries extends KpiHeader {
  every: string;
  /** Buckets with data, oldest first. */
  points: KpiPoint[];
  /** The newest bucket with a value. */
  latest: KpiPoint | null;
  /** Whether `latest` meets the target (null without a target, a value or a direction). */
  meetsTarget: boolean | null;
}

export interface KpiBreakdown extends KpiHeader {
  /** The unit's whole subtree (its own figures included). */
  total: KpiFigure | null;
  /**
   * Each child unit rolled up over its own subtree, in data order; null value: no data. With
   * several `units`, the parts are those units themselves.
   */
  children: Array<KpiFigure & { unit: string; name: string }>;
}

export interface KpiReaderOptions {
  influx: InfluxStore;
  catalogue: KpiCatalogue;
  units: AdminUnitTree;
  now?: () => number;
}

/**
 * Reads KPIs rolled up over a unit's subtree: stored KPIs by their `rollup` (sum or mean of
 * the units) after combining over time by their `time` (sum, mean or last), ratio KPIs as
 * the rolled-up numerator over the rolled-up denominator, never an average of ratios.
 */
export class KpiReader {
  readonly #influx: InfluxStore;
  readonly #catalogue: KpiCatalogue;
  readonly #units: AdminUnitTree;
  readonly #now: () => number;

  constructor({ influx, catalogue, units, now = Date.now }: KpiReaderOptions) {
    this.#influx = influx;
    this.#catalogue = catalogue;
    this.#units = units;
    this.#now = now;
  }

  /** The KPI per bucket of `every` over [from, to]. Bad input: ApiError 400 or 404. */
  async series(query: KpiSeriesQuery): Promise<KpiSeries> {
    const { definition, units, sector } = this.#resolve(query);
    const period = KpiPeriod.parse(query, this.#now());
    const rows = await this.#read(definition, units, sector, period.from, period.to, true, false);
    const perBucket = new Map<number, KpiAggregateRow[]>();
    for (const row of rows) {
      const bucket = period.bucketOf(localDateOf(row.time as number));
      const list = perBucket.get(bucket);
      if (list) list.push(row);
      else perBucket.set(bucket, [row]);
    }
    const points: KpiPoint[] = [];
    for (const [index, date] of period.starts.entries()) {
      const figure = this.#figure(definition, perBucket.get(index) ?? []);
      if (figure) points.push({ date, ...figure });
    }
    const latest = points.findLast((p) => p.value !== null) ?? null;
    return {
      ...header(definition, units, sector, period.from, period.to),
      every: period.every,
      points,
      latest,
      meetsTarget: meetsTarget(definition, latest?.value ?? null),
    };
  }

  /** The KPI over [from, to] for each child of the unit (one query grouped by unit). */
  async breakdown(query: KpiBreakdownQuery): Promise<KpiBreakdown> {
    const { definition, units, sector } = this.#resolve(query);
    const period = KpiPeriod.parse({ ...query, every: '1d' }, this.#now());
    const rows = await this.#read(definition, units, sector, period.from, period.to, false, true);
    const childOf = new Map<string, string>();
    const children =
      units.length === 1
        ? this.#units.children(units[0] as string)
        : units.map((code) => this.#units.get(code) as AdminUnit);
    for (const child of children) {
      childOf.set(child.code, child.code);
      for (const below of this.#units.descendants(child.code)) childOf.set(below.code, child.code);
    }
    const perChild = new Map<string, KpiAggregateRow[]>();
    for (const row of rows) {
      const child = childOf.get(row.unit as string);
      if (child === undefined) continue; // the unit's own figures count in the total only
      const list = perChild.get(child);
      if (list) list.push(row);
      else perChild.set(child, [row]);
    }
    return {
      ...header(definition, units, sector, period.from, period.to),
      total: this.#figure(definition, rows) ?? null,
      children: children.map((child) => ({
        unit: child.code,
        name: child.name,
        ...(this.#figure(definition, perChild.get(child.code) ?? []) ?? { value: null }),
      })),
    };
  }

  #resolve(query: KpiBreakdownQuery): {
    definition: KpiDefinition;
    units: string[];
    sector: string | null;
  } {
    const definition = this.#catalogue.get(query.kpi);
    if (!definition) {
      throw new ApiError(
        404,
        'KPI_NOT_FOUND',
        `"${query.kpi}" is not a KPI; see GET /api/v1/kpi/definitions`,
      );
    }
    if (query.unit !== undefined && query.units !== undefined) {
      throw new ApiError(400, 'INVALID_QUERY', 'name either unit or units, not both');
    }
    const asked = query.units ?? [query.unit ?? this.#units.roots()[0]?.code];
    if (asked.length === 0) throw new ApiError(400, 'INVALID_QUERY', 'units must not be empty');
    for (const code of asked) {
      if (code === undefined || !this.#units.has(code)) {
        throw new ApiError(
          404,
          'UNIT_NOT_FOUND',
          `"${code}" is not an administrative unit of dataset ${this.#units.dataset.id}`,
        );
      }
    }
    if (query.sector !== undefined && !isSector(query.sector)) {
      throw new ApiError(400, 'INVALID_QUERY', `sector "${query.sector}" is not a known sector`);
    }
    return { definition, units: this.#outermost(asked as string[]), sector: query.sector ?? null };
  }

  /** The units without those inside another one's subtree, so nothing is counted twice. */
  #outermost(codes: readonly string[]): string[] {
    const unique = [...new Set(codes)];
    return unique.filter(
      (code) => !unique.some((other) => other !== code && this.#units.isWithin(code, other)),
    );
  }

  #read(
    definition: KpiDefinition,
    roots: readonly string[],
    sector: string | null,
    from: string,
    to: string,
    byDay: boolean,
    byUnit: boolean,
  ): Promise<KpiAggregateRow[]> {
    const components = this.#catalogue.components(definition.code);
    return readKpiAggregates(this.#influx, {
      pooled: components.filter((c) => c.time !== 'last').map((c) => c.code),
      last: components.filter((c) => c.time === 'last').map((c) => c.code),
      units: roots.flatMap((unit) => [unit, ...this.#units.descendants(unit).map((u) => u.code)]),
      sector: sector ?? undefined,
      from: localMidnight(from),
      to: localMidnight(addDays(to, 1)),
      byDay,
      byUnit,
    });
  }

  /** The KPI's figure from the rows of one bucket (or one child); undefined when none. */
  #figure(definition: KpiDefinition, rows: readonly KpiAggregateRow[]): KpiFigure | undefined {
    if (!isRatio(definition)) {
      const value = storedValue(definition, rows);
      return value === undefined ? undefined : { value };
    }
    return ratioFigure(
      definition,
      rows,
      (code) => this.#catalogue.get(code) as StoredKpiDefinition,
    );
  }
}

function header(
  definition: KpiDefinition,
  units: readonly string[],
  sector: string | null,
  from: string,
  to: string,
): KpiHeader {
  return {
    kpi: definition.code,
    name: definition.name,
    unitOfMeasure: definition.unitOfMeasure,
    direction: definition.direction,
    target: definition.target,
    unit: units.join(','),
    units: [...units],
    sector,
    from,
    to,
  };
}

function meetsTarget(definition: KpiDefinition, value: number | null): boolean | null {
  if (value === null || definition.target === null) return null;
  if (definition.direction === 'higher') return value >= definition.target;
  if (definition.direction === 'lower') return value <= definition.target;
  return null;
}
