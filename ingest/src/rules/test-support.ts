// Helpers for this folder's tests: a recording alert sink, a device directory, point builders.
import { EventEmitter } from 'node:events';
import type { AlertClear, AlertRaise, AlertSink } from '../alerts/alert-sink.js';
import type { TelemetryPoint } from '../pipeline/telemetry-point.js';
import type { DeviceLookup } from './rule-engine.js';

/**
 * An AlertSink that records what it is told, keeps the set of open alerts (idempotent per
 * rule and source, as the real store is) and can be told to fail.
 */
export class RecordingSink
  extends EventEmitter<{ raise: [AlertRaise]; clear: [AlertClear] }>
  implements AlertSink
{
  readonly raises: AlertRaise[] = [];
  readonly clears: AlertClear[] = [];
  readonly open = new Map<string, AlertRaise>();
  /** Raises to refuse before accepting again. */
  failNext = 0;

  async raise(raise: AlertRaise): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('alert store unavailable');
    }
    this.raises.push(raise);
    this.open.set(`${raise.ruleId}|${raise.source}`, raise);
    this.emit('raise', raise);
  }

  async clear(clear: AlertClear): Promise<void> {
    this.clears.push(clear);
    this.open.delete(`${clear.ruleId}|${clear.source}`);
    this.emit('clear', clear);
  }
}

export interface TestDevice {
  id: string;
  name: string;
  type: string;
  unit: string;
  sector: string;
}

/** The registry's lookup over a fixed set of devices. */
export function deviceLookup(devices: TestDevice[]): DeviceLookup {
  const byId = new Map(devices.map((d) => [d.id, d]));
  return { get: async (id) => byId.get(id) };
}

/** A point as the pipeline emits it for `device`. */
export function pointOf(
  device: TestDevice,
  ts: number,
  fields: Record<string, number | boolean>,
): TelemetryPoint {
  return {
    device: device.id,
    type: device.type,
    unit: device.unit,
    sector: device.sector,
    ts,
    fields,
  };
}
