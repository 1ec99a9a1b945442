import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, InfluxSupervisor } from '@ioc/core';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './free-port.js';
import {
  descendantsOf,
  type IocServer,
  iocEnvironment,
  isAlive,
  runIoc,
  startIocServer,
} from './ioc-server.js';

const DEVICES = 10;
const PER_DEVICE = 2_000;
const TOTAL = DEVICES * PER_DEVICE;
/** Unacknowledged messages one publisher keeps in flight: progress stays gradual. */
const WINDOW = 20;

type Environment = Awaited<ReturnType<typeof iocEnvironment>>;

// Issue 3, the loss test: 20,000 QoS 1 messages from 10 devices while InfluxDB is stopped for
// a quarter of the run and the IOC is killed (SIGKILL) and started again once. Every message
// a device got a PUBACK for must end up in InfluxDB exactly once.
describe('ingest loses nothing across an InfluxDB outage and an IOC crash', () => {
  const silent = createLogger('silent');
  let influxDir: string;
  let influxPorts: { port: number; rpcPort: number };
  let influx: InfluxSupervisor;
  let environment: Environment;
  let ioc: IocServer;
  const publishers: MqttClient[] = [];
  let devices: Array<{ id: string; secret: string }> = [];

  const newInflux = () =>
    new InfluxSupervisor({
      dataDir: influxDir,
      host: '127.0.0.1',
      ...influxPorts,
      binary: 'influxd',
      logger: silent,
    });

  beforeAll(async () => {
    influxDir = mkdtempSync(join(tmpdir(), 'ioc-loss-influx-'));
    influxPorts = { port: await freePort(), rpcPort: await freePort() };
    influx = newInflux();
    await influx.start();

    environment = await iocEnvironment({
      INFLUX_URL: influx.url,
      // The devices publish far faster than a field device may.
      IOC_MQTT_DEVICE_RATE: '0',
      IOC_MEDIA_WORKERS: '1',
    });
    const csv = join(environment.dataDir, 'devices.csv');
    const rows = Array.from(
      { length: DEVICES },
      (_, i) => `wl-loss-${String(i).padStart(2, '0')},Loss test ${i},water-level,20194,,,,`,
    );
    writeFileSync(csv, `id,name,type,unit,sector,lat,lon,tags\n${rows.join('\n')}\n`);
    const imported = await runIoc(['device', 'import', csv, '--json'], environment.env);
    expect(imported.code, imported.stderr).toBe(0);
    devices = (JSON.parse(imported.stdout) as { created: Array<{ id: string; secret: string }> })
      .created;
    expect(devices).toHaveLength(DEVICES);

    ioc = await startIocServer({ environment });
  }, 120_000);

  afterAll(async () => {
    await Promise.all(publishers.map((c) => c.endAsync(true)));
    await ioc?.stop('SIGKILL');
    ioc?.cleanup();
    await influx?.stop();
    rmSync(influxDir, { recursive: true, force: true });
  });

  async function influxQuery(q: string): Promise<unknown[][]> {
    const url = `${influx.url}/query?db=ioc&epoch=ms&q=${encodeURIComponent(q)}`;
    const body = (await (await fetch(url)).json()) as {
      results: Array<{ error?: string; series?: Array<{ values: unknown[][] }> }>;
    };
    const result = body.results[0];
    if (result?.error) throw new Error(`InfluxDB: ${result.error}`);
    return result?.series?.flatMap((s) => s.values) ?? [];
  }

  /** Kills the IOC's whole process group, checks nothing of it survived, starts it again. */
  async function crashAndRestart(): Promise<{ killedAt: number; upAt: number }> {
    const pid = ioc.process.pid as number;
    const children = descendantsOf(pid);
    expect(children.length).toBeGreaterThan(0); // the mediasoup worker at least
    await ioc.stop('SIGKILL');
    const killedAt = Date.now();
    for (let i = 0; i < 50 && children.some(isAlive); i++) await delay(100);
    expect(children.filter(isAlive)).toEqual([]);
    ioc = await startIocServer({ environment });
    return { killedAt, upAt: Date.now() };
  }

  it('stores every acknowledged message exactly once', async () => {
    const started = Date.now();
    const base = started - 30 * 60_000; // inside the 7-day window, well before "now + 5 min"
    let acked = 0;
    let resent = 0;
    const timeline: Record<string, number> = {};
    const mark = (what: string) => {
      timeline[what] = Date.now() - started;
    };

    // The disruptions run beside the publishers, triggered by how many PUBACKs came back.
    let disruptions = Promise.resolve();
    const at = (count: number, action: () => Promise<void>) => ({ count, action, done: false });
    const milestones = [
      at(TOTAL * 0.25, async () => {
        await influx.stop();
        mark('influx stopped');
      }),
      at(TOTAL * 0.5, async () => {
        influx = newInflux();
        await influx.start();
        mark('influx started');
      }),
      at(TOTAL * 0.6, async () => {
        const { killedAt, upAt } = await crashAndRestart();
        timeline['ioc killed'] = killedAt - started;
        timeline['ioc up again'] = upAt - started;
      }),
    ];
    const onAck = () => {
      acked++;
      for (const milestone of milestones) {
        if (!milestone.done && acked >= milestone.count) {
          milestone.done = true;
          disruptions = disruptions.then(milestone.action);
        }
      }
    };

    for (const device of devices) {
      const client = await connectAsync(`mqtt://127.0.0.1:${environment.ports.mqtt}`, {
        clientId: device.id,
        username: device.id,
        password: device.secret,
        clean: false,
        reconnectPeriod: 500,
        connectTimeout: 5_000,
      });
      // mqtt.js resends what is still in its outgoing store after a reconnect, marked dup.
      client.on('packetsend', (packet) => {
        if (packet.cmd === 'publish' && packet.dup) resent++;
      });
      publishers.push(client);
    }

    const topic = (id: string) => `ioc/v1/devices/${id}/telemetry`;
    await Promise.all(
      publishers.map(async (client, d) => {
        const id = (devices[d] as { id: string }).id;
        const inFlight = new Set<Promise<void>>();
        for (let i = 0; i < PER_DEVICE; i++) {
          const payload = JSON.stringify({ ts: base + i, values: { level_cm: i % 3000 } });
          const sent: Promise<void> = client
            .publishAsync(topic(id), payload, { qos: 1 })
            .then(() => {
              inFlight.delete(sent);
              onAck();
            });
          inFlight.add(sent);
          if (inFlight.size >= WINDOW) await Promise.race(inFlight);
        }
        await Promise.all(inFlight);
      }),
    );
    mark('all acknowledged');
    await disruptions;
    expect(milestones.every((m) => m.done)).toBe(true);
    expect(acked).toBe(TOTAL);

    // The spool drains into InfluxDB after the outage and the replay after the crash.
    let count = 0;
    for (let i = 0; i < 240 && count < TOTAL; i++) {
      count = Number((await influxQuery('SELECT count(level_cm) FROM telemetry'))[0]?.[1] ?? 0);
      if (count < TOTAL) await delay(500);
    }
    mark('all in InfluxDB');
    console.info(`ingest loss test: timeline (ms) ${JSON.stringify(timeline)}; resent ${resent}`);
    expect(count).toBe(TOTAL);

    // Per device: every timestamp once, first and last where they were sent.
    const perDevice = await influxQuery(
      'SELECT count(level_cm), first(level_cm), last(level_cm) FROM telemetry GROUP BY device',
    );
    expect(perDevice).toHaveLength(DEVICES);
    const bounds = await influxQuery(
      `SELECT count(level_cm) FROM telemetry WHERE time >= ${base}ms AND time < ${base + PER_DEVICE}ms GROUP BY device`,
    );
    expect(bounds.map((row) => row[1])).toEqual(Array(DEVICES).fill(PER_DEVICE));
    for (const row of perDevice) {
      expect(row.slice(1)).toEqual([PER_DEVICE, 0, (PER_DEVICE - 1) % 3000]);
    }

    const health = await fetch(`${ioc.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({
      components: { ingest: { status: 'up' }, influx: { status: 'up' } },
    });
  }, 180_000);
});

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
