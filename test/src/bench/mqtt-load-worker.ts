// One client thread of the MQTT load (see mqtt-load.ts): the subscriber, or all publishers.
import { parentPort, workerData } from 'node:worker_threads';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import type { LoadMessage, LoadRole, MqttLoad, MqttLogin } from './mqtt-load.js';

const { role, load } = workerData as { role: LoadRole; load: MqttLoad };
const WILDCARD = 'ioc/v1/devices/+/telemetry';
/** The subscriber gives up here even if messages are still missing (they count as lost). */
const HARD_LIMIT_MS = 120_000;
/** How often a paced load tops up its publishes. */
const PACE_TICK_MS = 5;

function report(message: LoadMessage): void {
  parentPort?.postMessage(message);
}

/** Wall-clock milliseconds with sub-ms resolution, comparable between threads. */
function now(): number {
  return performance.timeOrigin + performance.now();
}

function clientOptions({ username, password }: MqttLogin): IClientOptions {
  return {
    clientId: username.replace(':', '-'),
    username,
    password,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: 30_000,
  };
}

async function runSubscriber(login: MqttLogin): Promise<void> {
  const total = load.devices.length * load.messagesPerPublisher;
  const client = await connectAsync(load.url, clientOptions(login));
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

/** One device's publisher: its client, topic, messages left and unacknowledged publishes. */
interface Publisher {
  client: MqttClient;
  topic: string;
  next: number;
  inFlight: number;
  /** Last device timestamp sent: each message gets a later one (unique per series). */
  lastTs: number;
  padded: Buffer[] | undefined;
}

async function runPublishers(): Promise<void> {
  // Connect in slices: hundreds of simultaneous logins would queue behind the broker's
  // password hashing and time out, which says nothing about throughput.
  const clients: MqttClient[] = [];
  for (let i = 0; i < load.devices.length; i += 50) {
    const slice = load.devices.slice(i, i + 50);
    clients.push(
      ...(await Promise.all(slice.map((d) => connectAsync(load.url, clientOptions(d))))),
    );
  }
  const publishers: Publisher[] = clients.map((client, i) => ({
    client,
    topic: `ioc/v1/devices/${(load.devices[i] as MqttLogin).username}/telemetry`,
    next: 0,
    inFlight: 0,
    lastTs: 0,
    padded: load.payload.kind === 'padded' ? paddedPayloads(load.payload.bytes) : undefined,
  }));
  const total = publishers.length * load.messagesPerPublisher;
  let acked = 0;
  let sent = 0;
  let lastAckAt = 0;
  let failure: Error | undefined;
  let done = () => {};
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  for (const { client } of publishers) {
    client.on('error', (err) => {
      failure ??= err;
      done();
    });
  }
  const firstPublishAt = now();
  const loopBefore = performance.eventLoopUtilization();
  const paced = load.ratePerSecond !== undefined;

  const canSend = (p: Publisher) => p.inFlight < load.window && p.next < load.messagesPerPublisher;
  const send = (p: Publisher) => {
    p.inFlight += 1;
    sent += 1;
    const seq = p.next++;
    p.client.publish(p.topic, payloadOf(p, seq), { qos: 1 }, (err) => {
      if (err) {
        failure ??= err;
        done();
      }
      p.inFlight -= 1;
      acked += 1;
      lastAckAt = now();
      if (acked === total) done();
      // Unpaced: keep `window` unacknowledged, topping up as PUBACKs arrive.
      else if (!paced) while (canSend(p)) send(p);
    });
  };

  let pacer: NodeJS.Timeout | undefined;
  if (paced) {
    const rate = load.ratePerSecond as number;
    let cursor = 0;
    pacer = setInterval(() => {
      let due = Math.min(total, Math.floor((rate * (now() - firstPublishAt)) / 1000)) - sent;
      // Round-robin over the devices that have a message left and room in their window.
      for (let tried = 0; due > 0 && tried < publishers.length; ) {
        const p = publishers[cursor] as Publisher;
        cursor = (cursor + 1) % publishers.length;
        if (canSend(p)) {
          send(p);
          due -= 1;
          tried = 0;
        } else tried += 1;
      }
    }, PACE_TICK_MS);
  } else {
    for (const p of publishers) while (canSend(p)) send(p);
  }
  await finished;
  clearInterval(pacer);
  const busy = performance.eventLoopUtilization(loopBefore).utilization;
  await Promise.all(publishers.map(({ client }) => client.endAsync(true)));
  if (failure) throw failure;
  report({ type: 'published', firstPublishAt, lastAckAt, acked, busy });
}

function payloadOf(p: Publisher, seq: number): Buffer {
  if (p.padded) return p.padded[seq] as Buffer;
  p.lastTs = Math.max(Math.floor(now()), p.lastTs + 1);
  const wave = Math.sin(seq / 10);
  return Buffer.from(
    JSON.stringify({
      ts: p.lastTs,
      values: {
        pm25: Math.round((35 + 10 * wave) * 10) / 10,
        pm10: Math.round((60 + 15 * wave) * 10) / 10,
        no2: Math.round((40 + 8 * wave) * 10) / 10,
        o3: Math.round((80 + 20 * wave) * 10) / 10,
        aqi: 50 + (seq % 50),
      },
    }),
  );
}

/** Device-shaped JSON (`{"ts", "values"}`, ARCHITECTURE.md) padded to the payload size. */
function paddedPayloads(bytes: number): Buffer[] {
  const start = Date.now();
  return Array.from({ length: load.messagesPerPublisher }, (_, seq) => {
    const json = JSON.stringify({
      ts: start + seq * 1000,
      values: { level: 1.25 + (seq % 100) / 100, rainfall: (seq % 7) * 0.5, battery: 3.71 },
    });
    return Buffer.from(json.padEnd(bytes, ' '));
  });
}

type EventLoopUtilization = ReturnType<typeof performance.eventLoopUtilization>;

try {
  if (role === 'subscriber') {
    if (!load.subscriber) throw new Error('a subscriber thread needs the subscriber login');
    await runSubscriber(load.subscriber);
  } else {
    await runPublishers();
  }
} catch (err) {
  report({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
}
