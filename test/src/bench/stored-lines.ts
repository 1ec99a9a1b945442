import type { InfluxStore } from '@ioc/core';

/** Wall-clock ms with sub-ms resolution, comparable with the client threads' clocks. */
function now(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Watches what reaches InfluxDB through ingest's spool: `writer` is the InfluxStore with
 * `writeLines` wrapped, so every line InfluxDB confirmed is counted, and its device
 * timestamp (the publish time, see mqtt-load.ts) gives the publish→stored latency.
 */
export class StoredLines {
  readonly writer: InfluxStore;
  #count = 0;
  #maxTs = 0;
  #latencies: { ts: number; ms: number }[] | undefined;
  #waiters: { count: number; resolve: (at: number) => void }[] = [];

  constructor(private readonly store: InfluxStore) {
    const writeLines = async (lines: readonly string[]) => {
      await store.writeLines(lines);
      this.#confirmed(lines);
    };
    this.writer = new Proxy(store, {
      get(target, property) {
        if (property === 'writeLines') return writeLines;
        const value = Reflect.get(target, property, target);
        // Methods use private fields: call them on the real store.
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  }

  /** Lines InfluxDB confirmed so far. */
  get count(): number {
    return this.#count;
  }

  /** Resolves with the wall-clock time at which `count` lines had been confirmed. */
  waitFor(count: number, timeoutMs = 180_000): Promise<number> {
    if (this.#count >= count) return Promise.resolve(now());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new Error(
            `InfluxDB confirmed ${this.#count} lines, expected ${count} (waited ${timeoutMs} ms)`,
          ),
        );
      }, timeoutMs);
      this.#waiters.push({
        count,
        resolve: (at) => {
          clearTimeout(timer);
          resolve(at);
        },
      });
    });
  }

  /**
   * Waits until the clock has passed every device timestamp stored so far, so the next run's
   * timestamps (never behind the clock) cannot overwrite a stored point of the same device.
   */
  async waitForClock(): Promise<void> {
    const ahead = this.#maxTs - Date.now() + 1;
    if (ahead > 0) await new Promise((resolve) => setTimeout(resolve, ahead));
  }

  /** Starts keeping each confirmed line's latency. */
  recordLatencies(): void {
    this.#latencies = [];
  }

  /** The latencies (ms) of lines whose device time is at or after `fromTs`; stops keeping them. */
  takeLatencies(fromTs: number): number[] {
    const kept = this.#latencies ?? [];
    this.#latencies = undefined;
    return kept.filter((entry) => entry.ts >= fromTs).map((entry) => entry.ms);
  }

  /** Points of the bench's measurement that InfluxDB holds, counted back. */
  async countInInflux(): Promise<number> {
    const [series] = await this.store.query('SELECT count(pm25) FROM telemetry');
    return Number(series?.values[0]?.[1] ?? 0);
  }

  #confirmed(lines: readonly string[]): void {
    const at = now();
    for (const line of lines) {
      const ts = Number(line.slice(line.lastIndexOf(' ') + 1));
      if (ts > this.#maxTs) this.#maxTs = ts;
      this.#latencies?.push({ ts, ms: at - ts });
    }
    this.#count += lines.length;
    const ready = this.#waiters.filter((waiter) => waiter.count <= this.#count);
    this.#waiters = this.#waiters.filter((waiter) => waiter.count > this.#count);
    for (const waiter of ready) waiter.resolve(at);
  }
}
