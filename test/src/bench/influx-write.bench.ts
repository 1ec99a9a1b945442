import { InfluxStore, type Logger } from '@ioc/core';
import { startBenchInfluxd, writeRawBatches } from './bench-influxd.js';
import { type BenchmarkResult, measurement, median, ratioOf } from './report.js';
import type { Teardown } from './teardown.js';
import { type Reading, telemetryReadings, toPoint } from './telemetry-load.js';

export interface InfluxWriteBenchOptions {
  /** Points written by each side in each round. */
  points: number;
  devices: number;
  batchSize: number;
  rounds: number;
  logger: Logger;
  teardown: Teardown;
  progress: (line: string) => void;
}

export const INFLUX_WRITE_DEFAULTS = {
  points: 200_000,
  devices: 1_000,
  batchSize: 5_000,
  rounds: 3,
} as const;

interface Timing {
  /** The timed writes. */
  seconds: number;
  /** Untimed preparation (the baseline's serialising), for the notes. */
  prepareSeconds: number;
}

/** A side of the comparison: writes the readings into `store`'s (fresh) database. */
type Writer = (
  store: InfluxStore,
  readings: readonly Reading[],
  batchSize: number,
) => Promise<Timing>;

/**
 * InfluxStore.writePoints (official client, /write compat transport, Points built from
 * readings) against the raw ceiling: the same line protocol, serialised beforehand, POSTed
 * to /write with fetch. Same batches, one request at a time, each side into a fresh
 * database of a managed influxd; the figure is points counted back with `count(*)`.
 */
export async function benchInfluxWrite(options: InfluxWriteBenchOptions): Promise<BenchmarkResult> {
  const { points, devices, batchSize, rounds, logger, teardown, progress } = options;
  const supervisor = await startBenchInfluxd('influx', { logger, teardown, progress });

  const readings = telemetryReadings(points, devices);
  const serialiseSeconds: number[] = [];
  const sides = {
    store: { label: 'InfluxStore.writePoints', write: writeThroughStore, rounds: [] as number[] },
    raw: {
      label: 'raw POST /write (fetch, pre-serialised)',
      write: writeRaw,
      rounds: [] as number[],
    },
  };
  // Warm up both paths (JIT, connections, influxd's first shard) before anything counts.
  const warmUp = readings.slice(0, Math.min(readings.length, batchSize * 4));
  for (const side of Object.values(sides)) {
    await runSide(supervisor.url, 'bench_warmup', side.write, warmUp, batchSize, logger);
  }
  for (let round = 1; round <= rounds; round++) {
    // Alternate which side goes first, so neither always meets a busier influxd.
    const order = round % 2 === 1 ? (['store', 'raw'] as const) : (['raw', 'store'] as const);
    for (const name of order) {
      const side = sides[name];
      const { stored, seconds, prepareSeconds } = await runSide(
        supervisor.url,
        `bench_${name}_${round}`,
        side.write,
        readings,
        batchSize,
        logger,
      );
      if (stored !== readings.length) {
        throw new Error(
          `${side.label} stored ${stored} of ${readings.length} points in round ${round}; the figure would not be points stored`,
        );
      }
      const rate = stored / seconds;
      side.rounds.push(rate);
      if (name === 'raw') serialiseSeconds.push(prepareSeconds);
      progress(`influx: round ${round}/${rounds} ${name}: ${Math.round(rate)} points/s`);
    }
  }

  const subject = measurement(sides.store.label, sides.store.rounds);
  const baseline = measurement(sides.raw.label, sides.raw.rounds);
  return {
    id: 'influx-write',
    title: `InfluxDB writes (${points.toLocaleString('en-US')} points)`,
    unit: 'points/s',
    parameters: { points, devices, batchSize, rounds },
    subject,
    baseline,
    ratio: ratioOf(subject, baseline),
    notes: [
      `influxd started by InfluxSupervisor (temp data dir, free loopback ports); measurement telemetry, tags device/type/unit/sector, 3 fields, ms timestamps, ${devices.toLocaleString('en-US')} devices.`,
      `Batches of ${batchSize.toLocaleString('en-US')} points, one request at a time; each side writes into its own fresh database each round, ${rounds} rounds alternating which side goes first.`,
      'IOC: Points built from the readings inside the timed loop, then InfluxStore.writePoints (@influxdata/influxdb-client with the /write compatibility transport, no gzip on loopback).',
      'Baseline: the identical line protocol serialised before timing, POSTed to /write?precision=ms with fetch: the ceiling of one writer.',
      'Figures are points counted back with SELECT count(*) after each write, over the time of the writes.',
      `Building the same Points and serialising them with Point.toLineProtocol (the baseline's untimed preparation) took a median of ${median(serialiseSeconds).toFixed(2)} s per round: the client-side work the IOC path pays on top of the baseline.`,
    ],
  };
}

async function runSide(
  url: string,
  database: string,
  write: Writer,
  readings: readonly Reading[],
  batchSize: number,
  logger: Logger,
): Promise<Timing & { stored: number }> {
  // Connecting creates the database; it is not part of the timed writes.
  const store = await InfluxStore.connect({ url, database, logger });
  try {
    const timing = await write(store, readings, batchSize);
    const stored = await countPoints(store);
    await store.query(`DROP DATABASE "${database}"`);
    return { ...timing, stored };
  } finally {
    await store.close();
  }
}

const writeThroughStore: Writer = async (store, readings, batchSize) => {
  const started = performance.now();
  for (let start = 0; start < readings.length; start += batchSize) {
    await store.writePoints(readings.slice(start, start + batchSize).map(toPoint));
  }
  return { seconds: (performance.now() - started) / 1000, prepareSeconds: 0 };
};

const writeRaw: Writer = async (store, readings, batchSize) => {
  const preparing = performance.now();
  const bodies: string[] = [];
  for (let start = 0; start < readings.length; start += batchSize) {
    const batch = readings.slice(start, start + batchSize);
    bodies.push(batch.map((reading) => toPoint(reading).toLineProtocol()).join('\n'));
  }
  // The serialising above is not part of the baseline: it is the ceiling of the server.
  const prepareSeconds = (performance.now() - preparing) / 1000;
  const seconds = await writeRawBatches(store.url, store.database, bodies);
  return { seconds, prepareSeconds };
};

/** Points stored in `telemetry`: count(*) gives one column per field; all are on every point. */
async function countPoints(store: InfluxStore): Promise<number> {
  const [series] = await store.query('SELECT count(*) FROM telemetry');
  const counts = (series?.values[0] ?? []).slice(1).map(Number);
  return counts.length === 0 ? 0 : Math.min(...counts);
}
