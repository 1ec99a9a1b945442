import * as broker from '@ioc/broker';
import {
  ApiTokens,
  type AppConfig,
  AuditLog,
  assertPortFree,
  HealthRegistry,
  LiveBus,
  type Logger,
  loadUnitTree,
  openSqlStore,
  type PortSetting,
  type RunningService,
  requireInfluxd,
  type ServiceDeps,
  SessionStore,
  StartupError,
  startInflux,
  UserAccounts,
} from '@ioc/core';
import { DeviceRegistry, loadDeviceCatalogue } from '@ioc/devices';
import * as ingest from '@ioc/ingest';
import * as web from '@ioc/ioc-web';
import * as media from '@ioc/media';
import * as simulators from '@ioc/simulators';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { DEMO_ROOM_MEMBERS, type DemoAccount, ensureDemoAccounts } from './demo-accounts.js';
import { ensureDemoConference } from './demo-conference.js';
import { mqttLogin } from './mqtt-login.js';

export const ROLES = ['broker', 'ingest', 'media', 'web', 'simulators'] as const;
export type ProcessRole = (typeof ROLES)[number];

export interface IocProcessOptions {
  roles: ProcessRole[];
  logger: Logger;
}

export interface RunningIocProcess {
  webUrl?: string;
  mqttUrl?: string;
  influxUrl: string;
  influxManaged: boolean;
  admin: { created: boolean; password?: string };
  demoAccounts: DemoAccount[];
  /** Stops every service, newest first. `signal` says why (it is announced on the bus first). */
  stop(signal?: string): Promise<void>;
}

/**
 * Hosts the chosen services in this process (all of them for `ioc start`): opens the shared
 * stores, then starts each service in dependency order. If anything fails, everything already
 * started is stopped again before the error propagates, so a failed start leaves nothing behind.
 */
export async function startIocProcess(
  config: AppConfig,
  { roles, logger }: IocProcessOptions,
): Promise<RunningIocProcess> {
  const has = (role: ProcessRole) => roles.includes(role);
  if (has('ingest') && !has('broker')) {
    throw new Error('ingest needs the broker in the same process (no external MQTT yet)');
  }
  await preflight(config, roles);

  const started: Array<[string, RunningService]> = [];
  const stopAll = async () => {
    for (const [name, service] of started.reverse()) {
      logger.debug({ part: name }, 'stopping');
      await service
        .stop()
        .catch((err) => logger.error({ err, part: name }, 'error while stopping'));
    }
  };

  try {
    const metrics = new Registry();
    collectDefaultMetrics({ register: metrics, prefix: 'ioc_process_' });
    const health = new HealthRegistry();
    const bus = new LiveBus();
    const deps: ServiceDeps = { logger, health, metrics, bus };

    const sql = await openSqlStore(config, logger);
    started.push(['sql', { stop: () => sql.close() }]);
    health.register('sql', async () => {
      await sql.ping();
      return { status: 'up', reason: sql.kind };
    });

    const influx = await startInflux(config, logger);
    started.push(['influx', influx]);
    health.register('influx', () => influx.store.ping());

    const units = await loadUnitTree(config.units.dataset);
    for (const note of units.notes) logger.info({ dataset: config.units.dataset }, note);
    const accounts = new UserAccounts(sql);
    const tokens = new ApiTokens(sql);
    const audit = new AuditLog(sql);
    const admin = await accounts.ensureAdmin(config.auth.adminPassword);
    if (admin.created)
      await audit.record({ actor: 'system', action: 'user.create', target: 'user:admin' });
    const demoAccounts = config.demo ? await ensureDemoAccounts(config, accounts) : [];
    const rooms = new web.RoomStore(sql);
    if (config.demo) {
      await web.seedDemoRooms({ rooms, units, accounts, audit, members: DEMO_ROOM_MEMBERS });
    }

    // Scheduled conferences and their join links (SQL): the web's REST and the SFU's admission.
    const conferences = new media.ConferenceStore({
      sql,
      units,
      roomScopesOf: async (userId) => (await rooms.membershipsOf(userId)).map((m) => m.scope),
    });
    if (config.demo) await ensureDemoConference(conferences, units);

    const catalogue = await loadDeviceCatalogue();
    const devices = new DeviceRegistry({ sql, catalogue, units, logger });
    // Last-seen follows presence (connects and disconnects).
    bus.subscribe('device.presence', (event) => {
      devices.touch(event.deviceId, new Date(event.at)).catch((err) => {
        logger.warn({ err, deviceId: event.deviceId }, 'could not record last-seen');
      });
    });
    // Ingest starts first: the broker hands it every telemetry message before acknowledging
    // it, so an acknowledged message is on disk. Ingest answers devices through the broker.
    let mqtt: broker.MqttBroker | undefined;
    let presence: broker.DevicePresence | undefined;
    let runningIngest: ingest.RunningIngest | undefined;
    if (has('ingest')) {
      runningIngest = await ingest.start(withDemoRules(config), {
        ...deps,
        influx: influx.store,
        sql,
        devices,
        units,
        publish: (topic, payload) => mqtt?.publish(topic, payload),
        onDeviceReport: (deviceId, receivedAt) => presence?.reported(deviceId, receivedAt),
      });
      started.push(['ingest', runningIngest]);
      // Walls follow accepted telemetry: one bus event per accepted message.
      runningIngest.pipeline.on('accepted', (points) => {
        bus.publish('telemetry.latest', {
          points: points.map((p) => ({
            deviceId: p.device,
            unit: p.unit,
            sector: p.sector,
            ts: p.ts,
            values: p.fields,
          })),
        });
      });
    }
    // Read now so that a bad file stops the start early; applied once everything runs.
    const file = has('ingest') ? config.ingest.opcuaMappingFile : undefined;
    const opcuaMapping = file ? await loadMapping(file) : undefined;
    let mqttUrl: string | undefined;
    let runningBroker: broker.RunningBroker | undefined;
    if (has('broker')) {
      runningBroker = await broker.start(config, {
        ...deps,
        authenticate: mqttLogin(tokens, devices),
        telemetrySink: runningIngest?.acceptTelemetry,
      });
      started.push(['broker', runningBroker]);
      mqtt = runningBroker.broker;
      presence = runningBroker.presence;
      // Ingest sees every report (MQTT and OPC-UA): presence then also judges missed reports.
      if (runningIngest) {
        presence.watchReports({
          missedReports: config.ingest.offlineAfterMissedReports,
          expectedIntervalMs: async (deviceId) => {
            const device = await devices.get(deviceId);
            const type = device && catalogue.get(device.type);
            return type ? type.reportIntervalS * 1000 : undefined;
          },
        });
      }
      // A revoked or disabled device loses its open connections at once, not at its next login.
      const connections = mqtt;
      devices.on('revoked', (device) => connections.disconnectDevice(device.id, 'revoked'));
      devices.on('enabled-changed', (device) => {
        if (!device.enabled) connections.disconnectDevice(device.id, 'disabled');
      });
      mqttUrl = `mqtt://${hostForUrl(config.mqtt.host)}:${mqtt.port}`;
    }
    let runningMedia: media.MediaService | undefined;
    if (has('media')) {
      runningMedia = await media.start(config, deps);
      started.push(['media', runningMedia]);
    }

    let webUrl: string | undefined;
    if (has('web')) {
      const runningWeb = await web.start(config, {
        ...deps,
        units,
        accounts,
        tokens,
        audit,
        sessions: new SessionStore(sql, config.auth.sessionTtlHours),
        devices,
        catalogue,
        telemetry: runningIngest?.telemetry,
        influx: influx.store,
        alerts: runningIngest?.alerts,
        opcua: runningIngest?.opcua,
        kpi: runningIngest?.kpi,
        notifications: runningIngest?.notifications,
        rules: runningIngest?.rules,
        rooms,
        conferences,
        presence: runningBroker?.presence,
        sendCommand: runningBroker
          ? (deviceId, payload) =>
              (runningBroker as broker.RunningBroker).broker.publishCommand(
                deviceId,
                JSON.stringify(payload),
              )
          : undefined,
      });
      started.push(['web', runningWeb]);
      if (runningBroker) {
        const broker = runningBroker.broker;
        broker.attachWebSocket(runningWeb.server, '/mqtt');
        // Stopped before the web server, whose close() waits for upgraded connections too.
        started.push(['broker.websocket', { stop: async () => broker.detachWebSocket() }]);
      }
      webUrl = runningWeb.url;
      // The SFU's signalling is a namespace of the web's socket.io server; it stops first.
      if (runningMedia) {
        const signalling = runningMedia.attachSignalling(runningWeb.io, {
          admission: conferences,
          authenticate: runningWeb.authenticateHandshake,
          unitName: (code) => units.get(code)?.name,
        });
        conferences.on('cancelled', (conference) => {
          signalling.endConference(conference.id, 'cancelled');
        });
        conferences.on('ended', (conference) => {
          signalling.endConference(conference.id, 'conference-ended');
        });
        started.push(['media.signalling', { stop: () => signalling.close() }]);
      }
    }
    if (has('simulators') && config.demo) {
      const running = await simulators.start(config, {
        ...deps,
        devices,
        catalogue,
        units,
        mqttUrl,
      });
      started.push(['simulators', running]);
      // The demo PLC's pumps and gates flow through the OPC-UA bridge like any mapped server.
      if (running.plc && runningIngest && !config.ingest.opcuaMappingFile) {
        const { mapping, devices: plcDevices } = ingest.demoPlcMapping({
          endpointUrl: running.plc.endpointUrl,
          username: config.simulators.opcua.username,
          password: config.simulators.opcua.password ?? simulators.DEMO_PLC_USER.password,
          units,
        });
        for (const device of plcDevices) {
          if (!(await devices.get(device.id))) await devices.provision(device);
        }
        await runningIngest.startOpcua(mapping, 'demo');
      }
      // The demo KPI feed is an integrator: a service token and the real POST /api/v1/kpi.
      if (runningIngest && webUrl && config.simulators.kpiHistoryDays > 0) {
        const feed = await simulators.startKpiFeed(config, {
          ...deps,
          units,
          tokens,
          audit,
          webUrl,
        });
        started.push(['simulators.kpi', feed]);
      }
    }
    // OPC-UA servers in the database (API, demo PLC), with the mapping file's written over
    // them first; connected in the background, last, when the demo PLC already listens.
    await runningIngest?.startOpcua(opcuaMapping);
    return {
      webUrl,
      mqttUrl,
      influxUrl:
        config.influx.url ?? `http://${config.influx.managed.host}:${config.influx.managed.port}`,
      influxManaged: !config.influx.url,
      admin,
      demoAccounts,
      async stop(signal = 'stop') {
        bus.publish('process.stopping', { signal });
        await stopAll();
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** Fails fast, before anything is spawned, when something this process needs is missing. */
async function preflight(config: AppConfig, roles: ProcessRole[]): Promise<void> {
  const ports: PortSetting[] = [];
  if (roles.includes('web')) {
    ports.push({
      host: config.web.host,
      port: config.web.port,
      key: 'web.port',
      env: 'IOC_WEB_PORT',
    });
  }
  if (roles.includes('broker')) {
    ports.push({
      host: config.mqtt.host,
      port: config.mqtt.port,
      key: 'mqtt.port',
      env: 'IOC_MQTT_PORT',
    });
    if (config.mqtt.tls) {
      const { host, tlsPort } = config.mqtt;
      ports.push({ host, port: tlsPort, key: 'mqtt.tlsPort', env: 'IOC_MQTT_TLS_PORT' });
    }
  }
  if (roles.includes('simulators') && config.demo) {
    const { host, port } = config.simulators.opcua;
    ports.push({ host, port, key: 'simulators.opcua.port', env: 'IOC_OPCUA_SIM_PORT' });
  }
  if (!config.influx.url) {
    const { host, port, rpcPort } = config.influx.managed;
    ports.push({ host, port, key: 'influx.managed.port', env: 'IOC_INFLUX_PORT' });
    ports.push({ host, port: rpcPort, key: 'influx.managed.rpcPort', env: 'IOC_INFLUX_RPC_PORT' });
    await requireInfluxd(config.influx.managed.binary);
  }
  for (const setting of ports) await assertPortFree(setting);
  if (roles.includes('media')) await media.preflight(config);
}

async function loadMapping(file: string): Promise<ingest.OpcuaMapping> {
  try {
    return await ingest.loadOpcuaMapping(file);
  } catch (err) {
    const problems = (err as { problems?: string[] }).problems;
    const detail = problems?.length ? problems.join('; ') : (err as Error).message;
    throw new StartupError(
      `OPC-UA mapping ${file} (ingest.opcuaMappingFile): ${detail}`,
      'CONFIG_INVALID',
    );
  }
}

/** The demo province comes with its alert rules unless a rules file is configured. */
function withDemoRules(config: AppConfig): AppConfig {
  if (!config.demo || config.ingest.rulesFile) return config;
  return { ...config, ingest: { ...config.ingest, rulesFile: ingest.DEMO_RULES_FILE } };
}

function hostForUrl(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
