// A sensor's state on the wall: offline from its real presence (the socket feed carries the
// broker's presence; null there means not seen since the server started), alert or warning
// from the open alerts that name it, worst first. Over the REST fallback there is no
// presence, so "offline" comes from the offline / missing-data rules' alerts, or from a
// device that has never connected.
import type { AlertSeverity, WallAlert, WallDevice } from './wall-api';

export type SensorState = 'normal' | 'warning' | 'alert' | 'offline';

/** Worst first: a cluster or a unit takes the worst state of what it holds. */
export const SENSOR_STATES: readonly SensorState[] = ['alert', 'warning', 'offline', 'normal'];

export const stateRank: Record<SensorState, number> = {
  normal: 0,
  offline: 1,
  warning: 2,
  alert: 3,
};

const ALERTING: ReadonlySet<AlertSeverity> = new Set(['critical', 'major']);

/** The demo and recommended rule ids for presence (`offline-*`) and silence (`missing-*`). */
const OFFLINE_RULE = /^(offline|missing)-/;

export interface Sensor {
  id: string;
  name: string;
  type: string;
  unit: string;
  position: [number, number];
  state: SensorState;
}

export function sensorsOf(devices: readonly WallDevice[], alerts: readonly WallAlert[]): Sensor[] {
  const alertState = new Map<string, SensorState>();
  const offlineAlert = new Set<string>();
  for (const alert of alerts) {
    if (!alert.deviceId) continue;
    if (OFFLINE_RULE.test(alert.ruleId)) {
      offlineAlert.add(alert.deviceId);
      continue;
    }
    const state: SensorState = ALERTING.has(alert.severity) ? 'alert' : 'warning';
    const known = alertState.get(alert.deviceId);
    if (!known || stateRank[state] > stateRank[known]) alertState.set(alert.deviceId, state);
  }

  const sensors: Sensor[] = [];
  for (const device of devices) {
    if (device.lat === null || device.lon === null || !device.enabled) continue;
    // Known presence is the truth; without it, an open offline alert or never seen.
    const offline =
      device.presence !== undefined
        ? device.presence !== 'online'
        : offlineAlert.has(device.id) || device.lastSeenAt === null;
    const base: SensorState = offline ? 'offline' : 'normal';
    const flagged = alertState.get(device.id);
    sensors.push({
      id: device.id,
      name: device.name,
      type: device.type,
      unit: device.unit,
      position: [device.lon, device.lat],
      state: flagged && stateRank[flagged] > stateRank[base] ? flagged : base,
    });
  }
  return sensors;
}

export function countByState(sensors: readonly Sensor[]): Record<SensorState, number> {
  const counts: Record<SensorState, number> = { normal: 0, warning: 0, alert: 0, offline: 0 };
  for (const sensor of sensors) counts[sensor.state] += 1;
  return counts;
}

type Rgb = [number, number, number];

/**
 * Okabe–Ito colours, safe for the common colour-vision deficiencies; each state also has its
 * own shape cue (size, outline, hollow) so colour is never the only signal.
 */
export const stateColour: Record<SensorState, Rgb> = {
  normal: [86, 180, 233], // sky blue
  warning: [240, 228, 66], // yellow
  alert: [213, 94, 0], // vermillion
  offline: [150, 160, 170], // grey, drawn hollow
};

export function cssColour(state: SensorState): string {
  const [r, g, b] = stateColour[state];
  return `rgb(${r} ${g} ${b})`;
}
