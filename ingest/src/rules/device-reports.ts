import type { SourceState } from './compiled-rule.js';
import { RateWindow } from './rate-window.js';

/**
 * What the engine remembers of one device's reports, shared by all rules: when it last
 * reported (each metric, and at all), its rate windows, and the missing-data states that
 * watch it. Missing-data and rate rules then cost a report almost nothing per rule.
 */
export class DeviceReports {
  type: string;
  unit: string;
  sector: string;
  /** Engine time of the last report of any metric. */
  lastAny: number | undefined;
  readonly lastByMetric = new Map<string, number>();
  readonly #windows = new Map<string, RateWindow>();
  /** Missing-data states of this device, and those of them that are firing. */
  readonly watches = new Set<SourceState>();
  readonly silent = new Set<SourceState>();
  /** The missing-data rules that match it have been given their states. */
  registered = false;
  /** Reported since its watches' report times were last written to SQL. */
  reportedSinceFlush = false;

  constructor(type: string, unit: string, sector: string) {
    this.type = type;
    this.unit = unit;
    this.sector = sector;
  }

  /** The last report of `metric` (of any metric when undefined), engine time. */
  lastReport(metric: string | undefined): number | undefined {
    return metric === undefined ? this.lastAny : this.lastByMetric.get(metric);
  }

  /** The window rules of `key` read, made on first use. */
  window(key: string, windowS: number, rise: boolean): RateWindow {
    let window = this.#windows.get(key);
    if (!window) {
      window = new RateWindow(windowS, rise);
      this.#windows.set(key, window);
    }
    return window;
  }
}
