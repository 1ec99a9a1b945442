import { ApiError } from '@ioc/core';
import {
  addDays,
  addMonths,
  daysBetween,
  isLocalDate,
  localDateOf,
  mondayOf,
  monthsBetween,
} from './local-day.js';

/** Longest period one read may cover, in days (about ten years). */
export const MAX_KPI_PERIOD_DAYS = 3700;
/** Days a read covers when `from` is not given (ending at `to`). */
export const DEFAULT_KPI_PERIOD_DAYS = 30;

const EVERY = /^([1-9]\d{0,2})(d|w|mo)$/;

/**
 * The local days a KPI read covers, cut into buckets of `every`: `Nd` (N days from `from`),
 * `Nw` (N weeks from the Monday on or before `from`) or `Nmo` (N calendar months from the
 * first of `from`'s month). `from` and `to` are widened to whole buckets, so a monthly
 * figure is always the whole month.
 */
export class KpiPeriod {
  readonly from: string;
  /** Last day covered (inclusive). */
  readonly to: string;
  readonly every: string;
  /** First day of each bucket, in order. */
  readonly starts: readonly string[];
  readonly #size: number;
  readonly #unit: 'd' | 'w' | 'mo';

  private constructor(from: string, to: string, every: string) {
    const match = EVERY.exec(every);
    if (!match) {
      throw new ApiError(
        400,
        'INVALID_QUERY',
        `every "${every}" must be a number of days, weeks or months like 1d, 7d, 1w or 1mo`,
      );
    }
    this.every = every;
    this.#size = Number(match[1]);
    this.#unit = match[2] as 'd' | 'w' | 'mo';
    this.from =
      this.#unit === 'w' ? mondayOf(from) : this.#unit === 'mo' ? addMonths(from, 0) : from;
    const last = this.#bucketStart(this.#indexOf(to) + 1);
    this.to = addDays(last, -1);
    const days = daysBetween(this.from, this.to) + 1;
    if (days > MAX_KPI_PERIOD_DAYS) {
      throw new ApiError(
        400,
        'PERIOD_TOO_LONG',
        `${this.from}..${this.to} is ${days} days; at most ${MAX_KPI_PERIOD_DAYS}: shorten from..to`,
      );
    }
    const starts: string[] = [];
    for (let i = 0; ; i++) {
      const start = this.#bucketStart(i);
      if (start > this.to) break;
      starts.push(start);
    }
    this.starts = starts;
  }

  /**
   * From query parameters: days `yyyy-MM-dd` (or ISO 8601 times, taken as their local day),
   * `to` defaulting to today and `from` to 30 days before it. Bad input is an ApiError 400.
   */
  static parse(query: { from?: string; to?: string; every?: string }, now = Date.now()): KpiPeriod {
    const to = query.to === undefined ? localDateOf(now) : dayOf(query.to, 'to');
    const from =
      query.from === undefined
        ? addDays(to, 1 - DEFAULT_KPI_PERIOD_DAYS)
        : dayOf(query.from, 'from');
    if (from > to) throw new ApiError(400, 'INVALID_QUERY', `from (${from}) is after to (${to})`);
    return new KpiPeriod(from, to, query.every ?? '1d');
  }

  /** Index in `starts` of the bucket holding `date` (a day inside the period). */
  bucketOf(date: string): number {
    return this.#indexOf(date);
  }

  #indexOf(date: string): number {
    switch (this.#unit) {
      case 'd':
        return Math.floor(daysBetween(this.from, date) / this.#size);
      case 'w':
        return Math.floor(daysBetween(this.from, date) / (7 * this.#size));
      default:
        return Math.floor(monthsBetween(this.from, date) / this.#size);
    }
  }

  #bucketStart(index: number): string {
    switch (this.#unit) {
      case 'd':
        return addDays(this.from, index * this.#size);
      case 'w':
        return addDays(this.from, index * 7 * this.#size);
      default:
        return addMonths(this.from, index * this.#size);
    }
  }
}

function dayOf(text: string, name: string): string {
  if (isLocalDate(text)) return text;
  const ms = /^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:?\d{2})$/.test(text)
    ? Date.parse(text)
    : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new ApiError(
      400,
      'INVALID_QUERY',
      `${name} must be a day like 2026-03-31 (or an ISO 8601 time with a zone); got "${text}"`,
    );
  }
  return localDateOf(ms);
}
