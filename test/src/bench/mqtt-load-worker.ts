// One client thread of the MQTT load (see mqtt-load.ts): the subscriber, or all publishers.
import { parentPort, workerData } from 'node:worker_threads';
import { connectAsync, type IClientOptions } from 'mqtt';
import {
  type LoadMessage,
  type LoadRole,
  type MqttLoad,
  SUBSCRIBER_USERNAME,
} from './mqtt-load.js';

const { role, load } = workerData as { role: LoadRole; load: MqttLoad };
const WILDCARD = 'ioc/v1/devices/+/telemetry';
/** The subscriber gives up here even if messages are still missing (they count as lost). */
const HARD_LIMIT_MS = 120_000;

function report(message: LoadMessage): void {
  parentPort?.postMessage(message);
}

/** Wall-clock milliseconds with sub-ms resolution, comparable between threads. */
function now(): number {
  return performance.timeOrigin + performance.now();
}

function clientOptions(username: string): IClientOptions {
  return {
    clientId: username.replace(':', '-'),
    username,
    password: load.password,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
  };
}

function deviceId(index: number): string {
  return `bench-dev-${String(index).padStart(4, '0')}`;
}

async function runSubscriber(): Promise<void> {
  const total = load.publishers * load.messagesPerPublisher;
  const client = await connectAsync(load.url, clientOptions(SUBSCRIBER_USERNAME));
  let delivered = 0;
  let lastDeliveryAt = 0;
  let published = false;
  let failure: Error | undefined;
  let loopAtFirst: EventLoopUtilization | undefined;
  let done = () => {};
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  client.on('error', (err) => {
    failure ??= err;
    done();
  });
  client.on('message', () => {
    loopAtFirst ??= performance.eventLoopUtilization();
    delivered += 1;
    lastDeliveryAt = now();
    if (delivered >= total) done();
  });
  parentPort?.on('message', () => {
    published = true;
  });
  await client.subscribeAsync(WILDCARD, { qos: 1 });
  const started = now();
  report({ type: 'ready' });
  // A broker that dropped messages never delivers them: once every publish is acknowledged
  // and the subscriber has been quiet for the idle timeout, what arrived is the result.
  const watchdog = setInterval(() => {
    const quietSince = Math.max(lastDeliveryAt, started);
    if (published && now() - quietSince > load.idleTimeoutMs) done();
    if (now() - started > HARD_LIMIT_MS) done();
  }, 100);
  await finished;
  clearInterval(watchdog);
  const busy = loopAtFirst ? performance.eventLoopUtilization(loopAtFirst).utilization : 0;
  await client.endAsync(true);
  if (failure) throw failure;
  report({ type: 'received', delivered, lastDeliveryAt, busy });
}

async function runPublishers(): Promise<void> {
  const clients = await Promise.all(
    Array.from({ length: load.publishers }, (_, i) =>
      connectAsync(load.url, clientOptions(deviceId(i))),
    ),
  );
  const payloads = clients.map(() => telemetryPayloads());
  const total = load.publishers * load.messagesPerPublisher;
  let acked = 0;
  let failure: Error | undefined;
  let done = () => {};
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  for (const client of clients) {
    client.on('error', (err) => {
      failure ??= err;
      done();
    });
  }
  const firstPublishAt = now();
  const loopBefore = performance.eventLoopUtilization();
  clients.forEach((client, index) => {
    const topic = `ioc/v1/devices/${deviceId(index)}/telemetry`;
    const messages = payloads[index] as Buffer[];
    let next = 0;
    let inFlight = 0;
    // Keep `window` QoS1 publishes unacknowledged, topping up as PUBACKs arrive.
    const fill = () => {
      while (inFlight < load.window && next < messages.length) {
        inFlight += 1;
        client.publish(topic, messages[next++] as Buffer, { qos: 1 }, (err) => {
          if (err) {
            failure ??= err;
            done();
          }
          inFlight -= 1;
          acked += 1;
          if (acked === total) done();
          fill();
        });
      }
    };
    fill();
  });
  await finished;
  const busy = performance.eventLoopUtilization(loopBefore).utilization;
  await Promise.all(clients.map((client) => client.endAsync(true)));
  if (failure) throw failure;
  report({ type: 'published', firstPublishAt, acked, busy });
}

/** Device-shaped JSON (`{"ts", "values"}`, ARCHITECTURE.md) padded to the payload size. */
function telemetryPayloads(): Buffer[] {
  const start = Date.now();
  return Array.from({ length: load.messagesPerPublisher }, (_, seq) => {
    const json = JSON.stringify({
      ts: start + seq * 1000,
      values: { level: 1.25 + (seq % 100) / 100, rainfall: (seq % 7) * 0.5, battery: 3.71 },
    });
    return Buffer.from(json.padEnd(load.payloadBytes, ' '));
  });
}

type EventLoopUtilization = ReturnType<typeof performance.eventLoopUtilization>;

try {
  await (role === 'subscriber' ? runSubscriber() : runPublishers());
} catch (err) {
  report({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
}
