// `npm run bench [-- influx|mqtt ...] [--rounds N]`: measures the IOC's hot paths against
// baselines measured in the same run, prints JSON and a Markdown table, and writes both to
// bench-results/. Progress goes to stderr, results to stdout.
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createLogger, type Logger } from '@ioc/core';
import { benchInfluxWrite, INFLUX_WRITE_DEFAULTS } from './influx-write.bench.js';
import { benchIngest, INGEST_DEFAULTS } from './ingest.bench.js';
import { machineFacts } from './machine.js';
import { benchMqttBroker, MQTT_BROKER_DEFAULTS } from './mqtt-broker.bench.js';
import { type BenchmarkResult, type BenchReport, renderMarkdown, writeReport } from './report.js';
import { benchSfu } from './sfu.bench.js';
import { SFU_ENVIRONMENT_HELP, sfuOptionsFromEnv } from './sfu-options.js';
import { Teardown } from './teardown.js';
import { benchWall, WALL_DEFAULTS } from './wall.bench.js';

interface PartContext {
  rounds: number | undefined;
  logger: Logger;
  teardown: Teardown;
  progress: (line: string) => void;
}

const PARTS: Record<
  string,
  (context: PartContext) => Promise<BenchmarkResult | BenchmarkResult[]>
> = {
  influx: ({ rounds, ...context }) =>
    benchInfluxWrite({ ...INFLUX_WRITE_DEFAULTS, ...context, rounds: rounds ?? 3 }),
  mqtt: ({ rounds, ...context }) =>
    benchMqttBroker({ ...MQTT_BROKER_DEFAULTS, ...context, rounds: rounds ?? 3 }),
  ingest: ({ rounds, ...context }) =>
    benchIngest({
      ...INGEST_DEFAULTS,
      deviceCounts: [...INGEST_DEFAULTS.deviceCounts],
      ...context,
      rounds: rounds ?? 3,
    }),
  wall: ({ rounds, ...context }) =>
    benchWall({ ...WALL_DEFAULTS, ...context, rounds: rounds ?? 3 }),
  sfu: ({ rounds, ...context }) =>
    benchSfu({ ...sfuOptionsFromEnv(process.env), ...context, rounds: rounds ?? 3 }),
};

const USAGE = `usage: npm run bench [-- [${Object.keys(PARTS).join('|')} ...] [--rounds N]]
  influx   InfluxStore.writePoints vs raw POST /write on a managed influxd
  mqtt     MqttBroker (aedes) vs mosquitto, QoS1 fan-in to one subscriber
  ingest   device → broker → ingest → InfluxDB vs broker only, mosquitto and raw InfluxDB
  wall     live channel at 10,000 sensors / 2,000 changes/s: server CPU and bytes for 1 and 10
           walls, and the wall page's main-thread time in Chromium
  sfu      mediasoup: ffmpeg RTP senders, commune endpoints ramped to 80 % of a worker's core;
           consumers per worker vs mediasoup's published ~500, packets/s delivered to sinks
  --rounds measured rounds per side (default 3; the median is reported)
Results: stdout (JSON, then Markdown) and bench-results/.
Environment: BENCH_LOG_LEVEL=debug shows service logs; MOSQUITTO_BIN=<path> picks another
mosquitto (default /usr/sbin/mosquitto). sfu load: ${SFU_ENVIRONMENT_HELP}.`;

const RESULTS_DIR = fileURLToPath(new URL('../../../bench-results/', import.meta.url));

function progress(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

/** A mistake on the command line: reported with the usage text, exit code 2. */
class UsageError extends Error {}

function parseCommandLine(): { parts: string[]; rounds: number | undefined } {
  let parsed: { values: { rounds?: string; help?: boolean }; positionals: string[] };
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: { rounds: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const unknown = positionals.filter((part) => !(part in PARTS));
  if (unknown.length > 0) throw new UsageError(`unknown benchmark "${unknown.join('", "')}"`);
  const rounds = values.rounds === undefined ? undefined : Number(values.rounds);
  if (rounds !== undefined && !(Number.isInteger(rounds) && rounds >= 1 && rounds <= 20)) {
    throw new UsageError(`--rounds must be a whole number from 1 to 20, got "${values.rounds}"`);
  }
  const parts = positionals.length > 0 ? [...new Set(positionals)] : Object.keys(PARTS);
  return { parts, rounds };
}

async function main(): Promise<void> {
  const { parts, rounds } = parseCommandLine();
  const logger = createLogger(process.env.BENCH_LOG_LEVEL ?? 'warn', process.stderr);
  const teardown = new Teardown(logger);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      progress(`${signal}: stopping what the benchmark started`);
      void teardown.run().finally(() => process.exit(130));
    });
  }

  const started = new Date();
  const machine = await machineFacts();
  const results: BenchmarkResult[] = [];
  for (const part of parts) {
    const run = PARTS[part] as (typeof PARTS)[string];
    progress(`${part}: starting`);
    try {
      results.push(...[await run({ rounds, logger, teardown, progress })].flat());
    } finally {
      await teardown.run();
    }
  }
  const finished = new Date();
  const report: BenchReport = {
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    durationS: Math.round((finished.getTime() - started.getTime()) / 100) / 10,
    machine,
    results,
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n\n${renderMarkdown(report)}`);
  const files = await writeReport(RESULTS_DIR, report);
  progress(`wrote ${files.join(' and ')} (and latest.json, latest.md)`);
}

main().catch((err: unknown) => {
  if (err instanceof UsageError) {
    process.stderr.write(`bench: ${err.message}\n${USAGE}\n`);
    process.exit(2);
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`bench: failed: ${message}\n`);
  process.exit(1);
});
