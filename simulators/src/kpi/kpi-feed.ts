import { EventEmitter } from 'node:events';
import type { Logger } from '@ioc/core';
import { addDays, localDateOf, localMinutesOf } from './calendar.js';
import { type KpiClient, KpiClientError } from './kpi-client.js';
import type { KpiDemoModel, KpiDemoRow } from './kpi-model.js';

/** Most rows per request (the API takes 5,000). */
const BATCH = 5000;
/** The KPI whose presence on a day means the day was pushed whole: its rows go last. */
const MARKER_KPI = 'dossiers_received';
// The one-stop desks' working day, 07:30 to 17:00: flows grow over it.
const OPEN_MIN = 7 * 60 + 30;
const CLOSE_MIN = 17 * 60;

export interface KpiFeedOptions {
  model: KpiDemoModel;
  client: KpiClient;
  logger: Logger;
  /** Days before today pushed at start (only those not yet stored). */
  historyDays: number;
  /** The unit whose subtree tells which days are stored (the tree's root). */
  rootUnit: string;
  /** How often today's figures so far are pushed. Default one minute. */
  liveIntervalMs?: number;
  now?: () => number;
}

export interface KpiHistoryReport {
  /** Days pushed now (the others were already stored). */
  pushed: number;
  skipped: number;
  rows: number;
  ms: number;
}

export interface KpiFeedEvents {
  history: [KpiHistoryReport];
  /** A day's rows were stored (`fraction` < 1: today so far). */
  pushed: [{ date: string; fraction: number; rows: number }];
}

export type KpiFeedState = 'history' | 'live' | 'failed' | 'stopped';

/**
 * The demo KPI feed: an integrator that pushes a year of daily one-stop figures for every
 * commune at start, newest day first, skipping the days already stored (so a restart costs a
 * few requests, and a re-sent day overwrites itself with the same values), then pushes
 * today's figures so far every minute and each finished day once more after midnight. All
 * through the real `POST /api/v1/kpi`; refused requests are retried with backoff.
 */
export class KpiFeed extends EventEmitter<KpiFeedEvents> {
  readonly #options: KpiFeedOptions;
  readonly #now: () => number;
  readonly #abort = new AbortController();
  #state: KpiFeedState = 'history';
  #run: Promise<void> | undefined;
  #lastDay: string | undefined;
  #warnedRejects = false;
  #history: KpiHistoryReport | undefined;
  #error: Error | undefined;

  constructor(options: KpiFeedOptions) {
    super();
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  get state(): KpiFeedState {
    return this.#state;
  }

  /** One line for the health check. */
  describe(): string {
    const units = this.#options.model.units.length;
    if (this.#state === 'history') return `KPI feed: pushing history for ${units} units`;
    if (this.#state === 'live')
      return `KPI feed: live for ${units} units (history: ${this.#history?.pushed ?? 0} days pushed)`;
    if (this.#state === 'failed') return `KPI feed failed: ${this.#error?.message}`;
    return 'KPI feed stopped';
  }

  /** Runs in the background until stop(); failures are logged and retried, never thrown. */
  start(): void {
    this.#run ??= this.#loop().catch((err: Error) => {
      if (this.#abort.signal.aborted) return;
      this.#state = 'failed';
      this.#error = err;
      this.#options.logger.error({ err }, 'KPI feed failed');
    });
  }

  async stop(): Promise<void> {
    this.#state = 'stopped';
    this.#abort.abort();
    await this.#run;
  }

  /**
   * Pushes the days of the history window that are not stored yet, newest first, as many
   * whole days per request as fit in one batch.
   */
  async pushHistory(): Promise<KpiHistoryReport> {
    const started = this.#now();
    const today = localDateOf(started);
    // If midnight passes before the first live tick, that tick pushes this day whole.
    this.#lastDay ??= today;
    const { historyDays, rootUnit } = this.#options;
    const first = addDays(today, -historyDays);
    const yesterday = addDays(today, -1);
    const stored =
      historyDays > 0
        ? await this.#retrying(() =>
            this.#options.client.daysWithData(MARKER_KPI, rootUnit, first, yesterday),
          )
        : new Set<string>();
    let pushed = 0;
    let rows = 0;
    let pending: Array<{ date: string; rows: KpiDemoRow[] }> = [];
    const flush = async () => {
      await this.#send(pending, 1);
      pending = [];
    };
    for (let back = 1; back <= historyDays && !this.#abort.signal.aborted; back++) {
      const date = addDays(today, -back);
      if (stored.has(date)) continue;
      const day = { date, rows: markerLast(this.#options.model.day(date, 1)) };
      const size = pending.reduce((sum, d) => sum + d.rows.length, 0);
      if (pending.length > 0 && size + day.rows.length > BATCH) await flush();
      pending.push(day);
      rows += day.rows.length;
      pushed++;
    }
    if (pending.length > 0 && !this.#abort.signal.aborted) await flush();
    const report = { pushed, skipped: historyDays - pushed, rows, ms: this.#now() - started };
    this.#history = report;
    this.emit('history', report);
    return report;
  }

  /** Pushes one day for every unit (`fraction` of its flows); resolves with the rows sent. */
  async pushDay(date: string, fraction: number): Promise<number> {
    const rows = markerLast(this.#options.model.day(date, fraction));
    await this.#send([{ date, rows }], fraction);
    return rows.length;
  }

  /** Sends whole days in requests of at most BATCH rows, in order, retrying until stored. */
  async #send(days: ReadonlyArray<{ date: string; rows: KpiDemoRow[] }>, fraction: number) {
    const rows = days.flatMap((d) => d.rows);
    for (let start = 0; start < rows.length; start += BATCH) {
      const batch = rows.slice(start, start + BATCH);
      const answer = await this.#retrying(() => this.#options.client.submit(batch));
      if (answer.rejected > 0 && !this.#warnedRejects) {
        this.#warnedRejects = true;
        this.#options.logger.warn(
          {
            dates: days.map((d) => d.date),
            rejected: answer.rejected,
            first: answer.errors.slice(0, 3),
          },
          'the IOC refused some demo KPI rows (do the KPI definitions match the feed?)',
        );
      }
    }
    for (const day of days)
      this.emit('pushed', { date: day.date, fraction, rows: day.rows.length });
  }

  async #loop(): Promise<void> {
    const report = await this.pushHistory();
    this.#options.logger.info(report, 'demo KPI history pushed');
    if (this.#abort.signal.aborted) return;
    this.#state = 'live';
    while (!this.#abort.signal.aborted) {
      await this.#tick();
      await this.#sleep(this.#options.liveIntervalMs ?? 60_000);
    }
  }

  async #tick(): Promise<void> {
    const now = this.#now();
    const today = localDateOf(now);
    // A day that ended since the last tick goes once more, whole.
    if (this.#lastDay !== undefined && this.#lastDay !== today)
      await this.pushDay(this.#lastDay, 1);
    this.#lastDay = today;
    const minutes = localMinutesOf(now);
    const fraction = Math.min(1, Math.max(0, (minutes - OPEN_MIN) / (CLOSE_MIN - OPEN_MIN)));
    await this.pushDay(today, fraction);
  }

  /** Runs `call` until it succeeds, backing off on retryable failures; others are thrown. */
  async #retrying<T>(call: () => Promise<T>): Promise<T> {
    let delay = 1000;
    for (;;) {
      try {
        return await call();
      } catch (err) {
        if (this.#abort.signal.aborted) throw err;
        if (!(err instanceof KpiClientError) || !err.retryable) throw err;
        this.#options.logger.warn({ err: err.message, retryInMs: delay }, 'KPI feed retrying');
        await this.#sleep(delay);
        delay = Math.min(delay * 2, 30_000);
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    const signal = this.#abort.signal;
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done);
    });
  }
}

/** The marker KPI's rows last, so a day whose marker is stored was stored whole. */
function markerLast(rows: KpiDemoRow[]): KpiDemoRow[] {
  return [...rows.filter((r) => r.kpi !== MARKER_KPI), ...rows.filter((r) => r.kpi === MARKER_KPI)];
}
