import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IocServer, runIoc, startIocServer } from './ioc-server.js';

// Devices end to end: provisioned with the CLI, connecting to the real broker with their own
// credentials, kept to their own topics, revoked, commanded over REST, imported in bulk.
describe('devices: provisioning, broker authentication and ACL', () => {
  let ioc: IocServer;
  let adminToken: string;
  let serviceToken: string;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    ioc = await startIocServer();
    adminToken = await token('admin');
    serviceToken = await token('service');
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await ioc?.stop('SIGINT');
    ioc?.cleanup();
  });

  async function token(role: string): Promise<string> {
    const created = await runIoc(['token', 'create', '--role', role, '--json'], ioc.env);
    expect(created.code, created.stderr).toBe(0);
    return (JSON.parse(created.stdout) as { token: string }).token;
  }

  async function addDevice(id: string, type = 'water-level', unit = '20194') {
    const added = await runIoc(
      ['device', 'add', '--id', id, '--type', type, '--unit', unit, '--json'],
      ioc.env,
    );
    expect(added.code, added.stderr).toBe(0);
    return JSON.parse(added.stdout) as { id: string; secret: string };
  }

  async function connect(
    username: string,
    password: string,
    clientId = username,
  ): Promise<MqttClient> {
    const client = await connectAsync(`mqtt://127.0.0.1:${ioc.ports.mqtt}`, {
      clientId,
      username,
      password,
      reconnectPeriod: 0,
      connectTimeout: 5000,
    });
    clients.push(client);
    return client;
  }

  function api(path: string, init: RequestInit & { token?: string } = {}) {
    return fetch(`${ioc.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${init.token ?? adminToken}`, ...(init.headers ?? {}) },
    });
  }

  it('prints the catalogue with metrics, units and ranges', async () => {
    const out = await runIoc(['device', 'types', '--json'], ioc.env);
    const types = JSON.parse(out.stdout) as Array<{
      id: string;
      metrics: Array<{ key: string; unit: string; min?: number; max?: number }>;
    }>;
    expect(types.map((t) => t.id)).toEqual(
      expect.arrayContaining([
        'water-level',
        'rain-gauge',
        'air-quality',
        'weather',
        'traffic-counter',
        'dc-environment',
        'pump-station',
        'sluice-gate',
      ]),
    );
    const level = types
      .find((t) => t.id === 'water-level')
      ?.metrics.find((m) => m.key === 'level_cm');
    expect(level).toMatchObject({ unit: 'cm' });
    expect(typeof level?.max).toBe('number');
  });

  it('lets a provisioned device publish its telemetry and nothing else', async () => {
    const device = await addDevice('wl-hai-van-01');
    expect(device.secret.length).toBeGreaterThanOrEqual(32);

    const service = await connect('bridge', serviceToken, 'e2e-service');
    await service.subscribeAsync('ioc/v1/devices/+/telemetry', { qos: 1 });
    const station = await connect(device.id, device.secret);
    await station.subscribeAsync(`ioc/v1/devices/${device.id}/errors`, { qos: 1 });

    const delivered = new Promise<string>((resolve) =>
      service.once('message', (topic) => resolve(topic)),
    );
    await station.publishAsync(
      `ioc/v1/devices/${device.id}/telemetry`,
      JSON.stringify({ values: { level_cm: 152 } }),
      { qos: 1 },
    );
    expect(await delivered).toBe(`ioc/v1/devices/${device.id}/telemetry`);

    const refusal = new Promise<{ code: string; topic: string }>((resolve) =>
      station.once('message', (_topic, payload) => resolve(JSON.parse(payload.toString()))),
    );
    await station
      .publishAsync('ioc/v1/devices/someone-else/telemetry', '{"values":{}}', { qos: 1 })
      .catch(() => undefined);
    expect(await refusal).toMatchObject({
      code: 'FORBIDDEN_TOPIC',
      topic: 'ioc/v1/devices/someone-else/telemetry',
    });

    // Refused subscriptions get SUBACK 0x80, which mqtt.js turns into an error.
    await expect(
      station.subscribeAsync('ioc/v1/devices/someone-else/commands', { qos: 1 }),
    ).rejects.toThrow(/Subscribe error/);

    const listed = (await (await api(`/api/v1/devices/${device.id}`)).json()) as {
      device: { lastSeenAt: string | null };
    };
    expect(listed.device.lastSeenAt).not.toBeNull();
  });

  it('refuses a wrong secret, and a revoked device', async () => {
    const device = await addDevice('rg-hoa-vang-01', 'rain-gauge', '20333');
    await expect(connect(device.id, 'wrong-secret-wrong-secret')).rejects.toThrow(
      /Bad username or password/i,
    );
    const revoked = await runIoc(['device', 'revoke', device.id], ioc.env);
    expect(revoked.code, revoked.stderr).toBe(0);
    await expect(connect(device.id, device.secret)).rejects.toThrow(/Not authorized/i);
  });

  it('sends a command from the API to the device, audited', async () => {
    const device = await addDevice('sg-cam-le-01', 'sluice-gate', '20260');
    const gate = await connect(device.id, device.secret);
    await gate.subscribeAsync(`ioc/v1/devices/${device.id}/commands`, { qos: 1 });
    const command = new Promise<unknown>((resolve) =>
      gate.once('message', (_t, p) => resolve(JSON.parse(p.toString()))),
    );
    const res = await api(`/api/v1/devices/${device.id}/commands`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ opening_pct: 40 }),
    });
    expect(res.status).toBe(202);
    expect(await command).toEqual({ opening_pct: 40 });
    const audit = (await (await api('/api/v1/audit?limit=20')).json()) as {
      entries: Array<{ action: string; target: string }>;
    };
    expect(audit.entries).toContainEqual(
      expect.objectContaining({ action: 'device.command', target: `device:${device.id}` }),
    );
  });

  it('answers bad REST input with what to fix, and keeps viewers out', async () => {
    const bad = await api('/api/v1/devices', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'x-1', type: 'water-level', unit: '99999' }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toContain('99999');
    const unknown = await api('/api/v1/devices/no-such-device');
    expect(unknown.status).toBe(404);
    const viewer = await token('viewer');
    expect((await api('/api/v1/devices', { token: viewer })).status).toBe(403);
  });

  it('imports a CSV file, creating the good rows and reporting the bad ones', async () => {
    const file = join(ioc.dataDir, 'devices.csv');
    writeFileSync(
      file,
      'id,name,type,unit,sector,lat,lon,tags\n' +
        'aq-hai-chau-01,"Trạm không khí Hải Châu, số 1",air-quality,20242,,16.07,108.22,\n' +
        'aq-bad-unit,Bad,air-quality,00000,,,,\n',
    );
    const imported = await runIoc(['device', 'import', file, '--json'], ioc.env);
    expect(imported.code).toBe(1);
    const report = JSON.parse(imported.stdout) as {
      created: Array<{ id: string }>;
      errors: Array<{ row: number; message: string }>;
    };
    expect(report.created.map((d) => d.id)).toEqual(['aq-hai-chau-01']);
    expect(report.errors).toHaveLength(1);
    expect(report.errors[0]).toMatchObject({ row: 3 });
    expect(report.errors[0]?.message).toContain('00000');
    const listed = (await (await api('/api/v1/devices?type=air-quality')).json()) as {
      devices: Array<{ id: string; name: string }>;
    };
    expect(listed.devices.map((d) => d.name)).toContain('Trạm không khí Hải Châu, số 1');
  });
});
