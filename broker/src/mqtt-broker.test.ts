import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import { connect as connectTcp } from 'node:net';
import { connect, connectAsync } from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeviceErrorMessage } from './device-errors.js';
import {
  closed,
  collect,
  connectDevice,
  connectService,
  grantedQos,
  type Harness,
  type HarnessOptions,
  metricValue,
  nextMessage,
  presenceEvent,
  refusalCode,
  SERVICE,
  startHarness,
} from './test-harness.js';

const TELEMETRY = (id: string) => `ioc/v1/devices/${id}/telemetry`;
const STATUS = (id: string) => `ioc/v1/devices/${id}/status`;
const COMMANDS = (id: string) => `ioc/v1/devices/${id}/commands`;
const ERRORS = (id: string) => `ioc/v1/devices/${id}/errors`;

let harness: Harness | undefined;

async function start(options: HarnessOptions = {}): Promise<Harness> {
  harness = await startHarness(options);
  return harness;
}

afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

function parseError(payload: Buffer): DeviceErrorMessage {
  return JSON.parse(payload.toString()) as DeviceErrorMessage;
}

describe('authentication', () => {
  it('accepts a device with its secret and a service with its credentials', async () => {
    const h = await start();
    const device = await connectDevice(h, 'wl-01');
    expect(device.connected).toBe(true);
    const service = await connectService(h);
    expect(service.connected).toBe(true);
    expect(h.broker.connectedClients).toBe(2);
  });

  it('refuses a wrong secret (4), anonymous (5), a revoked device (5), a foreign client id (2)', async () => {
    const h = await start({ revoked: ['wl-02'], loginThrottle: { maxFailures: 100 } });
    expect(
      await refusalCode(h.url, { clientId: 'wl-01', username: 'wl-01', password: 'wrong' }),
    ).toBe(4);
    expect(await refusalCode(h.url, { clientId: 'wl-01' })).toBe(5);
    expect(await refusalCode(h.url, { clientId: 'wl-01', username: 'wl-01' })).toBe(5);
    expect(
      await refusalCode(h.url, { clientId: 'wl-02', username: 'wl-02', password: 'secret-wl-02' }),
    ).toBe(5);
    expect(
      await refusalCode(h.url, {
        clientId: 'not-wl-01',
        username: 'wl-01',
        password: 'secret-wl-01',
      }),
    ).toBe(2);
    expect(
      await refusalCode(h.url, {
        clientId: '',
        username: 'wl-01',
        password: 'secret-wl-01',
        clean: true,
      }),
    ).toBe(2);
    expect(
      await metricValue(h.metrics, 'ioc_mqtt_auth_failures_total{reason="bad_credentials"}'),
    ).toBe(1);
    expect(await metricValue(h.metrics, 'ioc_mqtt_auth_failures_total{reason="anonymous"}')).toBe(
      2,
    );
    expect(await metricValue(h.metrics, 'ioc_mqtt_auth_failures_total{reason="refused"}')).toBe(1);
    expect(
      await metricValue(h.metrics, 'ioc_mqtt_auth_failures_total{reason="identifier_rejected"}'),
    ).toBe(2);
    const refusal = h.logs.find(
      (l) => l.msg === 'mqtt login refused' && l.clientId === 'not-wl-01',
    );
    expect(refusal?.reason).toMatch(/client id "not-wl-01" must be the device id "wl-01"/);
    expect(h.broker.connectedClients).toBe(0);
  });

  it('answers 3 (server unavailable) when the authenticator fails, not "bad password"', async () => {
    const h = await start();
    expect(
      await refusalCode(h.url, { clientId: 'x', username: 'registry-down', password: 'x' }),
    ).toBe(3);
    expect(
      await metricValue(h.metrics, 'ioc_mqtt_auth_failures_total{reason="bad_credentials"}'),
    ).toBe(0);
    expect(h.logs.find((l) => l.msg === 'mqtt authenticator failed')).toMatchObject({ level: 50 });
  });

  it('throttles an address after repeated failures without asking the authenticator', async () => {
    const h = await start({ loginThrottle: { maxFailures: 3, windowMs: 60_000, blockMs: 60_000 } });
    for (let i = 0; i < 3; i++) {
      expect(
        await refusalCode(h.url, { clientId: 'wl-01', username: 'wl-01', password: `guess-${i}` }),
      ).toBe(4);
    }
    const callsBefore = h.authenticatorCalls;
    // Even the right secret is refused while the address is blocked.
    expect(
      await refusalCode(h.url, { clientId: 'wl-01', username: 'wl-01', password: 'secret-wl-01' }),
    ).toBe(5);
    expect(h.authenticatorCalls).toBe(callsBefore);
    expect(await metricValue(h.metrics, 'ioc_mqtt_auth_failures_total{reason="throttled"}')).toBe(
      1,
    );
    expect(h.logs.some((l) => l.msg.includes('blocked after repeated failures'))).toBe(true);
  });
});

describe('ACL', () => {
  it('delivers a device telemetry message to a subscribed service', async () => {
    const h = await start();
    const service = await connectService(h);
    await service.subscribeAsync('ioc/v1/devices/+/telemetry', { qos: 1 });
    const device = await connectDevice(h, 'wl-01');
    const received = nextMessage(service, TELEMETRY('wl-01'));
    await device.publishAsync(TELEMETRY('wl-01'), '{"values":{"level_cm":12}}', { qos: 1 });
    expect((await received).toString()).toBe('{"values":{"level_cm":12}}');
  });

  it('drops a publish to another device topic and tells the device why on its errors topic', async () => {
    const h = await start();
    const service = await connectService(h);
    await service.subscribeAsync('ioc/v1/devices/+/telemetry', { qos: 1 });
    const delivered = collect(service, TELEMETRY('wl-02'));
    const ownDelivered = nextMessage(service, TELEMETRY('wl-01'));
    const device = await connectDevice(h, 'wl-01');
    await device.subscribeAsync(ERRORS('wl-01'), { qos: 1 });
    const error = nextMessage(device, ERRORS('wl-01'));

    // Acknowledged (MQTT 3.1.1 §3.3.5), not delivered, and the device stays connected.
    await device.publishAsync(TELEMETRY('wl-02'), 'forged', { qos: 1 });
    const report = parseError(await error);
    expect(report).toEqual({
      code: 'FORBIDDEN_TOPIC',
      message: expect.stringMatching(
        /ioc\/v1\/devices\/wl-01\/telemetry and ioc\/v1\/devices\/wl-01\/status/,
      ),
      topic: TELEMETRY('wl-02'),
      receivedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
    });
    await device.publishAsync(TELEMETRY('wl-01'), 'own', { qos: 1 });
    expect((await ownDelivered).toString()).toBe('own');
    expect(delivered).toEqual([]);
    expect(device.connected).toBe(true);

    expect(await metricValue(h.metrics, 'ioc_mqtt_acl_denied_total{action="publish"}')).toBe(1);
    const log = h.logs.find((l) => l.msg === 'mqtt message from device rejected');
    expect(log).toMatchObject({ level: 40, deviceId: 'wl-01', topic: TELEMETRY('wl-02') });
    expect(log?.reason).toMatch(/may publish only/);
  });

  it('refuses a device subscription to another device (SUBACK 0x80) and to wildcards', async () => {
    const h = await start();
    const device = await connectDevice(h, 'wl-01');
    expect(
      await grantedQos(device, [COMMANDS('wl-02'), 'ioc/v1/devices/+/commands', COMMANDS('wl-01')]),
    ).toEqual([128, 128, 1]);
    expect(await metricValue(h.metrics, 'ioc_mqtt_acl_denied_total{action="subscribe"}')).toBe(2);
    expect(
      h.logs.find((l) => l.msg === 'mqtt subscription refused' && l.topic === COMMANDS('wl-02')),
    ).toMatchObject({ level: 40, deviceId: 'wl-01' });

    // The refused subscription really receives nothing; the granted one does.
    const service = await connectService(h);
    const own = nextMessage(device, COMMANDS('wl-01'));
    const foreign = collect(device, COMMANDS('wl-02'));
    await service.publishAsync(COMMANDS('wl-02'), 'not for wl-01', { qos: 1 });
    await service.publishAsync(COMMANDS('wl-01'), 'for wl-01', { qos: 1 });
    expect((await own).toString()).toBe('for wl-01');
    expect(foreign).toEqual([]);
  });

  it('closes a service connection that publishes outside ioc/v1/', async () => {
    const h = await start();
    const service = await connectService(h);
    const gone = closed(service);
    service.publish('$SYS/ioc/discarded', 'x', { qos: 0 });
    await gone;
    expect(await metricValue(h.metrics, 'ioc_mqtt_acl_denied_total{action="publish"}')).toBe(1);
  });
});

describe('limits', () => {
  it('drops an oversized payload with PAYLOAD_TOO_LARGE and keeps serving', async () => {
    const h = await start({ limits: { maxPayloadBytes: 1024 } });
    const service = await connectService(h);
    await service.subscribeAsync('ioc/v1/devices/+/telemetry', { qos: 1 });
    const telemetry = collect(service, TELEMETRY('wl-01'));
    const device = await connectDevice(h, 'wl-01');
    await device.subscribeAsync(ERRORS('wl-01'), { qos: 1 });
    const error = nextMessage(device, ERRORS('wl-01'));

    await device.publishAsync(TELEMETRY('wl-01'), Buffer.alloc(1025, 0x61), { qos: 1 });
    const report = parseError(await error);
    expect(report.code).toBe('PAYLOAD_TOO_LARGE');
    expect(report.message).toMatch(/payload of 1025 bytes exceeds the limit of 1024 bytes/);
    expect(report.topic).toBe(TELEMETRY('wl-01'));

    // The same device, still connected, and another device are served as before.
    const next = nextMessage(service, TELEMETRY('wl-02'));
    const other = await connectDevice(h, 'wl-02');
    await device.publishAsync(TELEMETRY('wl-01'), Buffer.alloc(1024, 0x62), { qos: 1 });
    await other.publishAsync(TELEMETRY('wl-02'), 'small', { qos: 1 });
    expect((await next).toString()).toBe('small');
    expect(telemetry).toEqual(['b'.repeat(1024)]);
    expect(
      await metricValue(h.metrics, 'ioc_mqtt_limit_rejected_total{limit="payload_size"}'),
    ).toBe(1);
  });

  it('closes a connection announcing a packet far above the limit, before reading it', async () => {
    const h = await start({ limits: { maxPayloadBytes: 1024 } });
    const service = await connectService(h);
    await service.subscribeAsync(ERRORS('wl-01'), { qos: 1 });
    const error = nextMessage(service, ERRORS('wl-01'));
    const device = await connectDevice(h, 'wl-01');
    device.on('error', () => {}); // the broker resets the connection mid-write
    const gone = closed(device);
    device.publish(TELEMETRY('wl-01'), Buffer.alloc(h.broker.maxPacketBytes + 1), { qos: 0 });
    await gone;
    const report = parseError(await error);
    expect(report.code).toBe('PAYLOAD_TOO_LARGE');
    expect(report.message).toMatch(/connection was closed/);
    expect(await metricValue(h.metrics, 'ioc_mqtt_limit_rejected_total{limit="packet_size"}')).toBe(
      1,
    );

    // The broker still serves everyone else.
    const other = await connectDevice(h, 'wl-02');
    await service.subscribeAsync(TELEMETRY('wl-02'), { qos: 1 });
    const next = nextMessage(service, TELEMETRY('wl-02'));
    await other.publishAsync(TELEMETRY('wl-02'), 'still here', { qos: 1 });
    expect((await next).toString()).toBe('still here');
  });

  it('rate-limits a device after its burst with RATE_LIMITED', async () => {
    const h = await start({ limits: { deviceRatePerSecond: 1 } });
    const service = await connectService(h);
    await service.subscribeAsync('ioc/v1/devices/+/telemetry', { qos: 1 });
    const telemetry = collect(service, TELEMETRY('wl-01'));
    const device = await connectDevice(h, 'wl-01');
    await device.subscribeAsync(ERRORS('wl-01'), { qos: 1 });
    const errors = collect(device, ERRORS('wl-01'));
    const firstError = nextMessage(device, ERRORS('wl-01'));

    // Burst = 2 x 1/s: two pass, the rest are acknowledged and dropped.
    await Promise.all(
      [1, 2, 3, 4, 5].map((n) => device.publishAsync(TELEMETRY('wl-01'), `m${n}`, { qos: 1 })),
    );
    const report = parseError(await firstError);
    expect(report.code).toBe('RATE_LIMITED');
    expect(report.message).toMatch(/more than 1 messages per second \(bursts of 2/);

    // A sentinel through the same broker: whatever was going to arrive has arrived.
    const sentinel = nextMessage(service, TELEMETRY('wl-02'));
    await service.publishAsync(TELEMETRY('wl-02'), 'sentinel', { qos: 1 });
    await sentinel;
    expect(telemetry).toEqual(['m1', 'm2']);
    expect(await metricValue(h.metrics, 'ioc_mqtt_limit_rejected_total{limit="rate"}')).toBe(3);
    // One report per second, not one per dropped message.
    expect(errors).toHaveLength(1);
    expect(device.connected).toBe(true);
  });

  it('closes a device holding more QoS 2 messages than maxInflight, with INFLIGHT_LIMIT', async () => {
    const h = await start({ limits: { maxInflight: 3 } });
    const service = await connectService(h);
    await service.subscribeAsync(ERRORS('wl-01'), { qos: 1 });
    const error = nextMessage(service, ERRORS('wl-01'));
    // A raw client that sends QoS 2 messages and never releases them (no PUBREL).
    const socket = connectTcp(h.broker.port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write(
      mqttPacket.generate({
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 4,
        clean: true,
        clientId: 'wl-01',
        keepalive: 60,
        username: 'wl-01',
        password: Buffer.from('secret-wl-01'),
      }),
    );
    await once(socket, 'data'); // CONNACK
    const socketClosed = once(socket, 'close');
    for (let id = 1; id <= 4; id++) {
      socket.write(
        mqttPacket.generate({
          cmd: 'publish',
          topic: TELEMETRY('wl-01'),
          payload: Buffer.from(`q${id}`),
          qos: 2,
          messageId: id,
          retain: false,
          dup: false,
        }),
      );
    }
    await socketClosed;
    const report = parseError(await error);
    expect(report.code).toBe('INFLIGHT_LIMIT');
    expect(report.message).toMatch(/more than 3 QoS 2 messages awaiting PUBREL/);
    expect(await metricValue(h.metrics, 'ioc_mqtt_limit_rejected_total{limit="inflight"}')).toBe(1);
  });

  it('does not rate-limit services', async () => {
    const h = await start({ limits: { deviceRatePerSecond: 1 } });
    const service = await connectService(h);
    await service.subscribeAsync(COMMANDS('wl-01'), { qos: 1 });
    const received = collect(service, COMMANDS('wl-01'));
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        service.publishAsync(COMMANDS('wl-01'), `c${i}`, { qos: 1 }),
      ),
    );
    const last = new Promise<void>((resolve) =>
      service.on('message', (_t, payload) => payload.toString() === 'last' && resolve()),
    );
    await service.publishAsync(COMMANDS('wl-01'), 'last', { qos: 1 });
    await last;
    expect(received).toHaveLength(11);
  });
});

describe('presence', () => {
  it('reports online and a clean offline on the bus, with a snapshot and a gauge', async () => {
    const h = await start();
    const device = await connectDevice(h, 'wl-01');
    const online = await presenceEvent(h, { deviceId: 'wl-01', state: 'online' });
    expect(online.reason).toBe('connect');
    expect(new Date(online.at).toISOString()).toBe(online.at);
    expect(await metricValue(h.metrics, 'ioc_devices_online')).toBe(1);
    expect(h.presence.stateOf('wl-01')?.state).toBe('online');

    await device.endAsync();
    const offline = await presenceEvent(h, { deviceId: 'wl-01', state: 'offline' });
    expect(offline.reason).toBe('disconnect');
    expect(h.presence.snapshot()).toEqual([offline]);
    expect(await metricValue(h.metrics, 'ioc_devices_online')).toBe(0);
    // Services are not devices.
    await connectService(h);
    expect(h.presenceEvents).toHaveLength(2);
  });

  it('publishes the last will and goes offline when the connection drops', async () => {
    const h = await start();
    const service = await connectService(h);
    await service.subscribeAsync(STATUS('wl-01'), { qos: 1 });
    const device = await connectDevice(h, 'wl-01', {
      will: { topic: STATUS('wl-01'), payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    await device.publishAsync(STATUS('wl-01'), 'online', { qos: 1, retain: true });
    const will = new Promise<string>((resolve) =>
      service.on('message', (_t, payload) => {
        if (payload.toString() === 'offline') resolve('offline');
      }),
    );
    device.stream.destroy(); // no DISCONNECT
    expect(await will).toBe('offline');
    expect((await presenceEvent(h, { deviceId: 'wl-01', state: 'offline' })).reason).toBe(
      'connection-lost',
    );
  });

  it('detects a silent device by its keepalive and publishes its will', async () => {
    const h = await start();
    const service = await connectService(h);
    await service.subscribeAsync(STATUS('wl-01'), { qos: 1 });
    const will = nextMessage(service, STATUS('wl-01'));
    // A raw client that connects with keepalive 1 s and then says nothing at all.
    const socket = connectTcp(h.broker.port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write(
      mqttPacket.generate({
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 4,
        clean: true,
        clientId: 'wl-01',
        keepalive: 1,
        username: 'wl-01',
        password: Buffer.from('secret-wl-01'),
        will: { topic: STATUS('wl-01'), payload: Buffer.from('offline'), qos: 1, retain: true },
      }),
    );
    const [connack] = (await once(socket, 'data')) as [Buffer];
    expect([...connack]).toEqual([0x20, 0x02, 0x00, 0x00]);
    expect((await will).toString()).toBe('offline');
    expect((await presenceEvent(h, { deviceId: 'wl-01', state: 'offline' })).reason).toBe(
      'keepalive-timeout',
    );
    socket.destroy();
  });

  it('lets a second connection of a device take over without an offline blip', async () => {
    const h = await start();
    const first = await connectDevice(h, 'wl-01');
    await presenceEvent(h, { deviceId: 'wl-01', state: 'online' });
    const firstClosed = closed(first);
    const second = await connectDevice(h, 'wl-01');
    await firstClosed;
    await second.subscribeAsync(COMMANDS('wl-01'), { qos: 1 });
    expect(h.presenceEvents.map((e) => e.state)).toEqual(['online']);
    expect(h.broker.isDeviceOnline('wl-01')).toBe(true);
    await second.endAsync();
    await presenceEvent(h, { deviceId: 'wl-01', state: 'offline' });
    expect(h.presenceEvents.map((e) => e.state)).toEqual(['online', 'offline']);
  });

  it('reports every device offline when the broker stops, and cuts half-open connections', async () => {
    const h = await start();
    await connectDevice(h, 'wl-01');
    await presenceEvent(h, { deviceId: 'wl-01', state: 'online' });
    const silent = connectTcp(h.broker.port, '127.0.0.1'); // never sends CONNECT
    silent.on('error', () => {});
    await once(silent, 'connect');
    const silentClosed = once(silent, 'close');
    await h.broker.stop();
    await silentClosed;
    expect(h.presence.stateOf('wl-01')).toMatchObject({
      state: 'offline',
      reason: 'broker-stopping',
    });
  });
});

describe('downlink', () => {
  it('publishCommand reaches a subscribed device (QoS 1)', async () => {
    const h = await start();
    const device = await connectDevice(h, 'wl-01');
    await device.subscribeAsync(COMMANDS('wl-01'), { qos: 1 });
    const command = new Promise<{ payload: string; qos: number }>((resolve) =>
      device.once('message', (_t, payload, packet) =>
        resolve({ payload: payload.toString(), qos: packet.qos }),
      ),
    );
    await h.broker.publishCommand('wl-01', JSON.stringify({ action: 'open_gate', value: 30 }));
    expect(await command).toEqual({ payload: '{"action":"open_gate","value":30}', qos: 1 });
    await expect(h.broker.publishCommand('bad/id', 'x')).rejects.toThrow(/invalid device id/);
  });

  it('queues a command for an offline device with a persistent session', async () => {
    const h = await start();
    const device = await connectDevice(h, 'wl-01', { clean: false });
    await device.subscribeAsync(COMMANDS('wl-01'), { qos: 1 });
    await device.endAsync();
    await h.broker.publishCommand('wl-01', 'while you were away');
    // Listen before the session resumes: the queued message follows the CONNACK at once.
    const back = connect(h.url, {
      clientId: 'wl-01',
      username: 'wl-01',
      password: 'secret-wl-01',
      clean: false,
      reconnectPeriod: 0,
    });
    h.clients.push(back);
    expect((await nextMessage(back, COMMANDS('wl-01'))).toString()).toBe('while you were away');
  });
});

describe('WebSocket', () => {
  it('serves devices over WebSocket with the same rules', async () => {
    const h = await start();
    const http = createHttpServer();
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const { port } = http.address() as { port: number };
    h.broker.attachWebSocket(http, '/mqtt');
    try {
      const service = await connectService(h);
      await service.subscribeAsync('ioc/v1/devices/+/telemetry', { qos: 1 });
      const received = nextMessage(service, TELEMETRY('wl-01'));
      const device = await connectAsync(`ws://127.0.0.1:${port}/mqtt`, {
        clientId: 'wl-01',
        username: 'wl-01',
        password: 'secret-wl-01',
        reconnectPeriod: 0,
      });
      h.clients.push(device);
      expect(await grantedQos(device, [COMMANDS('wl-02')])).toEqual([128]);
      await device.publishAsync(TELEMETRY('wl-01'), 'over ws', { qos: 1 });
      expect((await received).toString()).toBe('over ws');
      expect(
        await refusalCode(`ws://127.0.0.1:${port}/mqtt`, {
          username: SERVICE.username,
          password: 'no',
        }),
      ).toBe(4);
    } finally {
      h.broker.detachWebSocket();
      await new Promise((resolve) => http.close(resolve));
    }
  });
});
