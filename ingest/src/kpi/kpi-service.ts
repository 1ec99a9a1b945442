import {
  type AdminUnitTree,
  ApiError,
  errorMessage,
  type InfluxStore,
  type KpiObservation,
  type LiveBus,
  type Logger,
} from '@ioc/core';
import { Counter, type Registry } from 'prom-client';
import type { KpiCatalogue } from './catalogue.js';
import type { KpiDefinition } from './definition.js';
import { kpiLine } from './kpi-point.js';
import {
  type KpiBreakdown,
  type KpiBreakdownQuery,
  KpiReader,
  type KpiSeries,
  type KpiSeriesQuery,
} from './kpi-reader.js';
import { KpiObservationChecker, type KpiRowError } from './observation-input.js';
import { RatioDerivation } from './ratio-derivation.js';

/** Most observations one submission may carry (one InfluxDB write request). */
export const MAX_KPI_BATCH = 5000;

/** The answer to a submission: good rows are stored, each bad row is named. */
export interface KpiSubmitReport {
  accepted: number;
  rejected: number;
  errors: KpiRowError[];
  /** The distinct KPI codes and local days stored, for the audit log. */
  kpis: string[];
  dates: { first: string; last: string } | null;
}

export interface KpiServiceOptions {
  influx: InfluxStore;
  catalogue: KpiCatalogue;
  units: AdminUnitTree;
  bus: LiveBus;
  logger: Logger;
  metrics: Registry;
  now?: () => number;
}

/**
 * Public-service KPIs: takes batches of observations from integrators (checked row by row,
 * written to InfluxDB in one request, announced on the bus as `kpi.observed`) and reads them
 * back rolled up over the unit tree. The ratios a batch changes are announced too, in a
 * second `kpi.observed` event right after the stored rows' (see RatioDerivation).
 */
export class KpiService {
  readonly catalogue: KpiCatalogue;
  readonly maxBatch = MAX_KPI_BATCH;
  readonly #influx: InfluxStore;
  readonly #checker: KpiObservationChecker;
  readonly #reader: KpiReader;
  readonly #ratios: RatioDerivation;
  /** Derivations run one after another, so a later batch's figures are announced last. */
  #deriving: Promise<void> = Promise.resolve();
  readonly #bus: LiveBus;
  readonly #logger: Logger;
  readonly #accepted: Counter;
  readonly #rejected: Counter<'code'>;

  constructor(options: KpiServiceOptions) {
    this.catalogue = options.catalogue;
    this.#influx = options.influx;
    this.#checker = new KpiObservationChecker(options);
    this.#reader = new KpiReader(options);
    this.#ratios = new RatioDerivation(options);
    this.#bus = options.bus;
    this.#logger = options.logger;
    this.#accepted = new Counter({
      name: 'ioc_kpi_observations_accepted_total',
      help: 'KPI observations stored',
      registers: [options.metrics],
    });
    this.#rejected = new Counter({
      name: 'ioc_kpi_observations_rejected_total',
      help: 'KPI observations refused, by reason',
      labelNames: ['code'],
      registers: [options.metrics],
    });
  }

  definitions(): KpiDefinition[] {
    return this.catalogue.all();
  }

  /**
   * Stores the good rows of a batch and reports the bad ones. Sending the same rows again
   * overwrites the same points (same tags, same timestamp). Throws ApiError 413 for a batch
   * over MAX_KPI_BATCH and 503 when InfluxDB did not take it (then nothing was stored).
   * Resolves once the stored rows and the ratios they change have been announced.
   */
  async submit(rows: readonly unknown[]): Promise<KpiSubmitReport> {
    if (rows.length > MAX_KPI_BATCH) {
      throw new ApiError(
        413,
        'KPI_BATCH_TOO_LARGE',
        `${rows.length} observations in one request; send at most ${MAX_KPI_BATCH} per request`,
      );
    }
    const errors: KpiRowError[] = [];
    const observations: KpiObservation[] = [];
    const lines: string[] = [];
    const firstIndex = new Map<string, number>();
    for (const [index, raw] of rows.entries()) {
      const checked = this.#checker.check(raw);
      if ('code' in checked) {
        errors.push({ index, ...checked });
        continue;
      }
      const { observation, time } = checked;
      const key = `${observation.kpi}\u0000${observation.unit}\u0000${observation.sector}\u0000${time}`;
      const first = firstIndex.get(key);
      if (first !== undefined) {
        errors.push({
          index,
          code: 'ROW_DUPLICATE',
          message: `repeats row ${first} (same kpi, unit, sector and ${observation.date})`,
        });
        continue;
      }
      firstIndex.set(key, index);
      observations.push(observation);
      const target = this.catalogue.get(observation.kpi)?.target ?? null;
      lines.push(kpiLine(observation, time, target));
    }
    if (lines.length > 0) {
      try {
        await this.#influx.writeLines(lines);
      } catch (err) {
        this.#logger.warn({ err: errorMessage(err), rows: lines.length }, 'KPI batch not stored');
        throw new ApiError(
          503,
          'KPI_STORE_UNAVAILABLE',
          `InfluxDB did not store the batch (${errorMessage(err)}); nothing was stored, send it again`,
        );
      }
      this.#accepted.inc(observations.length);
      this.#bus.publish('kpi.observed', { observations });
      await this.#announceRatios(observations);
    }
    for (const error of errors) this.#rejected.inc({ code: error.code });
    const dates = observations.map((o) => o.date).sort();
    return {
      accepted: observations.length,
      rejected: errors.length,
      errors,
      kpis: [...new Set(observations.map((o) => o.kpi))].sort(),
      dates: dates.length > 0 ? { first: dates[0] as string, last: dates.at(-1) as string } : null,
    };
  }

  /**
   * Publishes the ratios the stored rows change (sector null, all sectors). The rows are
   * stored whatever happens here: a failed read is logged and the submission still succeeds.
   */
  #announceRatios(stored: readonly KpiObservation[]): Promise<void> {
    const run = this.#deriving.then(async () => {
      try {
        const derived = await this.#ratios.derive(stored);
        if (derived.length > 0) this.#bus.publish('kpi.observed', { observations: derived });
      } catch (err) {
        this.#logger.warn(
          { err: errorMessage(err), rows: stored.length },
          'KPI ratios not derived after a submission (the rows are stored)',
        );
      }
    });
    this.#deriving = run;
    return run;
  }

  series(query: KpiSeriesQuery): Promise<KpiSeries> {
    return this.#reader.series(query);
  }

  breakdown(query: KpiBreakdownQuery): Promise<KpiBreakdown> {
    return this.#reader.breakdown(query);
  }
}
