import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, HealthRegistry, LiveBus, type LiveEvents, loadConfig } from '@ioc/core';
import { connectAsync, type IClientOptions } from 'mqtt';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MqttAuthenticator } from './identity.js';
import { start } from './index.js';
import {
  connectService,
  type Harness,
  metricValue,
  nextMessage,
  refusalCode,
  startHarness,
} from './test-harness.js';

/** A throwaway PKI made with openssl: a CA, a server certificate and device certificates. */
let dir: string;
const file = (name: string) => join(dir, name);
const pem = (name: string) => readFileSync(file(name));

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

function newKeyAndRequest(name: string, cn: string): void {
  openssl(
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    `/CN=${cn}`,
  );
}

function sign(name: string, ca: string, extensions: string): void {
  writeFileSync(file(`${name}.ext`), extensions);
  openssl(
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.crt`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-days',
    '2',
    '-out',
    `${name}.crt`,
    '-extfile',
    `${name}.ext`,
  );
}

function selfSignedCa(name: string, cn: string): void {
  openssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.crt`,
    '-days',
    '2',
    '-subj',
    `/CN=${cn}`,
  );
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ioc-broker-tls-'));
  selfSignedCa('ca', 'IOC test device CA');
  selfSignedCa('rogue-ca', 'Someone else');
  newKeyAndRequest('server', 'localhost');
  sign('server', 'ca', 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  for (const [name, cn, ca] of [
    ['wl-01', 'wl-01', 'ca'],
    ['unknown', 'unknown-99', 'ca'],
    ['forged', 'wl-01', 'rogue-ca'],
  ] as const) {
    newKeyAndRequest(name, cn);
    sign(name, ca, 'extendedKeyUsage=clientAuth\n');
  }
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

async function startTlsHarness(): Promise<{ h: Harness; url: string }> {
  harness = await startHarness({
    tls: { port: 0, cert: pem('server.crt'), key: pem('server.key'), ca: pem('ca.crt') },
    loginThrottle: { maxFailures: 100 },
  });
  return { h: harness, url: `mqtts://127.0.0.1:${harness.broker.tlsPort}` };
}

function withCertificate(name: string): IClientOptions {
  return {
    clientId: 'wl-01',
    ca: pem('ca.crt'),
    cert: pem(`${name}.crt`),
    key: pem(`${name}.key`),
    reconnectPeriod: 0,
    connectTimeout: 5000,
  };
}

describe('MQTT over TLS', () => {
  it('logs a device in by its client certificate, without a password', async () => {
    const { h, url } = await startTlsHarness();
    const service = await connectService(h);
    await service.subscribeAsync('ioc/v1/devices/+/telemetry', { qos: 1 });
    const received = nextMessage(service, 'ioc/v1/devices/wl-01/telemetry');

    const device = await connectAsync(url, withCertificate('wl-01'));
    h.clients.push(device);
    await device.publishAsync('ioc/v1/devices/wl-01/telemetry', 'by certificate', { qos: 1 });
    expect((await received).toString()).toBe('by certificate');
    expect(h.presence.stateOf('wl-01')?.state).toBe('online');
  });

  it('refuses a valid certificate for an unknown device, and one from another CA', async () => {
    const { h, url } = await startTlsHarness();
    expect(await refusalCode(url, { ...withCertificate('unknown'), clientId: 'unknown-99' })).toBe(
      5,
    );
    expect(await refusalCode(url, withCertificate('forged'))).toBe(5);
    expect(await metricValue(h.metrics, 'ioc_mqtt_auth_failures_total{reason="refused"}')).toBe(1);
    expect(
      await metricValue(h.metrics, 'ioc_mqtt_auth_failures_total{reason="untrusted_certificate"}'),
    ).toBe(1);
    // The forged certificate never reached the authenticator.
    expect(h.authenticatorCalls).toBe(1);
  });

  it('still requires the client id to be the device id, and a matching username', async () => {
    const { url } = await startTlsHarness();
    expect(await refusalCode(url, { ...withCertificate('wl-01'), clientId: 'other' })).toBe(2);
    expect(
      await refusalCode(url, { ...withCertificate('wl-01'), username: 'wl-02', password: 'x' }),
    ).toBe(4);
  });

  it('accepts a secret over TLS from a device without a certificate', async () => {
    const { h, url } = await startTlsHarness();
    const device = await connectAsync(url, {
      clientId: 'wl-02',
      username: 'wl-02',
      password: 'secret-wl-02',
      ca: pem('ca.crt'),
      reconnectPeriod: 0,
    });
    h.clients.push(device);
    expect(device.connected).toBe(true);
    expect(
      await refusalCode(url, { clientId: 'wl-02', username: 'wl-02', ca: pem('ca.crt') }),
    ).toBe(5);
  });
});

describe('start() from configuration', () => {
  it('serves TCP and TLS, registers health and metrics, and puts presence on the bus', async () => {
    const config = loadConfig({
      env: {},
      cwd: dir,
      overrides: {
        mqtt: {
          port: 0,
          tlsPort: 0,
          tls: {
            certFile: file('server.crt'),
            keyFile: file('server.key'),
            caFile: file('ca.crt'),
          },
          deviceRatePerSecond: 5,
        },
      },
    });
    expect(config.mqtt.maxPayloadBytes).toBe(64 * 1024);
    const bus = new LiveBus();
    const events: Array<LiveEvents['device.presence']> = [];
    bus.subscribe('device.presence', (e) => events.push(e));
    const health = new HealthRegistry();
    const metrics = new Registry();
    const authenticate: MqttAuthenticator = async (username, _password, { certificateCn }) =>
      certificateCn === 'wl-01' ? { kind: 'device', deviceId: username } : undefined;
    const running = await start(config, {
      logger: createLogger('silent'),
      health,
      metrics,
      bus,
      authenticate,
    });
    try {
      expect(running.broker.limits).toEqual({
        maxPayloadBytes: 64 * 1024,
        maxInflight: 100,
        deviceRatePerSecond: 5,
      });
      const device = await connectAsync(
        `mqtts://127.0.0.1:${running.broker.tlsPort}`,
        withCertificate('wl-01'),
      );
      expect(events).toEqual([expect.objectContaining({ deviceId: 'wl-01', state: 'online' })]);
      expect(running.presence.onlineCount).toBe(1);
      const text = await metrics.metrics();
      expect(text).toMatch(/^ioc_devices_online 1$/m);
      expect(text).toMatch(/^ioc_mqtt_connected_clients 1$/m);
      expect(text).toMatch(/^# TYPE ioc_mqtt_acl_denied_total counter$/m);
      await device.endAsync();
      expect(
        await refusalCode(`mqtt://127.0.0.1:${running.broker.port}`, {
          username: 'a',
          password: 'b',
        }),
      ).toBe(4);
    } finally {
      await running.stop();
    }
    expect(await metrics.metrics()).not.toMatch(/ioc_devices_online|ioc_mqtt_/);
  });

  it('fails to start with a StartupError naming mqtt.tls for a bad key', async () => {
    writeFileSync(file('broken.key'), 'not a key');
    const config = loadConfig({
      env: {},
      cwd: dir,
      overrides: {
        mqtt: {
          port: 0,
          tlsPort: 0,
          tls: { certFile: file('server.crt'), keyFile: file('broken.key') },
        },
      },
    });
    const deps = {
      logger: createLogger('silent'),
      health: new HealthRegistry(),
      metrics: new Registry(),
      bus: new LiveBus(),
      authenticate: async () => undefined,
    };
    await expect(start(config, deps)).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(/MQTT TLS certificate, key or CA \(mqtt\.tls\)/),
    });
    const missing = {
      ...config,
      mqtt: { ...config.mqtt, tls: { certFile: file('nope.crt'), keyFile: file('server.key') } },
    };
    await expect(start(missing, deps)).rejects.toThrow(/nope\.crt/);
  });
});
