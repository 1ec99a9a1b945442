import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as broker from '@ioc/broker';
import {
  type AppConfig,
  HealthRegistry,
  InfluxStore,
  LiveBus,
  type Logger,
  loadConfig,
  loadUnitTree,
  openSqlStore,
  randomSecret,
  safeEqual,
} from '@ioc/core';
import { DeviceRegistry, loadDeviceCatalogue } from '@ioc/devices';
import * as ingest from '@ioc/ingest';
import { syntheticRules } from '@ioc/ingest';
import { Registry } from 'prom-client';
import { freePort } from '../free-port.js';
import { startBenchInfluxd, writeRawBatches } from './bench-influxd.js';
import { startMosquittoBaseline } from './mosquitto.js';
import { type MqttLoad, type MqttLoadResult, type MqttLogin, runMqttLoad } from './mqtt-load.js';
import { type BenchmarkResult, measurement, median, ratioOf } from './report.js';
import { StoredLines } from './stored-lines.js';
import type { Teardown } from './teardown.js';
import { mainThreadCpuSeconds, processCpuSeconds, residentBytes } from './thread-cpu.js';

export interface IngestBenchOptions {
  /** Device counts to measure, one publisher (MQTT connection) each. */
  deviceCounts: number[];
  /** QoS1 messages per round, spread over the devices. */
  messages: number;
  /** Unacknowledged publishes over all devices (each device keeps its share in flight). */
  inFlight: number;
  /** Length of the latency run at half the measured maximum rate. */
  latencySeconds: number;
  /** Alert rules active in the rules-on runs (first device count only); 0: skip them. */
  rules: number;
  rounds: number;
  logger: Logger;
  teardown: Teardown;
  progress: (line: string) => void;
}

export const INGEST_DEFAULTS = {
  deviceCounts: [50, 500],
  messages: 40_000,
  inFlight: 2_500,
  latencySeconds: 10,
  rules: 1_000,
  rounds: 3,
} as const;

const DEVICE_TYPE = 'air-quality';
const VALUES_PER_MESSAGE = 5;
const SUBSCRIBER = 'svc:bench';
/** Latencies of the first second of a paced run are warm-up, not steady state. */
const LATENCY_WARMUP_MS = 1_000;

interface SideRounds {
  rates: number[];
  results: MqttLoadResult[];
  /** Main-thread (aedes, and ingest where it runs) CPU seconds per 1,000 messages. */
  cpuPerThousand: number[];
}

function newSide(): SideRounds {
  return { rates: [], results: [], cpuPerThousand: [] };
}

/**
 * Device → broker → ingest → InfluxDB, the way `ioc start` composes it (registry logins,
 * topic ACL, validation against the device type, the durable spool, batched writes), with
 * air-quality devices publishing five metrics per QoS1 message over TCP. Figures: messages
 * and values stored per second (first publish to InfluxDB's confirmation of the last
 * point), publish→stored latency at half that rate, memory and CPU. Baselines in the same
 * run: the same broker delivering the same load to one plain subscriber (no ingest),
 * mosquitto on that load, and the raw InfluxDB ceiling for the same lines.
 */
export async function benchIngest(options: IngestBenchOptions): Promise<BenchmarkResult[]> {
  const { deviceCounts, messages, inFlight, latencySeconds, rounds } = options;
  const { logger, teardown, progress } = options;
  const maxDevices = Math.max(...deviceCounts);

  const influxd = await startBenchInfluxd('ingest', options);
  const dir = await mkdtemp(join(tmpdir(), 'ioc-bench-ingest-'));
  teardown.defer('remove ingest data', () => rm(dir, { recursive: true, force: true }));
  const configFor = async (dataDir: string): Promise<AppConfig> =>
    loadConfig({
      env: {},
      cwd: dir,
      overrides: {
        dataDir,
        // Policy, not capacity: the per-device rate limit (20/s) is off for this load.
        mqtt: { host: '127.0.0.1', port: await freePort(), deviceRatePerSecond: 0 },
      },
    });
  const pipelineConfig = await configFor(dir);
  const brokerOnlyConfig = await configFor(join(dir, 'broker-only'));

  const sql = await openSqlStore(pipelineConfig, logger);
  teardown.defer('close SQL', () => sql.close());
  const units = await loadUnitTree(pipelineConfig.units.dataset);
  const catalogue = await loadDeviceCatalogue();
  const devices = new DeviceRegistry({ sql, catalogue, units, logger });
  progress(`ingest: provisioning ${maxDevices} ${DEVICE_TYPE} devices`);
  const logins = await provisionDevices(devices, units.all(), maxDevices);

  const influx = await InfluxStore.connect({
    url: influxd.url,
    database: pipelineConfig.influx.database,
    logger,
  });
  teardown.defer('close InfluxDB client', () => influx.close());
  const stored = new StoredLines(influx);
  const bus = new LiveBus();
  const deps = () => ({ logger, health: new HealthRegistry(), metrics: new Registry(), bus });
  const ingestService = await ingest.start(pipelineConfig, {
    ...deps(),
    influx: stored.writer,
    sql,
    units,
    devices,
    publish: () => {},
  });
  teardown.defer('stop ingest', () => ingestService.stop());
  const servicePassword = randomSecret();
  const authenticate: broker.MqttAuthenticator = async (username, password) => {
    if (username === SUBSCRIBER) {
      return safeEqual(password, servicePassword) ? { kind: 'service', name: 'bench' } : undefined;
    }
    const login = await devices.checkLogin(username, password);
    return login.status === 'ok' ? { kind: 'device', deviceId: login.device.id } : undefined;
  };
  const pipelineBroker = await broker.start(pipelineConfig, {
    ...deps(),
    authenticate,
    telemetrySink: ingestService.acceptTelemetry,
  });
  teardown.defer('stop the pipeline broker', () => pipelineBroker.stop());
  const plainBroker = await broker.start(brokerOnlyConfig, { ...deps(), authenticate });
  teardown.defer('stop the broker-only broker', () => plainBroker.stop());
  const urlOf = (running: broker.RunningBroker) => `mqtt://127.0.0.1:${running.broker.port}`;

  const notes = [
    `${DEVICE_TYPE} devices provisioned in the registry (PGlite), each logging in with its own id and secret; MqttBroker with the topic ACL and payload limits, telemetry handed to ingest (parse, validation against the device type, enrichment with unit/sector/type, durable spool with fsync) before the PUBACK, and the spool writing batches of up to 5,000 lines to a managed influxd 1.x.`,
    `Each message: JSON {"ts", "values"} with ${VALUES_PER_MESSAGE} metrics (pm25, pm10, no2, o3, aqi), QoS1 over TCP; device timestamps unique per device. ${messages.toLocaleString('en-US')} messages per round, ${inFlight.toLocaleString('en-US')} unacknowledged over all devices; mqtt.js clients in a worker thread.`,
    'Pipeline figure: messages whose points InfluxDB confirmed / time from the first publish to the confirmation of the last. Broker-only and mosquitto figures: messages delivered to one QoS1 subscriber on ioc/v1/devices/+/telemetry / time from the first publish to the last delivery (the same load, the same MqttBroker code and logins, no ingest).',
  ];
  const mosquitto = await startMosquittoBaseline(options, messages * 10, notes);
  const results: BenchmarkResult[] = [];
  const pipelineValueRates: number[] = [];

  /** The same pipeline rounds with `options.rules` rules evaluated on every point. */
  const withRules = async (
    count: number,
    total: number,
    without: ReturnType<typeof measurement>,
    cpuWithout: number[],
    runPipeline: (perDevice: number) => Promise<{ result: MqttLoadResult; lastStoredAt: number }>,
  ): Promise<BenchmarkResult> => {
    const inputs = syntheticRules(options.rules, { catalogue, units });
    progress(`ingest: ${count} devices: creating ${inputs.length} rules`);
    const ids: string[] = [];
    for (const input of inputs) ids.push((await ingestService.rules.create(input, 'bench')).id);
    const alertsBefore = (await ingestService.alerts.list({ limit: 1 })).total;
    const rates: number[] = [];
    const cpuPerThousand: number[] = [];
    for (let round = 1; round <= rounds; round++) {
      const cpuBefore = await mainThreadCpuSeconds(process.pid);
      const run = await runPipeline(Math.round(total / count));
      const cpuAfter = await mainThreadCpuSeconds(process.pid);
      if (cpuBefore !== undefined && cpuAfter !== undefined) {
        cpuPerThousand.push(((cpuAfter - cpuBefore) * 1000) / total);
      }
      const rate = total / ((run.lastStoredAt - run.result.firstPublishAt) / 1000);
      rates.push(rate);
      progress(
        `ingest: ${count} devices, round ${round}/${rounds}, ${inputs.length} rules: ${Math.round(rate)} msgs/s`,
      );
    }
    const engineRules = ingestService.ruleEngine.size;
    await ingestService.ruleEngine.idle();
    const alertsRaised = (await ingestService.alerts.list({ limit: 1 })).total - alertsBefore;
    for (const id of ids) await ingestService.rules.remove(id, 'bench');
    const subject = measurement(
      `IOC pipeline, ${inputs.length.toLocaleString('en-US')} rules active`,
      rates,
    );
    return {
      id: `ingest-rules-${count}`,
      title: `Ingest, ${count} devices: ${inputs.length.toLocaleString('en-US')} alert rules vs none`,
      unit: 'msgs/s',
      parameters: { devices: count, rules: inputs.length, messages: total, rounds },
      subject,
      baseline: { ...without, label: 'the same pipeline, no rules (rounds above)' },
      ratio: ratioOf(subject, without),
      notes: [
        `syntheticRules(${inputs.length}) from ingest (thresholds with a "for" near the top of each metric's range, rates of change, missing data; scoped by type, type in a unit subtree, sector or the whole province), created through the RuleStore; the engine held ${engineRules} rules during the runs, which came after the no-rule rounds. ${alertsRaised} alerts were raised meanwhile.`,
        `Main-thread CPU per 1,000 messages: ${cpu(cpuPerThousand)} with the rules, ${cpu(cpuWithout)} without.`,
      ],
    };
  };

  for (const count of deviceCounts) {
    const window = Math.max(1, Math.round(inFlight / count));
    const perDevice = Math.max(1, Math.round(messages / count));
    const total = perDevice * count;
    const load = (url: string, subscriber: boolean, devicesUsed = logins.slice(0, count)) =>
      ({
        url,
        devices: devicesUsed,
        subscriber: subscriber ? { username: SUBSCRIBER, password: servicePassword } : undefined,
        messagesPerPublisher: perDevice,
        payload: { kind: 'air-quality' },
        window,
        idleTimeoutMs: 2_000,
      }) satisfies MqttLoad;
    const sides = { pipeline: newSide(), brokerOnly: newSide(), mosquitto: newSide() };
    const rssBefore = process.memoryUsage.rss();
    const influxRssBefore = (await residentBytes(influxd.pid)) ?? 0;
    let peakRss = 0;
    let peakInfluxRss = 0;
    const influxCpuPerThousand: number[] = [];

    const runPipeline = async (perDeviceMessages: number, ratePerSecond?: number) => {
      await stored.waitForClock();
      const expected = stored.count + perDeviceMessages * count;
      const sampler = setInterval(() => {
        peakRss = Math.max(peakRss, process.memoryUsage.rss());
        void residentBytes(influxd.pid).then((rss) => {
          peakInfluxRss = Math.max(peakInfluxRss, rss ?? 0);
        });
      }, 200);
      try {
        const result = await runMqttLoad({
          ...load(urlOf(pipelineBroker), false),
          messagesPerPublisher: perDeviceMessages,
          ratePerSecond,
        });
        const lastStoredAt = await stored.waitFor(expected);
        return { result, lastStoredAt };
      } finally {
        clearInterval(sampler);
      }
    };

    // Warm-up: logins (each device's first costs a password hash), JIT, the first shard.
    progress(`ingest: ${count} devices: warming up`);
    await runPipeline(Math.max(1, Math.ceil(perDevice / 10)));
    await runMqttLoad({ ...load(urlOf(plainBroker), true), messagesPerPublisher: 2 });
    if (mosquitto) {
      await runMqttLoad({ ...load(mosquitto.url, true), messagesPerPublisher: 2 });
    }

    for (let round = 1; round <= rounds; round++) {
      const order = ['pipeline', 'brokerOnly', 'mosquitto'] as const;
      for (const name of round % 2 === 1 ? order : [...order].reverse()) {
        if (name === 'mosquitto' && !mosquitto) continue;
        const side = sides[name];
        const pid = name === 'mosquitto' ? (mosquitto?.pid as number) : process.pid;
        const cpuBefore = await mainThreadCpuSeconds(pid);
        const influxCpuBefore = await processCpuSeconds(influxd.pid);
        let rate: number;
        let result: MqttLoadResult;
        if (name === 'pipeline') {
          const run = await runPipeline(perDevice);
          result = run.result;
          rate = total / ((run.lastStoredAt - result.firstPublishAt) / 1000);
          const influxCpuAfter = await processCpuSeconds(influxd.pid);
          if (influxCpuBefore !== undefined && influxCpuAfter !== undefined) {
            influxCpuPerThousand.push(((influxCpuAfter - influxCpuBefore) * 1000) / total);
          }
        } else {
          const url = name === 'brokerOnly' ? urlOf(plainBroker) : (mosquitto?.url as string);
          result = await runMqttLoad(load(url, true));
          if (result.delivered !== total) {
            throw new Error(`${name} delivered ${result.delivered} of ${total} messages`);
          }
          rate = result.delivered / (result.elapsedMs / 1000);
        }
        const cpuAfter = await mainThreadCpuSeconds(pid);
        if (cpuBefore !== undefined && cpuAfter !== undefined) {
          side.cpuPerThousand.push(((cpuAfter - cpuBefore) * 1000) / total);
        }
        side.rates.push(rate);
        side.results.push(result);
        progress(
          `ingest: ${count} devices, round ${round}/${rounds}, ${name}: ${Math.round(rate)} msgs/s`,
        );
      }
    }

    // Latency at half the sustained maximum, steady state only.
    const pipelineRate = median(sides.pipeline.rates);
    pipelineValueRates.push(pipelineRate * VALUES_PER_MESSAGE);
    const pacedRate = Math.max(1, Math.round(pipelineRate / 2));
    const pacedPerDevice = Math.max(2, Math.ceil((pacedRate * latencySeconds) / count));
    progress(`ingest: ${count} devices: latency at ${pacedRate} msgs/s for ~${latencySeconds} s`);
    stored.recordLatencies();
    const paced = await runPipeline(pacedPerDevice, pacedRate);
    const latencies = stored.takeLatencies(paced.result.firstPublishAt + LATENCY_WARMUP_MS);
    const p50 = percentile(latencies, 0.5);
    const p99 = percentile(latencies, 0.99);
    const achieved =
      (pacedPerDevice * count) / ((paced.lastStoredAt - paced.result.firstPublishAt) / 1000);

    const pipeline = measurement('IOC pipeline (stored in InfluxDB)', sides.pipeline.rates);
    if (count === deviceCounts[0] && options.rules > 0) {
      results.push(
        await withRules(count, total, pipeline, sides.pipeline.cpuPerThousand, runPipeline),
      );
    }
    const brokerOnly = measurement(
      'same MqttBroker, plain subscriber, no ingest',
      sides.brokerOnly.rates,
    );
    const resourceNote = [
      `${count} devices, ${window} unacknowledged each, ${perDevice} messages each per round (${total.toLocaleString('en-US')}).`,
      `Pipeline: ${Math.round(pipelineRate).toLocaleString('en-US')} msgs/s = ${Math.round(pipelineRate * VALUES_PER_MESSAGE).toLocaleString('en-US')} values/s stored (rounds: ${sides.pipeline.rates.map(Math.round).join(', ')}).`,
      `Latency publish→stored (InfluxDB confirmed the point) at ${pacedRate.toLocaleString('en-US')} msgs/s (half the maximum; ${Math.round(achieved).toLocaleString('en-US')} msgs/s achieved), ${latencies.length.toLocaleString('en-US')} messages after 1 s of warm-up: p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms (target p99 < 1,000 ms).`,
      `Memory (RSS) at peak during the pipeline runs, and before them: this process (broker, ingest, PGlite and the client threads) ${mib(peakRss)} (${mib(rssBefore)} before); influxd ${mib(peakInfluxRss)} (${mib(influxRssBefore)} before).`,
      `CPU per 1,000 messages (medians): pipeline main thread (aedes + ingest) ${cpu(sides.pipeline.cpuPerThousand)}, plus influxd ${cpu(influxCpuPerThousand)}; broker-only main thread ${cpu(sides.brokerOnly.cpuPerThousand)}${mosquitto ? `; mosquitto ${cpu(sides.mosquitto.cpuPerThousand)}` : ''}. Client thread busy (pipeline publishers): ${percent(sides.pipeline.results.map((r) => r.publishersBusy))}.`,
    ];
    results.push({
      id: `ingest-vs-broker-${count}`,
      title: `Ingest, ${count} devices: pipeline vs broker only (target ≥ 0.8x)`,
      unit: 'msgs/s',
      parameters: {
        devices: count,
        window,
        messages: total,
        rounds,
        p50Ms: Math.round(p50),
        p99Ms: Math.round(p99),
      },
      subject: pipeline,
      baseline: brokerOnly,
      ratio: ratioOf(pipeline, brokerOnly),
      notes: [...(results.length === 0 ? notes : []), ...resourceNote],
    });
    if (mosquitto) {
      const baseline = measurement(
        `mosquitto ${mosquitto.version}, plain subscriber`,
        sides.mosquitto.rates,
      );
      results.push({
        id: `ingest-vs-mosquitto-${count}`,
        title: `Ingest, ${count} devices: pipeline vs mosquitto (target ≥ 1.0x)`,
        unit: 'msgs/s',
        parameters: { devices: count, window, messages: total, rounds },
        subject: pipeline,
        baseline,
        ratio: ratioOf(pipeline, baseline),
        notes: [
          `Same load as the row above; mosquitto rounds: ${sides.mosquitto.rates.map(Math.round).join(', ')} msgs/s.`,
        ],
      });
    }
  }

  // The ceiling: the same kind of lines, pre-serialised, POSTed in batches of 5,000.
  progress('ingest: raw InfluxDB ceiling');
  const ceilingRates: number[] = [];
  const bodies = rawBatches(messages, maxDevices);
  for (let round = 1; round <= rounds; round++) {
    const database = `bench_raw_${round}`;
    const raw = await InfluxStore.connect({ url: influxd.url, database, logger });
    try {
      const seconds = await writeRawBatches(influxd.url, database, bodies);
      ceilingRates.push((messages * VALUES_PER_MESSAGE) / seconds);
      await raw.query(`DROP DATABASE "${database}"`);
    } finally {
      await raw.close();
    }
  }
  const bestPipeline = measurement('IOC pipeline, values stored', [
    Math.max(...pipelineValueRates),
  ]);
  const ceiling = measurement('raw POST /write, batches of 5,000 lines, one writer', ceilingRates);
  results.push({
    id: 'ingest-vs-influx-ceiling',
    title: 'Ingest: values stored vs the raw InfluxDB write ceiling',
    unit: 'values/s',
    parameters: { lines: messages, valuesPerLine: VALUES_PER_MESSAGE, batchLines: 5_000, rounds },
    subject: bestPipeline,
    baseline: ceiling,
    ratio: ratioOf(bestPipeline, ceiling),
    notes: [
      `Ceiling: ${messages.toLocaleString('en-US')} telemetry lines of ${VALUES_PER_MESSAGE} fields (${maxDevices} devices), serialised before timing and POSTed to /write?precision=ms one request at a time into a fresh database (${Math.round(median(ceilingRates) / VALUES_PER_MESSAGE).toLocaleString('en-US')} lines/s); the pipeline figure is its best device count. InfluxDB shares the machine's cores with the broker and ingest during the pipeline runs, not during this one.`,
      `Every message the pipeline acknowledged was counted back in InfluxDB: ${stored.count.toLocaleString('en-US')} points confirmed, ${(await stored.countInInflux()).toLocaleString('en-US')} found by SELECT count(pm25).`,
    ],
  });
  return results;
}

/** Provisions `count` devices spread over the dataset's communes; returns their logins. */
async function provisionDevices(
  registry: DeviceRegistry,
  units: readonly { code: string; level: number }[],
  count: number,
): Promise<MqttLogin[]> {
  const deepest = Math.max(...units.map((u) => u.level));
  const communes = units.filter((u) => u.level === deepest);
  const logins: MqttLogin[] = [];
  // A few at a time: each secret costs one scrypt hash on libuv's pool.
  for (let start = 0; start < count; start += 8) {
    const slice = Array.from({ length: Math.min(8, count - start) }, (_, i) => start + i);
    const created = await Promise.all(
      slice.map((index) =>
        registry.provision({
          id: `bench-aq-${String(index).padStart(4, '0')}`,
          type: DEVICE_TYPE,
          unit: (communes[index % communes.length] as { code: string }).code,
        }),
      ),
    );
    for (const { device, secret } of created)
      logins.push({ username: device.id, password: secret });
  }
  return logins;
}

function rawBatches(lines: number, devices: number): string[] {
  const start = Date.now() - lines;
  const bodies: string[] = [];
  let batch: string[] = [];
  for (let i = 0; i < lines; i++) {
    const device = `raw-${i % devices}`;
    batch.push(
      `telemetry,device=${device},sector=environment,type=${DEVICE_TYPE},unit=20194 pm25=${35 + (i % 10)},pm10=${60 + (i % 15)},no2=${40 + (i % 8)},o3=${80 + (i % 20)},aqi=${50 + (i % 50)} ${start + i}`,
    );
    if (batch.length === 5_000) {
      bodies.push(batch.join('\n'));
      batch = [];
    }
  }
  if (batch.length > 0) bodies.push(batch.join('\n'));
  return bodies;
}

function percentile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

function mib(bytes: number): string {
  return `${Math.round(bytes / 2 ** 20)} MiB`;
}

function cpu(values: number[]): string {
  return values.length === 0 ? 'n/a' : `${(median(values) * 1000).toFixed(0)} ms`;
}

function percent(values: number[]): string {
  return `${Math.round(median(values) * 100)} %`;
}
