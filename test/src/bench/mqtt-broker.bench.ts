import { MqttBroker, type MqttIdentity } from '@ioc/broker';
import { type Logger, randomSecret, safeEqual } from '@ioc/core';
import { startMosquittoBaseline } from './mosquitto.js';
import { type MqttLoad, type MqttLoadResult, runMqttLoad } from './mqtt-load.js';
import { type BenchmarkResult, measurement, median, ratioOf } from './report.js';
import type { Teardown } from './teardown.js';
import { mainThreadCpuSeconds } from './thread-cpu.js';

export interface MqttBrokerBenchOptions {
  publishers: number;
  messagesPerPublisher: number;
  payloadBytes: number;
  /** Unacknowledged QoS1 publishes each publisher keeps in flight. */
  window: number;
  rounds: number;
  logger: Logger;
  teardown: Teardown;
  progress: (line: string) => void;
}

export const MQTT_BROKER_DEFAULTS = {
  publishers: 20,
  messagesPerPublisher: 2_000,
  payloadBytes: 100,
  window: 100,
  rounds: 3,
} as const;

/** The subscriber logs in as an internal service; the publishers as devices `bench-dev-NNNN`. */
const SUBSCRIBER_USERNAME = 'svc:bench';

function benchDeviceId(index: number): string {
  return `bench-dev-${String(index).padStart(4, '0')}`;
}

interface Side {
  label: string;
  url: string;
  /** Delivered messages per second, per round. */
  rounds: number[];
  results: MqttLoadResult[];
  /** The process whose main thread is the broker: this one for aedes, or mosquitto's. */
  pid: number;
  /** CPU seconds the broker's thread used per round. */
  brokerCpu: (number | undefined)[];
}

/**
 * The IOC's MqttBroker (aedes; authentication and topic ACL in the path) against mosquitto on
 * the same load: QoS1 telemetry from many publishers to one wildcard subscriber, all on
 * loopback, the clients (mqtt.js) in worker threads. The figure is messages delivered to the
 * subscriber per second, from the first publish to the last delivery.
 */
export async function benchMqttBroker(options: MqttBrokerBenchOptions): Promise<BenchmarkResult> {
  const { publishers, messagesPerPublisher, payloadBytes, window, rounds } = options;
  const { logger, teardown, progress } = options;
  const total = publishers * messagesPerPublisher;
  const password = randomSecret();
  let logins = 0;
  const broker = new MqttBroker({
    host: '127.0.0.1',
    port: 0,
    logger,
    // The device rate limit (default 20 msgs/s per device) is policy, not capacity: off here.
    // Authentication, the topic ACL and the payload and frame limits stay in the path.
    limits: { deviceRatePerSecond: 0 },
    authenticate: async (username, given): Promise<MqttIdentity | undefined> => {
      logins += 1;
      if (!safeEqual(given, password)) return undefined;
      if (username === SUBSCRIBER_USERNAME) return { kind: 'service', name: 'bench' };
      return /^bench-dev-\d+$/.test(username) ? { kind: 'device', deviceId: username } : undefined;
    },
  });
  teardown.defer('stop MqttBroker', () => broker.stop());
  await broker.start();
  const sides: Side[] = [
    {
      label: 'MqttBroker (aedes; auth, ACL)',
      url: `mqtt://127.0.0.1:${broker.port}`,
      pid: process.pid,
      rounds: [],
      results: [],
      brokerCpu: [],
    },
  ];

  const notes = [
    `${publishers} publishers x ${messagesPerPublisher.toLocaleString('en-US')} QoS1 messages of ${payloadBytes} B JSON to ioc/v1/devices/<id>/telemetry (${window} unacknowledged per publisher), one QoS1 subscriber on ioc/v1/devices/+/telemetry; mqtt.js 5 clients, the publishers in one worker thread and the subscriber in another, loopback only.`,
    `Figure: messages delivered to the subscriber / time from the first publish to the last delivery; median of ${rounds} rounds alternating which broker goes first.`,
  ];
  const mosquitto = await startMosquittoBaseline(options, total, notes);
  if (mosquitto) {
    sides.push({
      label: `mosquitto ${mosquitto.version} (anonymous, QoS1 limits raised)`,
      url: mosquitto.url,
      pid: mosquitto.pid,
      rounds: [],
      results: [],
      brokerCpu: [],
    });
  }

  const load = (url: string, messages: number): MqttLoad => ({
    url,
    devices: Array.from({ length: publishers }, (_, i) => ({
      username: benchDeviceId(i),
      password,
    })),
    subscriber: { username: SUBSCRIBER_USERNAME, password },
    messagesPerPublisher: messages,
    payload: { kind: 'padded', bytes: payloadBytes },
    window,
    idleTimeoutMs: 2_000,
  });
  for (const side of sides) {
    await runMqttLoad(load(side.url, Math.ceil(messagesPerPublisher / 10)));
  }
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 === 1 ? sides : [...sides].reverse();
    for (const side of order) {
      const cpuBefore = await mainThreadCpuSeconds(side.pid);
      const result = await runMqttLoad(load(side.url, messagesPerPublisher));
      const cpuAfter = await mainThreadCpuSeconds(side.pid);
      side.brokerCpu.push(
        cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore,
      );
      const rate = deliveredPerSecond(result);
      side.rounds.push(rate);
      side.results.push(result);
      progress(
        `mqtt: round ${round}/${rounds} ${side.label}: ${Math.round(rate)} msgs/s (${result.delivered}/${result.sent} delivered)`,
      );
    }
  }

  for (const side of sides) notes.push(describeRounds(side));
  notes.push(`MqttBroker checked ${logins} logins with the authenticator during the run.`);
  const [subjectSide, baselineSide] = sides as [Side, Side | undefined];
  const subject = measurement(subjectSide.label, subjectSide.rounds);
  const baseline = baselineSide ? measurement(baselineSide.label, baselineSide.rounds) : null;
  return {
    id: 'mqtt-broker',
    title: `MQTT broker, QoS1 fan-in (${total.toLocaleString('en-US')} messages)`,
    unit: 'msgs/s',
    parameters: { publishers, messagesPerPublisher, payloadBytes, window, rounds },
    subject,
    baseline,
    ratio: ratioOf(subject, baseline),
    notes,
  };
}

function describeRounds(side: Side): string {
  const deliveries = side.results.map((r) => `${r.delivered}/${r.sent}`).join(', ');
  const percent = (values: number[]) => `${Math.round(median(values) * 100)} %`;
  const parts = [
    `delivered ${deliveries} per round`,
    `client event loops busy ${percent(side.results.map((r) => r.publishersBusy))} (publishers) and ${percent(side.results.map((r) => r.subscriberBusy))} (subscriber)`,
  ];
  const perMessage = side.brokerCpu.flatMap((cpu, i) => {
    const delivered = side.results[i]?.delivered ?? 0;
    return cpu === undefined || delivered === 0 ? [] : [(cpu * 1e6) / delivered];
  });
  if (perMessage.length > 0) {
    parts.push(`broker thread CPU ${median(perMessage).toFixed(1)} µs per delivered message`);
  }
  return `${side.label}: ${parts.join('; ')} (medians).`;
}

function deliveredPerSecond(result: MqttLoadResult): number {
  return result.elapsedMs > 0 ? result.delivered / (result.elapsedMs / 1000) : 0;
}
