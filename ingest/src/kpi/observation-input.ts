import type { AdminUnitTree, KpiObservation } from '@ioc/core';
import { isSector } from '@ioc/devices';
import type { KpiCatalogue } from './catalogue.js';
import { isRatio } from './definition.js';
import { EARLIEST_KPI_DATE, isLocalDate, localDateOf, localMidnight } from './local-day.js';

/** Why one row of a KPI batch was refused; the rest of the batch is stored. */
export type KpiRowErrorCode =
  | 'ROW_INVALID'
  | 'KPI_UNKNOWN'
  | 'KPI_DERIVED'
  | 'UNIT_UNKNOWN'
  | 'SECTOR_UNKNOWN'
  | 'DATE_INVALID'
  | 'VALUE_INVALID'
  | 'ROW_DUPLICATE';

export interface KpiRowError {
  /** Position of the row in the submitted `observations` array (0-based). */
  index: number;
  code: KpiRowErrorCode;
  message: string;
}

/** A row that passed every check: what is stored and when (epoch ms). */
export interface CheckedObservation {
  observation: KpiObservation;
  time: number;
}

type Refusal = { code: KpiRowErrorCode; message: string };

/** A `ts` may run this far ahead of the server's clock. */
const CLOCK_SKEW_MS = 5 * 60_000;
const FIELDS = new Set(['kpi', 'unit', 'sector', 'date', 'ts', 'value']);

export interface KpiObservationCheckerOptions {
  catalogue: KpiCatalogue;
  units: AdminUnitTree;
  now?: () => number;
}

/**
 * Checks one submitted row `{kpi, unit, sector?, date | ts, value}` against the KPI
 * definitions and the unit tree. A `date` (local day, `yyyy-MM-dd`) is stored at that day's
 * midnight in Asia/Ho_Chi_Minh, so sending the same day again overwrites it; a `ts` (ISO 8601
 * or epoch ms) is stored as given. The sector defaults to the KPI's own.
 */
export class KpiObservationChecker {
  readonly #catalogue: KpiCatalogue;
  readonly #units: AdminUnitTree;
  readonly #now: () => number;

  constructor({ catalogue, units, now = Date.now }: KpiObservationCheckerOptions) {
    this.#catalogue = catalogue;
    this.#units = units;
    this.#now = now;
  }

  check(raw: unknown): CheckedObservation | Refusal {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      return refuse('ROW_INVALID', 'each observation must be an object {kpi, unit, date, value}');
    }
    const row = raw as Record<string, unknown>;
    const extra = Object.keys(row).find((key) => !FIELDS.has(key));
    if (extra !== undefined) {
      return refuse(
        'ROW_INVALID',
        `unknown field "${extra}"; an observation has kpi, unit, sector, date or ts, value`,
      );
    }
    const { kpi, unit, sector, value } = row;
    if (typeof kpi !== 'string') return refuse('ROW_INVALID', 'kpi must be a KPI code (string)');
    const definition = this.#catalogue.get(kpi);
    if (!definition) {
      return refuse('KPI_UNKNOWN', `"${kpi}" is not a KPI; see GET /api/v1/kpi/definitions`);
    }
    if (isRatio(definition)) {
      return refuse(
        'KPI_DERIVED',
        `"${kpi}" is computed from ${[...new Set([...definition.numerator, ...definition.denominator])].join(', ')}; send those instead`,
      );
    }
    if (typeof unit !== 'string') {
      return refuse('ROW_INVALID', 'unit must be an administrative unit code (string)');
    }
    if (!this.#units.has(unit)) {
      return refuse(
        'UNIT_UNKNOWN',
        `"${unit}" is not an administrative unit of dataset ${this.#units.dataset.id}`,
      );
    }
    let sectorId = definition.sector;
    if (sector !== undefined && sector !== null) {
      if (!isSector(sector)) {
        return refuse('SECTOR_UNKNOWN', `sector ${JSON.stringify(sector)} is not a known sector`);
      }
      sectorId = sector;
    }
    const when = this.#time(row);
    if ('code' in when) return when;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      return refuse('VALUE_INVALID', `value must be a finite number, got ${JSON.stringify(value)}`);
    }
    if (definition.integer && !Number.isInteger(value)) {
      return refuse(
        'VALUE_INVALID',
        `${kpi} counts whole ${definition.unitOfMeasure.en}; got ${value}`,
      );
    }
    if (definition.min !== undefined && value < definition.min) {
      return refuse('VALUE_INVALID', `${kpi} must be at least ${definition.min}; got ${value}`);
    }
    if (definition.max !== undefined && value > definition.max) {
      return refuse('VALUE_INVALID', `${kpi} must be at most ${definition.max}; got ${value}`);
    }
    return {
      observation: {
        kpi,
        unit,
        sector: sectorId,
        date: when.date,
        ts: new Date(when.time).toISOString(),
        value,
      },
      time: when.time,
    };
  }

  #time(row: Record<string, unknown>): { date: string; time: number } | Refusal {
    const { date, ts } = row;
    if ((date === undefined) === (ts === undefined)) {
      return refuse(
        'DATE_INVALID',
        'give either date (local day, yyyy-MM-dd) or ts (ISO 8601 / epoch ms), not both',
      );
    }
    const latest = this.#now() + CLOCK_SKEW_MS;
    if (date !== undefined) {
      if (typeof date !== 'string' || !isLocalDate(date)) {
        return refuse(
          'DATE_INVALID',
          `date must be a day like 2026-03-31; got ${JSON.stringify(date)}`,
        );
      }
      const time = localMidnight(date);
      if (date < EARLIEST_KPI_DATE || time > latest) {
        return refuse(
          'DATE_INVALID',
          `date ${date} is outside ${EARLIEST_KPI_DATE} .. today (${localDateOf(this.#now())})`,
        );
      }
      return { date, time };
    }
    const time =
      typeof ts === 'number'
        ? ts
        : typeof ts === 'string' && /^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:?\d{2})$/.test(ts)
          ? Date.parse(ts)
          : Number.NaN;
    if (!Number.isInteger(time)) {
      return refuse(
        'DATE_INVALID',
        `ts must be ISO 8601 with a time zone or epoch ms; got ${JSON.stringify(ts)}`,
      );
    }
    if (time < localMidnight(EARLIEST_KPI_DATE) || time > latest) {
      return refuse(
        'DATE_INVALID',
        `ts ${new Date(time).toISOString()} is before ${EARLIEST_KPI_DATE} or in the future`,
      );
    }
    return { date: localDateOf(time), time };
  }
}

function refuse(code: KpiRowErrorCode, message: string): Refusal {
  return { code, message };
}
