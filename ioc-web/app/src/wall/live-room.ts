// One room's live picture, built from the socket feed: a `snapshot`, then `delta`s applied
// in sequence order. Pure bookkeeping (no socket, no timers) so the rules are in one place:
// a delta must be the last seq + 1; an older one is a duplicate, a newer one means a gap.
import { conferenceOf, type WallConference } from './conference-endpoints';
import {
  alertOf,
  roomOf,
  snapshotDeviceOf,
  type WallAlert,
  type WallDevice,
  type WallRoom,
} from './wall-api';

export type DeltaResult = 'applied' | 'duplicate' | 'gap';

/** What changed since the last `take()`, so the page rebuilds only that. */
export interface LiveChanges {
  room?: WallRoom;
  devices?: WallDevice[];
  alerts?: WallAlert[];
  /** KPI figures arrived: the choropleth is due a refresh. */
  kpis: boolean;
  /** The room's roll-ups that changed (the tiles' figures), oldest first. */
  kpiRollups: KpiRollup[];
  /** Live conferences with endpoints in the room, when they changed. */
  conferences?: WallConference[];
}

/** The room's roll-up of one KPI for one local day, computed by the server. */
export interface KpiRollup {
  kpi: string;
  date: string;
  value: number | null;
}

const CLOSED = new Set(['resolved', 'cleared']);

export class LiveRoom {
  #seq: number | null = null;
  #room: WallRoom | undefined;
  readonly #devices = new Map<string, WallDevice>();
  readonly #alerts = new Map<string, WallAlert>();
  readonly #conferences = new Map<string, WallConference>();
  #kpiRollups: KpiRollup[] = [];
  #dirty = { room: false, devices: false, alerts: false, kpis: false, conferences: false };

  /** The sequence number of the last applied batch; null before the first snapshot. */
  get seq(): number | null {
    return this.#seq;
  }

  /** Forgets the sequence (after a reconnect), so deltas wait for the next snapshot. */
  reset(): void {
    this.#seq = null;
  }

  /** Replaces everything with the snapshot's picture. False when it is malformed. */
  applySnapshot(snapshot: unknown): boolean {
    if (!isRecord(snapshot) || typeof snapshot.seq !== 'number') return false;
    if (!Array.isArray(snapshot.devices) || !Array.isArray(snapshot.alerts)) return false;
    this.#seq = snapshot.seq;
    const room = roomOf(snapshot.room);
    if (room) this.#room = room;
    this.#devices.clear();
    for (const row of snapshot.devices) {
      const device = snapshotDeviceOf(row);
      if (device) this.#devices.set(device.id, device);
    }
    this.#alerts.clear();
    for (const row of snapshot.alerts) {
      const alert = alertOf(row);
      if (alert && !CLOSED.has(alert.state)) this.#alerts.set(alert.id, alert);
    }
    this.#conferences.clear();
    for (const row of arrayOf(snapshot.conferences)) {
      const conference = conferenceOf(row);
      if (conference && !conference.ended) this.#conferences.set(conference.id, conference);
    }
    this.#dirty = {
      room: Boolean(room),
      devices: true,
      alerts: true,
      kpis: true,
      conferences: true,
    };
    return true;
  }

  applyDelta(delta: unknown): DeltaResult {
    if (!isRecord(delta) || typeof delta.seq !== 'number' || this.#seq === null) {
      return 'duplicate'; // nothing to apply it to: the snapshot that follows a join will come
    }
    if (delta.seq <= this.#seq) return 'duplicate';
    if (delta.seq !== this.#seq + 1) return 'gap';
    this.#seq = delta.seq;
    // Devices provisioned, disabled or enabled after the snapshot arrive whole (a disabled one
    // stays listed with enabled: false, as over REST, and the map leaves it out); revoked by id.
    for (const row of arrayOf(delta.devices)) {
      const device = snapshotDeviceOf(row);
      if (!device) continue;
      this.#devices.set(device.id, device);
      this.#dirty.devices = true;
    }
    for (const id of arrayOf(delta.removedDevices)) {
      if (typeof id === 'string' && this.#devices.delete(id)) this.#dirty.devices = true;
    }
    for (const row of arrayOf(delta.presence)) {
      if (!isRecord(row) || typeof row.deviceId !== 'string') continue;
      const device = this.#devices.get(row.deviceId);
      if (!device || (row.state !== 'online' && row.state !== 'offline')) continue;
      const at = typeof row.at === 'string' ? row.at : device.lastSeenAt;
      this.#devices.set(device.id, { ...device, presence: row.state, lastSeenAt: at });
      this.#dirty.devices = true;
    }
    for (const row of arrayOf(delta.values)) {
      // A report proves the device is there even when its presence event is still to come.
      if (!isRecord(row) || typeof row.deviceId !== 'string') continue;
      const device = this.#devices.get(row.deviceId);
      if (device && device.presence !== 'online') {
        this.#devices.set(device.id, { ...device, presence: 'online' });
        this.#dirty.devices = true;
      }
    }
    for (const row of arrayOf(delta.alerts)) {
      const alert = isRecord(row) ? alertOf(row.alert) : undefined;
      if (!alert) continue;
      if (CLOSED.has(alert.state)) this.#alerts.delete(alert.id);
      else this.#alerts.set(alert.id, alert);
      this.#dirty.alerts = true;
    }
    if (arrayOf(delta.kpis).length > 0) this.#dirty.kpis = true;
    for (const row of arrayOf(delta.kpiRollups)) {
      if (!isRecord(row) || typeof row.kpi !== 'string' || typeof row.date !== 'string') continue;
      const value = typeof row.value === 'number' && Number.isFinite(row.value) ? row.value : null;
      this.#kpiRollups.push({ kpi: row.kpi, date: row.date, value });
    }
    for (const row of arrayOf(delta.conferences)) {
      const conference = conferenceOf(row);
      if (!conference) continue;
      if (conference.ended) this.#conferences.delete(conference.id);
      else this.#conferences.set(conference.id, conference);
      this.#dirty.conferences = true;
    }
    return 'applied';
  }

  get changed(): boolean {
    const d = this.#dirty;
    return (
      d.room || d.devices || d.alerts || d.kpis || d.conferences || this.#kpiRollups.length > 0
    );
  }

  /** The parts that changed since the last call, as new arrays (React compares by identity). */
  take(): LiveChanges {
    const d = this.#dirty;
    const changes: LiveChanges = { kpis: d.kpis, kpiRollups: this.#kpiRollups };
    this.#kpiRollups = [];
    if (d.conferences) changes.conferences = [...this.#conferences.values()];
    if (d.room) changes.room = this.#room;
    if (d.devices) changes.devices = [...this.#devices.values()];
    if (d.alerts) {
      // Newest first, as the REST list and the snapshot give them.
      changes.alerts = [...this.#alerts.values()].sort((a, b) =>
        b.raisedAt.localeCompare(a.raisedAt),
      );
    }
    this.#dirty = { room: false, devices: false, alerts: false, kpis: false, conferences: false };
    return changes;
  }
}

function arrayOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
