// The demo province's field devices. For now: the OPC-UA PLC of Đà Nẵng's drainage works.
import { resolve } from 'node:path';
import { type AppConfig, type RunningService, type ServiceDeps, StartupError } from '@ioc/core';
import { PlcSimulator, PlcSimulatorError, type PlcUser } from './opcua/plc-server.js';

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
}

export interface RunningSimulators extends RunningService {
  /** The PLC simulator while the demo runs (its endpointUrl tells where it listens). */
  plc?: PlcSimulator;
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

  deps.health.register('simulators', () =>
    plc.running
      ? { status: 'up', reason: `OPC-UA PLC at ${plc.endpointUrl}, ${plc.sessionCount} session(s)` }
      : { status: 'down', reason: 'OPC-UA PLC simulator stopped' },
  );

  return {
    plc,
    async stop() {
      deps.health.unregister('simulators');
      await plc.stop();
    },
  };
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
