// Shared by the broker's tests: a real MqttBroker on a free port with an in-memory
// authenticator standing in for the device registry, and real mqtt.js clients.
import { Writable } from 'node:stream';
import { createLogger, LiveBus, type LiveEvents } from '@ioc/core';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { Registry } from 'prom-client';
import type { MqttAuthenticator } from './identity.js';
import { MqttBroker, type MqttBrokerOptions } from './mqtt-broker.js';
import { DevicePresence } from './presence.js';

export const SERVICE = { username: 'svc:test', password: 'service-secret-0123456789' };

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export interface Harness {
  broker: MqttBroker;
  presence: DevicePresence;
  bus: LiveBus;
  metrics: Registry;
  logs: LogLine[];
  /** Every `device.presence` event, in order. */
  presenceEvents: Array<LiveEvents['device.presence']>;
  /** How often the authenticator was asked. */
  authenticatorCalls: number;
  url: string;
  secrets: Map<string, string>;
  clients: MqttClient[];
  stop(): Promise<void>;
}

export interface HarnessOptions extends Partial<Omit<MqttBrokerOptions, 'authenticate'>> {
  /** Device id -> secret. */
  devices?: Record<string, string>;
  /** Devices whose secret is right but which may not connect. */
  revoked?: string[];
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const secrets = new Map(
    Object.entries(options.devices ?? { 'wl-01': 'secret-wl-01', 'wl-02': 'secret-wl-02' }),
  );
  const revoked = new Set(options.revoked ?? []);
  const logs: LogLine[] = [];
  const logger = createLogger(
    'debug',
    new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n')) if (line) logs.push(JSON.parse(line));
        done();
      },
    }),
  );
  const bus = new LiveBus();
  const metrics = new Registry();
  const presenceEvents: Array<LiveEvents['device.presence']> = [];
  bus.subscribe('device.presence', (event) => presenceEvents.push(event));

  const harness = { authenticatorCalls: 0 } as Harness;
  const authenticate: MqttAuthenticator = async (username, password, { certificateCn }) => {
    harness.authenticatorCalls += 1;
    if (username === 'registry-down') throw new Error('registry unavailable');
    if (username === SERVICE.username) {
      return password === SERVICE.password ? { kind: 'service', name: username } : undefined;
    }
    const deviceId = certificateCn ?? username;
    if (!secrets.has(deviceId)) return undefined;
    if (!certificateCn && secrets.get(deviceId) !== password) return undefined;
    if (revoked.has(deviceId))
      return { kind: 'refused', reason: `device "${deviceId}" is revoked` };
    return { kind: 'device', deviceId };
  };

  const broker = new MqttBroker({
    host: '127.0.0.1',
    port: 0,
    logger,
    metrics,
    authenticate,
    ...options,
  });
  const presence = new DevicePresence(broker, bus, metrics);
  await broker.start();
  const clients: MqttClient[] = [];
  return Object.assign(harness, {
    broker,
    presence,
    bus,
    metrics,
    logs,
    presenceEvents,
    url: `mqtt://127.0.0.1:${broker.port}`,
    secrets,
    clients,
    async stop() {
      await Promise.all(clients.map((c) => c.endAsync(true).catch(() => {})));
      await broker.stop();
      presence.close();
    },
  });
}

/** A device logged in with its secret (client id = username = device id). */
export async function connectDevice(
  harness: Harness,
  deviceId: string,
  options: IClientOptions = {},
): Promise<MqttClient> {
  return track(
    harness,
    connectAsync(harness.url, {
      clientId: deviceId,
      username: deviceId,
      password: harness.secrets.get(deviceId),
      reconnectPeriod: 0,
      connectTimeout: 5000,
      ...options,
    }),
  );
}

export async function connectService(harness: Harness, options: IClientOptions = {}) {
  return track(
    harness,
    connectAsync(harness.url, {
      clientId: 'svc-test',
      ...SERVICE,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      ...options,
    }),
  );
}

/** Connects with the given options and returns the CONNACK code of the refusal. */
export async function refusalCode(url: string, options: IClientOptions): Promise<number> {
  const client = await connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options })
    .then((c) => c)
    .catch((err: { code?: number }) => err);
  if ('endAsync' in client) {
    await (client as MqttClient).endAsync(true);
    throw new Error('expected the broker to refuse the connection');
  }
  return (client as { code?: number }).code ?? -1;
}

/**
 * Subscribes and returns the SUBACK's granted codes: mqtt.js rejects a SUBACK that refuses
 * any filter (0x80), with the packet attached.
 */
export async function grantedQos(
  client: MqttClient,
  filters: string[],
  qos: 0 | 1 | 2 = 1,
): Promise<number[]> {
  return client.subscribeAsync(filters, { qos }).then(
    (granted) => granted.map((g) => g.qos),
    (err: { packet?: { granted?: number[] } }) => {
      if (!err.packet?.granted) throw err;
      return err.packet.granted;
    },
  );
}

/** Resolves when the client's connection closes. */
export function closed(client: MqttClient): Promise<void> {
  return new Promise((resolve) => client.once('close', () => resolve()));
}

/** Resolves with the next message `client` receives on `topic`. */
export function nextMessage(client: MqttClient, topic: string): Promise<Buffer> {
  return new Promise((resolve) => {
    const onMessage = (received: string, payload: Buffer) => {
      if (received !== topic) return;
      client.off('message', onMessage);
      resolve(payload);
    };
    client.on('message', onMessage);
  });
}

/** Every message `client` receives on `topic`, as it arrives. */
export function collect(client: MqttClient, topic: string): string[] {
  const received: string[] = [];
  client.on('message', (t, payload) => {
    if (t === topic) received.push(payload.toString());
  });
  return received;
}

/** The value of one Prometheus sample, e.g. `ioc_mqtt_acl_denied_total{action="publish"}`. */
export async function metricValue(registry: Registry, sample: string): Promise<number> {
  const text = await registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line ? Number(line.slice(sample.length + 1)) : 0;
}

/** Resolves with the first presence event from index `since` on that matches. */
export function presenceEvent(
  harness: Harness,
  match: Partial<LiveEvents['device.presence']>,
  since = 0,
): Promise<LiveEvents['device.presence']> {
  return new Promise((resolve) => {
    const matches = (event: LiveEvents['device.presence']) =>
      Object.entries(match).every(([k, v]) => event[k as keyof typeof event] === v);
    const seen = harness.presenceEvents.slice(since).find(matches);
    if (seen) return resolve(seen);
    const unsubscribe = harness.bus.subscribe('device.presence', (event) => {
      if (!matches(event)) return;
      unsubscribe();
      resolve(event);
    });
  });
}

async function track(harness: Harness, connecting: Promise<MqttClient>): Promise<MqttClient> {
  const client = await connecting;
  harness.clients.push(client);
  return client;
}
