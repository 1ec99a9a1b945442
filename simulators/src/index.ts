// The demo province's field devices: the OPC-UA PLC of Đà Nẵng's drainage works and the
// MQTT field devices (water levels, rain gauges, air quality, weather, traffic, data centre).
import { resolve } from 'node:path';
import {
  type AdminUnitTree,
  type AppConfig,
  type RunningService,
  type ServiceDeps,
  StartupError,
} from '@ioc/core';
import type { DeviceCatalogue, DeviceRegistry } from '@ioc/devices';
import { DemoFleet } from './mqtt/fleet.js';
import { DemoFleetRunner } from './mqtt/fleet-runner.js';
import { RainfallHistory } from './mqtt/rainfall-feed.js';
import { PlcSimulator, PlcSimulatorError, type PlcUser } from './opcua/plc-server.js';

export * from './kpi/index.js';
export * from './mqtt/index.js';
export { PLC_NAMESPACE_URI, type PlcCommand, plcNodeIdentifier } from './opcua/address-space.js';
export {
  PlcSimulator,
  PlcSimulatorError,
  type PlcSimulatorErrorCode,
  type PlcSimulatorEvents,
  type PlcSimulatorOptions,
  type PlcUser,
} from './opcua/plc-server.js';
export * from './plant/index.js';

/**
 * The account the demo PLC accepts when none is configured. It only guards a simulator bound to
 * loopback; start() refuses it on any other address.
 */
export const DEMO_PLC_USER: Readonly<PlcUser> = Object.freeze({
  username: 'ioc',
  password: 'ioc-demo-plc',
});

/** Settings of the OPC-UA PLC simulator (to become `simulators.opcua.*` in the shared config). */
export interface PlcSettings {
  host?: string;
  port?: number;
  username?: string;
  password?: string;
  allowAnonymous?: boolean;
  seed?: number;
  timeScale?: number;
}

export interface SimulatorsDeps {
  opcua?: PlcSettings;
  /**
   * The MQTT field devices run when all of these are given (and `simulators.devices` > 0):
   * they are provisioned in `devices` and connect to the broker at `mqttUrl`.
   */
  devices?: DeviceRegistry;
  catalogue?: DeviceCatalogue;
  units?: AdminUnitTree;
  mqttUrl?: string;
  /** Overrides of the MQTT fleet's pacing, for tests. */
  fleet?: { connectSpacingMs?: number; minIntervalMs?: number; maxIntervalMs?: number };
}

export interface RunningSimulators extends RunningService {
  /** The PLC simulator while the demo runs (its endpointUrl tells where it listens). */
  plc?: PlcSimulator;
  /**
   * The MQTT field devices while the demo runs with a broker; they are provisioned in the
   * background (`fleet.ready` resolves with the running simulator).
   */
  fleet?: DemoFleetRunner;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** Starts the demo-province simulators when `config.demo` is set; otherwise does nothing. */
export async function start(
  config: AppConfig,
  deps: ServiceDeps & SimulatorsDeps,
): Promise<RunningSimulators> {
  if (!config.demo) return { stop: async () => {} };

  const settings: PlcSettings = { ...config.simulators.opcua, ...deps.opcua };
  const host = settings.host ?? '127.0.0.1';
  const port = settings.port ?? 4840;
  const user = {
    username: settings.username ?? DEMO_PLC_USER.username,
    password: settings.password ?? DEMO_PLC_USER.password,
  };
  if (user.password === DEMO_PLC_USER.password && !LOOPBACK.has(host)) {
    throw new StartupError(
      `the demo OPC-UA password cannot be used on ${host} (simulators.opcua.host); ` +
        'set simulators.opcua.password or bind the simulator to 127.0.0.1',
      'CONFIG_INVALID',
    );
  }

  let plc: PlcSimulator;
  try {
    plc = new PlcSimulator({
      logger: deps.logger,
      pkiDir: resolve(config.dataDir, 'opcua-pki'),
      host,
      port,
      users: [user],
      allowAnonymous: settings.allowAnonymous ?? false,
      seed: settings.seed,
      timeScale: settings.timeScale,
    });
    await plc.start();
  } catch (err) {
    throw startupError(err, host, port);
  }

  const fleet = mqttFleet(config, deps, plc);

  deps.health.register('simulators', () => {
    if (!plc.running) return { status: 'down', reason: 'OPC-UA PLC simulator stopped' };
    const plcState = `OPC-UA PLC at ${plc.endpointUrl}, ${plc.sessionCount} session(s)`;
    if (!fleet) return { status: 'up', reason: plcState };
    return {
      status: fleet.state === 'failed' ? 'down' : 'up',
      reason: `${plcState}; ${fleet.describe()}`,
    };
  });

  return {
    plc,
    fleet,
    async stop() {
      deps.health.unregister('simulators');
      await fleet?.stop();
      await plc.stop();
    },
  };
}

/**
 * The MQTT field devices, when the process has a broker and a registry: provisioned in the
 * background (see DemoFleetRunner), raining with the PLC's storms so that gauges, rivers and
 * pumping stations tell the same story.
 */
function mqttFleet(
  config: AppConfig,
  deps: ServiceDeps & SimulatorsDeps,
  plc: PlcSimulator,
): DemoFleetRunner | undefined {
  const { devices, catalogue, units, mqttUrl } = deps;
  const { devices: size, seed, reportSpeed } = config.simulators;
  if (!devices || !catalogue || !units || !mqttUrl || size === 0) return undefined;

  const rainfall = new RainfallHistory();
  plc.on('tick', (snapshot) => rainfall.record(Date.now(), snapshot.rainfall));
  return new DemoFleetRunner({
    fleet: new DemoFleet({ units, seed, size }),
    registry: devices,
    dataDir: config.dataDir,
    logger: deps.logger.child({ component: 'simulators.mqtt' }),
    simulator: {
      url: mqttUrl,
      catalogue,
      rainfall,
      metrics: deps.metrics,
      seed,
      speed: reportSpeed,
      ...deps.fleet,
    },
  });
}

function startupError(err: unknown, host: string, port: number): unknown {
  if (!(err instanceof PlcSimulatorError)) return err;
  switch (err.code) {
    case 'PORT_IN_USE':
      return new StartupError(
        `port ${port} (simulators.opcua.port) is already in use on ${host}; ` +
          'stop the other OPC-UA server or set IOC_OPCUA_SIM_PORT to a free port',
        'PORT_IN_USE',
      );
    case 'INVALID_OPTIONS':
      return new StartupError(`${err.message} (simulators.opcua)`, 'CONFIG_INVALID');
    default:
      return new StartupError(err.message, 'SIMULATOR_FAILED');
  }
}
