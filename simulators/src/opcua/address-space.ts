import type {
  EUInformation,
  Namespace,
  StatusCode,
  UAObject,
  UAVariable,
  Variant,
} from 'node-opcua';
import {
  PlantCommandError,
  type PlantModel,
  type PlantSnapshot,
  type PumpStationReading,
  type PumpStationSpec,
  type SluiceGateReading,
  type SluiceGateSpec,
} from '../plant/index.js';

/** The node-opcua module, loaded lazily by the server (it takes a second or two to import). */
export type NodeOpcua = typeof import('node-opcua');

/** Namespace of every node of the simulated PLC; clients resolve its index from this URI. */
export const PLC_NAMESPACE_URI = 'urn:ioc:simulators:da-nang-plc';

/**
 * String identifier of a node in the PLC namespace, e.g.
 * `plcNodeIdentifier('PumpStations', 'HoaXuan', 'InletLevel')` → `DaNang.PumpStations.HoaXuan.InletLevel`.
 * The full node id is `nsu=urn:ioc:simulators:da-nang-plc;s=<identifier>`.
 */
export function plcNodeIdentifier(...path: string[]): string {
  return ['DaNang', ...path].join('.');
}

/** An operator write the PLC accepted. */
export interface PlcCommand {
  /** Identifier of the written node (see plcNodeIdentifier). */
  node: string;
  value: number | boolean;
}

interface Range {
  low: number;
  high: number;
}

/** Reads one number of a snapshot for one station or gate. */
type Reading = (snapshot: PlantSnapshot) => number;

/**
 * Builds the PLC's address space over a PlantModel and keeps it current:
 *
 * ```
 * Objects/DaNang/PumpStations/<id>/{Running, AutoMode, FlowRate, InletLevel, OutletLevel,
 *                                   MotorCurrent, Rainfall, StartLevel, StopLevel}
 * Objects/DaNang/SluiceGates/<id>/{Opening, OpeningSetpoint, UpstreamLevel, DownstreamLevel, Discharge}
 * ```
 *
 * Measurements are AnalogItems (EngineeringUnits, EURange) pushed on every publish();
 * commands and setpoints read the model live and write through to it.
 */
export class PlcAddressSpace {
  readonly #opcua: NodeOpcua;
  readonly #namespace: Namespace;
  readonly #model: PlantModel;
  readonly #onCommand: (command: PlcCommand) => void;
  readonly #units: Record<'flow' | 'level' | 'current' | 'rain' | 'percent', EUInformation>;
  readonly #measurements: Array<{ variable: UAVariable; read: Reading }> = [];

  constructor(
    opcua: NodeOpcua,
    namespace: Namespace,
    objectsFolder: UAObject,
    model: PlantModel,
    onCommand: (command: PlcCommand) => void,
  ) {
    this.#opcua = opcua;
    this.#namespace = namespace;
    this.#model = model;
    this.#onCommand = onCommand;
    const { makeEUInformation, standardUnits } = opcua;
    // UN/CEFACT Recommendation 20 codes, as OPC UA Part 8 asks.
    this.#units = {
      flow: makeEUInformation('MQS', 'm³/s', 'cubic metre per second'),
      level: standardUnits.centimetre,
      current: standardUnits.ampere,
      rain: makeEUInformation('H67', 'mm/h', 'millimetre per hour'),
      percent: standardUnits.percent,
    };

    const city = namespace.addFolder(objectsFolder, {
      browseName: 'DaNang',
      nodeId: `s=${plcNodeIdentifier()}`,
      displayName: 'Đà Nẵng',
    });
    const stations = namespace.addFolder(city, {
      browseName: 'PumpStations',
      nodeId: `s=${plcNodeIdentifier('PumpStations')}`,
      displayName: 'Trạm bơm',
    });
    const gates = namespace.addFolder(city, {
      browseName: 'SluiceGates',
      nodeId: `s=${plcNodeIdentifier('SluiceGates')}`,
      displayName: 'Cống',
    });
    for (const spec of model.stationSpecs) this.#addStation(stations, spec);
    for (const spec of model.gateSpecs) this.#addGate(gates, spec);
  }

  /** Pushes a new snapshot's measurements to their variables (and so to subscribers). */
  publish(snapshot: PlantSnapshot, sourceTimestamp: Date): void {
    const { DataType, StatusCodes } = this.#opcua;
    for (const { variable, read } of this.#measurements) {
      variable.setValueFromSource(
        { dataType: DataType.Double, value: read(snapshot) },
        StatusCodes.Good,
        sourceTimestamp,
      );
    }
  }

  #addStation(folder: UAObject, spec: PumpStationSpec): void {
    const path = ['PumpStations', spec.id];
    const station = this.#addSite(folder, path, spec, 'Drainage pumping station (trạm bơm tiêu)');
    const reading = (s: PlantSnapshot) =>
      s.stations.find((r) => r.id === spec.id) as PumpStationReading;
    const live = () => reading(this.#model.snapshot);

    this.#addSwitch(station, [...path, 'Running'], {
      description: 'Pump running. Writing starts or stops it and switches the station to manual.',
      trueState: 'Đang chạy',
      falseState: 'Dừng',
      read: () => live().running,
      write: (running) => this.#model.commandPump(spec.id, running),
    });
    this.#addSwitch(station, [...path, 'AutoMode'], {
      description: 'Automatic level control (start at StartLevel, stop at StopLevel). Writable.',
      trueState: 'Tự động',
      falseState: 'Thủ công',
      read: () => live().autoMode,
      write: (auto) => this.#model.setAutoMode(spec.id, auto),
    });
    const levelRange = { low: 0, high: Math.ceil(spec.bankTopCm / 100) * 100 + 100 };
    this.#addMeasurement(station, [...path, 'FlowRate'], {
      description: 'Pumped flow.',
      unit: this.#units.flow,
      range: { low: 0, high: round(spec.ratedFlowM3s * 1.5) },
      read: (s) => reading(s).flowRate,
    });
    this.#addMeasurement(station, [...path, 'InletLevel'], {
      description: `Forebay level above gauge zero; banks overtop at ${spec.bankTopCm} cm.`,
      unit: this.#units.level,
      range: levelRange,
      read: (s) => reading(s).inletLevel,
    });
    this.#addMeasurement(station, [...path, 'OutletLevel'], {
      description: 'River level at the outfall above gauge zero (tidal).',
      unit: this.#units.level,
      range: levelRange,
      read: (s) => reading(s).outletLevel,
    });
    this.#addMeasurement(station, [...path, 'MotorCurrent'], {
      description: `Pump motor current; rated ${spec.ratedCurrentA} A.`,
      unit: this.#units.current,
      range: { low: 0, high: round(spec.ratedCurrentA * 1.5) },
      read: (s) => reading(s).motorCurrent,
    });
    this.#addMeasurement(station, [...path, 'Rainfall'], {
      description: 'Rainfall intensity over the catchment.',
      unit: this.#units.rain,
      range: { low: 0, high: 200 },
      read: (s) => reading(s).rainfall,
    });
    const controlRange = { low: spec.sumpFloorCm, high: spec.bankTopCm };
    this.#addSetpoint(station, [...path, 'StartLevel'], {
      description: 'Automatic start level. Writable; must stay above StopLevel.',
      unit: this.#units.level,
      range: controlRange,
      read: () => live().startLevel,
      write: (startLevelCm) => this.#model.setControlLevels(spec.id, { startLevelCm }),
    });
    this.#addSetpoint(station, [...path, 'StopLevel'], {
      description: 'Automatic stop level. Writable; must stay below StartLevel.',
      unit: this.#units.level,
      range: controlRange,
      read: () => live().stopLevel,
      write: (stopLevelCm) => this.#model.setControlLevels(spec.id, { stopLevelCm }),
    });
  }

  #addGate(folder: UAObject, spec: SluiceGateSpec): void {
    const path = ['SluiceGates', spec.id];
    const gate = this.#addSite(
      folder,
      path,
      spec,
      'Drainage sluice gate (cống tiêu) to the tidal river',
    );
    const reading = (s: PlantSnapshot) =>
      s.gates.find((r) => r.id === spec.id) as SluiceGateReading;
    const levelRange = { low: 0, high: Math.ceil(spec.bankTopCm / 100) * 100 + 100 };
    const maxDischarge = Math.ceil(
      spec.dischargeCoefficient * spec.widthM * spec.heightM * Math.sqrt(2 * 9.81 * 3),
    );

    this.#addMeasurement(gate, [...path, 'Opening'], {
      description: 'Actual gate opening; follows OpeningSetpoint at the hoist speed.',
      unit: this.#units.percent,
      range: { low: 0, high: 100 },
      read: (s) => reading(s).opening,
    });
    this.#addSetpoint(gate, [...path, 'OpeningSetpoint'], {
      description: 'Commanded gate opening. Writable, 0-100 %.',
      unit: this.#units.percent,
      range: { low: 0, high: 100 },
      read: () => reading(this.#model.snapshot).openingSetpoint,
      write: (percent) => this.#model.setGateOpening(spec.id, percent),
    });
    this.#addMeasurement(gate, [...path, 'UpstreamLevel'], {
      description: 'Canal level upstream of the gate above gauge zero.',
      unit: this.#units.level,
      range: levelRange,
      read: (s) => reading(s).upstreamLevel,
    });
    this.#addMeasurement(gate, [...path, 'DownstreamLevel'], {
      description: 'River level downstream of the gate above gauge zero (tidal).',
      unit: this.#units.level,
      range: levelRange,
      read: (s) => reading(s).downstreamLevel,
    });
    this.#addMeasurement(gate, [...path, 'Discharge'], {
      description: 'Flow through the gate; negative when the tide flows back in.',
      unit: this.#units.flow,
      range: { low: -maxDischarge, high: maxDischarge },
      read: (s) => reading(s).discharge,
    });
  }

  #addSite(
    folder: UAObject,
    path: string[],
    spec: { id: string; name: string; latitude: number; longitude: number },
    description: string,
  ): UAObject {
    const { DataType } = this.#opcua;
    const site = this.#namespace.addObject({
      organizedBy: folder,
      browseName: spec.id,
      nodeId: `s=${plcNodeIdentifier(...path)}`,
      displayName: spec.name,
      description,
    });
    for (const [name, value] of [
      ['Latitude', spec.latitude],
      ['Longitude', spec.longitude],
    ] as const) {
      this.#namespace.addVariable({
        propertyOf: site,
        browseName: name,
        nodeId: `s=${plcNodeIdentifier(...path, name)}`,
        dataType: 'Double',
        description: `WGS 84 ${name.toLowerCase()} (degrees).`,
        value: { dataType: DataType.Double, value },
      });
    }
    return site;
  }

  #addMeasurement(
    parent: UAObject,
    path: string[],
    options: { description: string; unit: EUInformation; range: Range; read: Reading },
  ): void {
    const variable = this.#namespace.addAnalogDataItem({
      componentOf: parent,
      browseName: path[path.length - 1] as string,
      nodeId: `s=${plcNodeIdentifier(...path)}`,
      description: options.description,
      dataType: 'Double',
      engineeringUnits: options.unit,
      engineeringUnitsRange: options.range,
      accessLevel: 'CurrentRead',
      userAccessLevel: 'CurrentRead',
      // Values change on the simulator's tick: 0 asks for exception-based reporting.
      minimumSamplingInterval: 0,
    });
    this.#measurements.push({ variable, read: options.read });
  }

  #addSetpoint(
    parent: UAObject,
    path: string[],
    options: {
      description: string;
      unit: EUInformation;
      range: Range;
      read: () => number;
      write: (value: number) => void;
    },
  ): void {
    const { DataType, Variant } = this.#opcua;
    const identifier = plcNodeIdentifier(...path);
    this.#namespace.addAnalogDataItem({
      componentOf: parent,
      browseName: path[path.length - 1] as string,
      nodeId: `s=${identifier}`,
      description: options.description,
      dataType: 'Double',
      engineeringUnits: options.unit,
      engineeringUnitsRange: options.range,
      accessLevel: 'CurrentRead | CurrentWrite',
      userAccessLevel: 'CurrentRead | CurrentWrite',
      minimumSamplingInterval: 100,
      value: {
        get: () => new Variant({ dataType: DataType.Double, value: options.read() }),
        set: (variant: Variant) => this.#accept(identifier, variant, 'number', options.write),
      },
    });
  }

  #addSwitch(
    parent: UAObject,
    path: string[],
    options: {
      description: string;
      trueState: string;
      falseState: string;
      read: () => boolean;
      write: (value: boolean) => void;
    },
  ): void {
    const { DataType, Variant } = this.#opcua;
    const identifier = plcNodeIdentifier(...path);
    this.#namespace.addTwoStateDiscrete({
      componentOf: parent,
      browseName: path[path.length - 1] as string,
      nodeId: `s=${identifier}`,
      description: options.description,
      trueState: options.trueState,
      falseState: options.falseState,
      accessLevel: 'CurrentRead | CurrentWrite',
      userAccessLevel: 'CurrentRead | CurrentWrite',
      minimumSamplingInterval: 100,
      value: {
        get: () => new Variant({ dataType: DataType.Boolean, value: options.read() }),
        set: (variant: Variant) => this.#accept(identifier, variant, 'boolean', options.write),
      },
    });
  }

  /** Applies a client write to the model; the model's refusal becomes BadOutOfRange. */
  #accept<T extends number | boolean>(
    node: string,
    variant: Variant,
    type: 'number' | 'boolean',
    write: (value: T) => void,
  ): StatusCode {
    const { StatusCodes } = this.#opcua;
    const value: unknown = variant.value;
    if (typeof value !== type) return StatusCodes.BadTypeMismatch;
    try {
      write(value as T);
    } catch (err) {
      if (err instanceof PlantCommandError) return StatusCodes.BadOutOfRange;
      throw err;
    }
    this.#onCommand({ node, value: value as T });
    return StatusCodes.Good;
  }
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
