import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './browser.js';
import {
  ADMIN_PASSWORD,
  descendantsOf,
  type IocServer,
  isAlive,
  runIoc,
  startIocServer,
} from './ioc-server.js';

// The whole IOC as `npm start` runs it (one process, managed influxd, mediasoup worker,
// simulators), driven from outside through its real interfaces.
describe('ioc start --demo', () => {
  let ioc: IocServer;
  let children: number[] = [];

  beforeAll(async () => {
    ioc = await startIocServer({ args: ['--demo'] });
    children = descendantsOf(ioc.process.pid as number);
  });

  afterAll(async () => {
    await ioc?.stop('SIGKILL');
    for (const pid of children) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    ioc?.cleanup();
  });

  it('prints the URLs and the demo accounts', () => {
    const out = ioc.stdout();
    expect(out).toContain(`${ioc.url}/api/docs`);
    expect(out).toContain(`mqtt://127.0.0.1:${ioc.ports.mqtt}`);
    expect(out).toMatch(/operator \(ioc-operator, demo\)\s+password: \S{20}/);
    // The admin password came from IOC_ADMIN_PASSWORD, so it is not printed.
    expect(out).not.toContain(ADMIN_PASSWORD);
  });

  it('reports every component up on /healthz', async () => {
    // The OPC-UA bridge connects to the demo PLC in the background: allow it a few seconds.
    let res = await fetch(`${ioc.url}/healthz`);
    for (let i = 0; i < 40 && res.status !== 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      res = await fetch(`${ioc.url}/healthz`);
    }
    const body = (await res.json()) as {
      status: string;
      components: Record<string, { status: string }>;
    };
    expect(body.components).toMatchObject({
      influx: { status: 'up' },
      sql: { status: 'up' },
      broker: { status: 'up' },
      media: { status: 'up' },
      web: { status: 'up' },
      opcua: { status: 'up' },
    });
    expect(body.status).toBe('up');
    expect(res.status).toBe(200);
  });

  it('refuses API requests without credentials', async () => {
    for (const path of ['/api/v1/units', '/api/v1/tokens', '/api/v1/auth/me', '/api/v1/audit']) {
      const res = await fetch(`${ioc.url}${path}`);
      expect(res.status, path).toBe(401);
      expect(((await res.json()) as { code: string }).code).toBe('UNAUTHENTICATED');
    }
    const bogus = await fetch(`${ioc.url}/api/v1/units`, {
      headers: {
        authorization: 'Bearer ioc_abcdefabcdef_notarealsecretnotarealsecretnotarealsecret0',
      },
    });
    expect(bogus.status).toBe(401);
    expect(((await bogus.json()) as { code: string }).code).toBe('INVALID_TOKEN');
  });

  it('signs in with a session cookie and serves the unit tree', async () => {
    const wrong = await login('admin', 'not-the-password');
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { code: string }).code).toBe('INVALID_CREDENTIALS');

    const ok = await login('admin', ADMIN_PASSWORD);
    expect(ok.status).toBe(200);
    const cookie = ok.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/ioc_session=[^;]+;.*HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    const session = cookie.split(';')[0] as string;

    const units = await fetch(`${ioc.url}/api/v1/units`, { headers: { cookie: session } });
    expect(units.status).toBe(200);
    const body = (await units.json()) as {
      dataset: string;
      units: Array<{ code: string; name: string; parentCode: string | null }>;
    };
    expect(body.dataset).toBe('da-nang-2025');
    expect(body.units.find((u) => u.code === '48')?.name).toBe('Đà Nẵng');
    expect(body.units.filter((u) => u.parentCode === '48')).toHaveLength(94);

    const logout = await fetch(`${ioc.url}/api/v1/auth/logout`, {
      method: 'POST',
      headers: { cookie: session },
    });
    expect(logout.status).toBe(204);
    const after = await fetch(`${ioc.url}/api/v1/auth/me`, { headers: { cookie: session } });
    expect(after.status).toBe(401);
  });

  it('rejects an invalid login body with a message naming the field', async () => {
    const res = await fetch(`${ioc.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin' }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: string; message: string };
    expect(body.code).toBe('INVALID_REQUEST');
    expect(body.message).toContain('password');
  });

  it('creates API tokens from the CLI through the local channel, and revokes them', async () => {
    const created = await runIoc(['token', 'create', '--role', 'admin', '--json'], ioc.env);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const { id, token, role } = JSON.parse(created.stdout) as {
      id: string;
      token: string;
      role: string;
    };
    expect(role).toBe('admin');
    const auth = { authorization: `Bearer ${token}` };

    const me = await fetch(`${ioc.url}/api/v1/auth/me`, { headers: auth });
    expect(((await me.json()) as { user: { role: string } }).user.role).toBe('admin');

    const audit = (await (await fetch(`${ioc.url}/api/v1/audit`, { headers: auth })).json()) as {
      entries: Array<{ action: string; actor: string; target: string }>;
    };
    expect(
      audit.entries.some(
        (e) =>
          e.action === 'token.create' && e.target === `token:${id}` && e.actor.startsWith('cli:'),
      ),
    ).toBe(true);

    // The database stores only a hash of the secret.
    const list = await runIoc(['token', 'list', '--json'], ioc.env);
    // The secret is everything after `ioc_<id>_` (base64url: it may hold underscores itself).
    expect(list.stdout).not.toContain(token.split('_').slice(2).join('_'));

    const revoked = await runIoc(['token', 'revoke', id], ioc.env);
    expect(revoked.code).toBe(0);
    const denied = await fetch(`${ioc.url}/api/v1/auth/me`, { headers: auth });
    expect(denied.status).toBe(401);
  });

  it('lets a viewer read but not manage tokens', async () => {
    const created = await runIoc(['token', 'create', '--role', 'viewer', '--json'], ioc.env);
    const { token } = JSON.parse(created.stdout) as { token: string };
    const res = await fetch(`${ioc.url}/api/v1/tokens`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(403);
    const units = await fetch(`${ioc.url}/api/v1/units`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(units.status).toBe(200);
  });

  it('serves Prometheus metrics and the OpenAPI document', async () => {
    const metrics = await fetch(`${ioc.url}/metrics`);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    const text = await metrics.text();
    expect(text).toMatch(/^# TYPE ioc_mqtt_connected_clients gauge$/m);
    expect(text).toMatch(/^ioc_process_process_cpu_seconds_total /m);

    const spec = (await (await fetch(`${ioc.url}/api/docs/json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining(['/api/v1/units', '/api/v1/auth/login', '/api/v1/tokens']),
    );
  });

  it('runs an authenticated MQTT broker on TCP and WebSocket', async () => {
    await expect(
      connectAsync(`mqtt://127.0.0.1:${ioc.ports.mqtt}`, {
        reconnectPeriod: 0,
        connectTimeout: 5000,
      }),
    ).rejects.toThrow(/Not authorized/i);
    await expect(
      connectAsync(`mqtt://127.0.0.1:${ioc.ports.mqtt}`, {
        reconnectPeriod: 0,
        username: 'someone',
        password: 'wrong',
      }),
    ).rejects.toThrow(/Bad username or password/i);

    const created = await runIoc(
      ['token', 'create', '--role', 'service', '--name', 'mqtt test', '--json'],
      ioc.env,
    );
    const { token } = JSON.parse(created.stdout) as { token: string };
    const clients: MqttClient[] = [];
    try {
      const tcp = await connectAsync(`mqtt://127.0.0.1:${ioc.ports.mqtt}`, {
        reconnectPeriod: 0,
        username: 'bridge',
        password: token,
      });
      clients.push(tcp);
      // The demo also serves MQTT over TLS with its self-signed certificate.
      const ca = readFileSync(join(ioc.dataDir, 'tls', 'demo-mqtt.crt'));
      const tls = await connectAsync(`mqtts://127.0.0.1:${ioc.ports.mqttTls}`, {
        reconnectPeriod: 0,
        username: 'bridge',
        password: token,
        ca,
      });
      clients.push(tls);
      expect(tls.connected).toBe(true);
      const ws = await connectAsync(`ws://127.0.0.1:${ioc.ports.web}/mqtt`, {
        reconnectPeriod: 0,
        username: 'bridge',
        password: token,
      });
      clients.push(ws);

      // A message over WebSocket reaches a TCP subscriber through the same broker.
      await tcp.subscribeAsync('ioc/v1/devices/+/telemetry', { qos: 1 });
      const received = new Promise<string>((resolve) =>
        tcp.once('message', (_t, p) => resolve(p.toString())),
      );
      const payload = JSON.stringify({ values: { water_level_cm: 142 } });
      await ws.publishAsync('ioc/v1/devices/wl-test-01/telemetry', payload, { qos: 1 });
      expect(await received).toBe(payload);

      // ...and ingest refused it: no such device is provisioned.
      const metrics = await (await fetch(`${ioc.url}/metrics`)).text();
      expect(
        Number(/^ioc_ingest_rejected_total\{code="UNKNOWN_DEVICE"\} (\d+)/m.exec(metrics)?.[1]),
      ).toBeGreaterThanOrEqual(1);
    } finally {
      await Promise.all(clients.map((c) => c.endAsync()));
    }
  });

  it('reads the demo PLC through the OPC-UA bridge, browsable over the API', async () => {
    const created = await runIoc(['token', 'create', '--role', 'admin', '--json'], ioc.env);
    const auth = {
      authorization: `Bearer ${(JSON.parse(created.stdout) as { token: string }).token}`,
    };
    const browse = await fetch(`${ioc.url}/api/v1/opcua/danang-plc/browse`, { headers: auth });
    expect(browse.status).toBe(200);
    const { nodes } = (await browse.json()) as { nodes: Array<{ browseName: string }> };
    expect(nodes.map((n) => n.browseName)).toContain('DaNang');
    const unknown = await fetch(`${ioc.url}/api/v1/opcua/nope/browse`, { headers: auth });
    expect(unknown.status).toBe(404);
    // Pump-station values arrive through the same pipeline as MQTT telemetry.
    let latest: Response | undefined;
    for (let i = 0; i < 40; i++) {
      latest = await fetch(`${ioc.url}/api/v1/telemetry/latest?device=ps-hoa-xuan`, {
        headers: auth,
      });
      if (latest.status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const body = (await latest?.json()) as { values: Record<string, { value: unknown }> };
    expect(typeof body.values.inlet_level_cm?.value).toBe('number');
  });

  it('serves the app that headless Chromium renders', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`${ioc.url}/`);
      await page.waitForSelector('#root form', { timeout: 20_000 });
      expect(await page.locator('#root').count()).toBe(1);
      // Client-side routes load the same app; API paths do not.
      const deep = await page.goto(`${ioc.url}/login`);
      expect(deep?.status()).toBe(200);
      const api404 = await fetch(`${ioc.url}/api/v1/nope`);
      expect(api404.status).toBe(404);
      expect(((await api404.json()) as { code: string }).code).toBe('NOT_FOUND');
    } finally {
      await browser.close();
    }
  });

  it('stops everything on Ctrl-C: influxd and mediasoup workers included', async () => {
    const pidFile = join(ioc.dataDir, 'influxdb', 'influxd.pid');
    const influxPid = Number(readFileSync(pidFile, 'utf8').trim());
    expect(children).toContain(influxPid);
    expect(children.length).toBeGreaterThanOrEqual(2); // influxd + at least one mediasoup worker
    const code = await ioc.stop('SIGINT');
    expect(code, ioc.stdout().split('\n').slice(-40).join('\n')).toBe(0);
    expect(children.filter(isAlive)).toEqual([]);
  });

  async function login(username: string, password: string): Promise<Response> {
    return fetch(`${ioc.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
  }
});
