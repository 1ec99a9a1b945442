import type { AdminUnitTree } from '@ioc/core';
import {
  DA_NANG_PLANT,
  PLC_NAMESPACE_URI,
  type PlantSpec,
  plcNodeIdentifier,
} from '@ioc/simulators';
import type { OpcuaMapping, OpcuaNodeMapping, OpcuaServerMapping } from './mapping.js';

/** A device to provision for a mapped PLC site (a DeviceInput of @ioc/devices). */
export interface DemoPlcDevice {
  id: string;
  type: 'pump-station' | 'sluice-gate';
  unit: string;
  name: string;
  lat: number;
  lon: number;
}

export interface DemoPlcMappingOptions {
  endpointUrl: string;
  username?: string;
  password?: string;
  /** Server id in the mapping and the API path. Default `danang-plc`. */
  serverId?: string;
  /** Places each site in the ward that contains it; without it (or outside every ward) the city. */
  units?: Pick<AdminUnitTree, 'locate'>;
  /** Unit code of the city, used when a site falls in no ward. Default `48` (Đà Nẵng). */
  cityUnit?: string;
  plant?: PlantSpec;
  /** Default 1000 ms. */
  publishingIntervalMs?: number;
  /** Default 500 ms. */
  samplingIntervalMs?: number;
}

/** Device catalogue metric ← PLC variable, per site kind. */
const PUMP_STATION_METRICS = {
  running: 'Running',
  flow_m3s: 'FlowRate',
  inlet_level_cm: 'InletLevel',
  motor_current_a: 'MotorCurrent',
} as const;
const SLUICE_GATE_METRICS = {
  opening_pct: 'Opening',
  upstream_level_cm: 'UpstreamLevel',
  downstream_level_cm: 'DownstreamLevel',
} as const;

/**
 * The mapping of the demo PLC (every pumping station and sluice gate of the Đà Nẵng plant)
 * and the devices to provision for it: `ps-hoa-xuan`, `sg-khue-trung`, ...
 */
export function demoPlcMapping(options: DemoPlcMappingOptions): {
  mapping: OpcuaMapping;
  devices: DemoPlcDevice[];
} {
  const plant = options.plant ?? DA_NANG_PLANT;
  const sampling = options.samplingIntervalMs ?? 500;
  const nodes: OpcuaNodeMapping[] = [];
  const devices: DemoPlcDevice[] = [];
  const sites = [
    ...plant.stations.map((s) => ({ spec: s, kind: 'pump-station' as const })),
    ...plant.gates.map((g) => ({ spec: g, kind: 'sluice-gate' as const })),
  ];
  for (const { spec, kind } of sites) {
    const [prefix, folder, metrics] =
      kind === 'pump-station'
        ? (['ps', 'PumpStations', PUMP_STATION_METRICS] as const)
        : (['sg', 'SluiceGates', SLUICE_GATE_METRICS] as const);
    const deviceId = `${prefix}-${kebab(spec.id)}`;
    devices.push({
      id: deviceId,
      type: kind,
      unit: unitAt(options, spec.longitude, spec.latitude),
      name: spec.name,
      lat: spec.latitude,
      lon: spec.longitude,
    });
    for (const [metric, variable] of Object.entries(metrics)) {
      nodes.push({
        nodeId: `nsu=${PLC_NAMESPACE_URI};s=${plcNodeIdentifier(folder, spec.id, variable)}`,
        deviceId,
        metric,
        samplingIntervalMs: sampling,
      });
    }
  }
  const server: OpcuaServerMapping = {
    id: options.serverId ?? 'danang-plc',
    endpointUrl: options.endpointUrl,
    ...(options.username === undefined
      ? {}
      : { username: options.username, password: options.password ?? '' }),
    securityMode: 'None',
    publishingIntervalMs: options.publishingIntervalMs ?? 1000,
    nodes,
  };
  return { mapping: { servers: [server] }, devices };
}

function unitAt(options: DemoPlcMappingOptions, lon: number, lat: number): string {
  return options.units?.locate(lon, lat)?.code ?? options.cityUnit ?? '48';
}

/** `HoaXuan` → `hoa-xuan`. */
function kebab(id: string): string {
  return id
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-');
}
