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

  it('stores JSON and SenML telemetry in InfluxDB with registry tags, and explains refusals', async () => {
    const device = await addDevice('wl-thanh-khe-01', 'water-level', '20209');
    const station = await connect(device.id, device.secret);
    await station.subscribeAsync(`ioc/v1/devices/${device.id}/errors`, { qos: 1 });
    const t0 = Date.now() - 60_000;
    const topic = `ioc/v1/devices/${device.id}/telemetry`;
    await station.publishAsync(topic, JSON.stringify({ ts: t0, values: { level_cm: 120.5 } }), {
      qos: 1,
    });
    await station.publishAsync(
      topic,
      JSON.stringify([{ bn: `${device.id}/`, bt: (t0 + 1000) / 1000, n: 'level_cm', v: 121 }]),
      { qos: 1 },
    );
    // One good and one out-of-range value: the good one is stored, the device is told why.
    const refusal = new Promise<{ code: string; message: string }>((resolve) =>
      station.once('message', (_t, p) => resolve(JSON.parse(p.toString()))),
    );
    await station.publishAsync(
      topic,
      JSON.stringify({ ts: t0 + 2000, values: { level_cm: 122, battery_v: 999 } }),
      { qos: 1 },
    );
    expect(await refusal).toMatchObject({ code: 'OUT_OF_RANGE' });

    // PUBACK came after the spool; InfluxDB has the points once the spool drains.
    const influx = `http://127.0.0.1:${ioc.ports.influx}/query?db=ioc&epoch=ms&q=`;
    const select = encodeURIComponent(`SELECT * FROM telemetry WHERE device = '${device.id}'`);
    let rows: unknown[][] = [];
    let columns: string[] = [];
    for (let i = 0; i < 50 && rows.length < 3; i++) {
      const body = (await (await fetch(influx + select)).json()) as {
        results: Array<{ series?: Array<{ columns: string[]; values: unknown[][] }> }>;
      };
      columns = body.results[0]?.series?.[0]?.columns ?? [];
      rows = body.results[0]?.series?.[0]?.values ?? [];
      if (rows.length < 3) await new Promise((r) => setTimeout(r, 200));
    }
    const at = (row: unknown[], column: string) => row[columns.indexOf(column)];
    expect(rows.map((r) => [at(r, 'time'), at(r, 'level_cm')])).toEqual([
      [t0, 120.5],
      [t0 + 1000, 121],
      [t0 + 2000, 122],
    ]);
    expect(columns).not.toContain('battery_v'); // the refused value was not stored
    expect(
      rows.every(
        (r) =>
          at(r, 'unit') === '20209' &&
          at(r, 'type') === 'water-level' &&
          at(r, 'sector') === 'environment',
      ),
    ).toBe(true);

    const history = (await (
      await api(
        `/api/v1/telemetry?device=${device.id}&metric=level_cm&from=${new Date(t0 - 60_000).toISOString()}&every=1h&aggregate=max`,
      )
    ).json()) as { samples: Array<{ value: number }> };
    expect(Math.max(...history.samples.map((s) => s.value))).toBe(122);
    const latest = (await (await api(`/api/v1/telemetry/latest?device=${device.id}`)).json()) as {
      values: Record<string, { value: number }>;
    };
    expect(latest.values.level_cm?.value).toBe(122);
  });

  it('refuses a wrong secret, and cuts off a revoked device', async () => {
    const device = await addDevice('rg-hoa-vang-01', 'rain-gauge', '20333');
    await expect(connect(device.id, 'wrong-secret-wrong-secret')).rejects.toThrow(
      /Bad username or password/i,
    );
    const connected = await connect(device.id, device.secret);
    const dropped = new Promise<void>((resolve) => connected.once('close', () => resolve()));
    const revoked = await runIoc(['device', 'revoke', device.id], ioc.env);
    expect(revoked.code, revoked.stderr).toBe(0);
    await dropped; // its open connection is closed at once
    await expect(connect(device.id, device.secret)).rejects.toThrow(/Not authorized/i);
  });

  it('disables a device over REST (login refused, connection closed) and enables it again', async () => {
    const device = await addDevice('wl-son-tra-01', 'water-level', '20194');
    const post = (action: string, token?: string) =>
      api(`/api/v1/devices/${device.id}/${action}`, { method: 'POST', token });

    const viewer = await token('viewer');
    expect((await post('disable', viewer)).status).toBe(403);
    expect((await post('enable', viewer)).status).toBe(403);
    expect((await api('/api/v1/devices/no-such-device/disable', { method: 'POST' })).status).toBe(
      404,
    );

    const connected = await connect(device.id, device.secret);
    const dropped = new Promise<void>((resolve) => connected.once('close', () => resolve()));
    const disabled = await post('disable');
    expect(disabled.status).toBe(200);
    expect(((await disabled.json()) as { device: { enabled: boolean } }).device.enabled).toBe(
      false,
    );
    await dropped; // the open connection is closed at once
    await expect(connect(device.id, device.secret)).rejects.toThrow(/Not authorized/i);

    const enabled = await post('enable');
    expect(enabled.status).toBe(200);
    expect(((await enabled.json()) as { device: { enabled: boolean } }).device.enabled).toBe(true);
    const again = await connect(device.id, device.secret);
    expect(again.connected).toBe(true);

    const audit = (await (await api('/api/v1/audit?limit=50')).json()) as {
      entries: Array<{ action: string; target: string; ip?: string | null }>;
    };
    for (const action of ['device.disable', 'device.enable']) {
      expect(audit.entries).toContainEqual(
        expect.objectContaining({
          action,
          target: `device:${device.id}`,
          ip: expect.stringContaining('127.0.0.1'),
        }),
      );
    }

    // A revoked device is final: neither switch applies to it.
    await again.endAsync(true);
    expect((await post('revoke')).status).toBe(200);
    const refused = await post('enable');
    expect(refused.status).toBe(409);
    expect(await refused.json()).toMatchObject({ code: 'DEVICE_REVOKED' });
    expect((await post('disable')).status).toBe(409);
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
    // Viewers read devices (API tokens are not scoped by rooms) but never provision them.
    expect((await api('/api/v1/devices', { token: viewer })).status).toBe(200);
    expect((await api('/api/v1/devices/x/rotate', { method: 'POST', token: viewer })).status).toBe(
      403,
    );
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
