import type { AlertChangeKind, AlertSnapshot, KpiObservation } from '@ioc/core';
import type { AccessScope } from '../access/access-scope.js';
import { type ConferenceUpdate, conferenceInScope } from './conference-scope.js';
import type { IndexedDevice } from './device-index.js';

/** A device as snapshots and deltas list it: where it is, whether it is online, its latest values. */
export interface SnapshotDevice extends IndexedDevice {
  presence: { state: 'online' | 'offline'; at: string } | null;
  values: Record<string, { value: number | boolean; ts: number }>;
}

/** The room's own roll-up of a KPI for one local day, as its tiles show it. */
export interface KpiRollup {
  kpi: string;
  date: string;
  value: number | null;
}

/** Latest values of one device: metric → value, with the reading's time (epoch ms). */
export interface ValuesDelta {
  deviceId: string;
  ts: number;
  values: Record<string, number | boolean>;
}

export interface PresenceDelta {
  deviceId: string;
  state: 'online' | 'offline';
  at: string;
}

export interface AlertDelta {
  change: AlertChangeKind;
  alert: AlertSnapshot;
}

/** One `delta` event: what changed in the room since the previous one (seq - 1). */
export interface RoomDelta {
  room: string;
  seq: number;
  at: string;
  values: ValuesDelta[];
  presence: PresenceDelta[];
  alerts: AlertDelta[];
  kpis: KpiObservation[];
  /** The room's roll-up of each KPI that changed, for the newest day it changed (tiles). */
  kpiRollups: KpiRollup[];
  /** Devices provisioned, disabled or enabled since the snapshot, whole, in the room's scope. */
  devices: SnapshotDevice[];
  /** Ids of devices revoked since the snapshot. */
  removedDevices: string[];
  /** Live conferences' endpoints in the room's scope, latest per conference. */
  conferences: ConferenceUpdate[];
}

/** Delta batches kept for sockets that join while a snapshot is being read. */
const KEPT_BATCHES = 64;

/**
 * One room's live changes: everything in the room's scope is coalesced (per device, per
 * alert, per KPI figure) and flushed at most every `intervalMs` as one numbered batch, which
 * the caller broadcasts once to all the room's sockets. Quiet rooms send nothing.
 */
export class RoomFeed {
  readonly id: string;
  readonly scope: AccessScope;
  #seq = 0;
  #values = new Map<string, ValuesDelta>();
  #presence = new Map<string, PresenceDelta>();
  #alerts = new Map<string, AlertDelta>();
  #kpis = new Map<string, KpiObservation>();
  #kpiRollups = new Map<string, KpiRollup>();
  #devices = new Map<string, SnapshotDevice>();
  #removedDevices = new Set<string>();
  #conferences = new Map<string, ConferenceUpdate>();
  /** Conferences this room was told of, so that it also hears when they end. */
  readonly #conferencesShown = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  readonly #recent: RoomDelta[] = [];
  readonly #intervalMs: number;
  readonly #send: (delta: RoomDelta) => void;

  constructor(options: {
    id: string;
    scope: AccessScope;
    intervalMs: number;
    send: (delta: RoomDelta) => void;
  }) {
    this.id = options.id;
    this.scope = options.scope;
    this.#intervalMs = options.intervalMs;
    this.#send = options.send;
  }

  /** Sequence number of the last batch sent; a snapshot taken now precedes `seq + 1`. */
  get seq(): number {
    return this.#seq;
  }

  values(delta: ValuesDelta, unit: string, sector: string): void {
    if (!this.scope.allows(unit, sector)) return;
    const pending = this.#values.get(delta.deviceId);
    if (pending && pending.ts > delta.ts) return;
    this.#values.set(delta.deviceId, {
      deviceId: delta.deviceId,
      ts: delta.ts,
      // Metrics not in this reading keep what an earlier reading in the batch said.
      values: pending ? { ...pending.values, ...delta.values } : delta.values,
    });
    this.#schedule();
  }

  presence(delta: PresenceDelta, unit: string, sector: string): void {
    if (!this.scope.allows(unit, sector)) return;
    this.#presence.set(delta.deviceId, delta);
    this.#schedule();
  }

  alert(delta: AlertDelta): void {
    if (!this.scope.allowsAlert(delta.alert)) return;
    this.#alerts.set(delta.alert.id, delta);
    this.#schedule();
  }

  /** True when the observation is in the room's scope (and so due in the next batch). */
  kpi(observation: KpiObservation): boolean {
    if (!this.scope.allows(observation.unit, observation.sector)) return false;
    const key = `${observation.kpi}|${observation.unit}|${observation.sector ?? ''}`;
    const pending = this.#kpis.get(key);
    if (!pending || pending.date <= observation.date) this.#kpis.set(key, observation);
    this.#schedule();
    return true;
  }

  /** The room's roll-up, computed by the caller for this room's scope. */
  kpiRollup(rollup: KpiRollup): void {
    this.#kpiRollups.set(`${rollup.kpi}|${rollup.date}`, rollup);
    this.#schedule();
  }

  /** A device was provisioned, disabled or enabled: rooms that cover it get it whole. */
  device(device: SnapshotDevice): void {
    if (!this.scope.allowsDevice(device)) return;
    this.#removedDevices.delete(device.id);
    this.#devices.set(device.id, device);
    this.#schedule();
  }

  deviceRemoved(device: IndexedDevice): void {
    if (!this.scope.allowsDevice(device)) return;
    this.#devices.delete(device.id);
    this.#removedDevices.add(device.id);
    this.#schedule();
  }

  /** A conference's endpoints: those in scope; nothing when none is (unless it ends). */
  conference(update: ConferenceUpdate): void {
    const visible = conferenceInScope(update, this.scope);
    const id = update.conferenceId;
    if (!visible) {
      // A room told of a conference hears that it ended, or that it left its scope.
      if (!this.#conferencesShown.delete(id)) return;
      this.#conferences.set(id, { ...update, endpoints: [], activeSpeaker: null, ended: true });
    } else if (update.ended) {
      this.#conferencesShown.delete(id);
      this.#conferences.set(id, visible);
    } else {
      this.#conferencesShown.add(id);
      this.#conferences.set(id, visible);
    }
    this.#schedule();
  }

  /** A snapshot showed the room this conference (so it must hear of its end). */
  conferenceShown(id: string): void {
    this.#conferencesShown.add(id);
  }

  /** Batches sent after `seq`, oldest first; undefined when some are no longer kept. */
  since(seq: number): RoomDelta[] | undefined {
    if (seq === this.#seq) return [];
    const first = this.#recent[0];
    if (!first || first.seq > seq + 1) return undefined;
    return this.#recent.filter((d) => d.seq > seq);
  }

  /** Sends what is pending now (tests, shutdown). */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const pending = [
      this.#values,
      this.#presence,
      this.#alerts,
      this.#kpis,
      this.#kpiRollups,
      this.#devices,
      this.#removedDevices,
      this.#conferences,
    ];
    if (pending.every((batch) => batch.size === 0)) return;
    const delta: RoomDelta = {
      room: this.id,
      seq: ++this.#seq,
      at: new Date().toISOString(),
      values: [...this.#values.values()],
      presence: [...this.#presence.values()],
      alerts: [...this.#alerts.values()],
      kpis: [...this.#kpis.values()],
      kpiRollups: [...this.#kpiRollups.values()],
      devices: [...this.#devices.values()],
      removedDevices: [...this.#removedDevices],
      conferences: [...this.#conferences.values()],
    };
    this.#values = new Map();
    this.#presence = new Map();
    this.#alerts = new Map();
    this.#kpis = new Map();
    this.#kpiRollups = new Map();
    this.#devices = new Map();
    this.#removedDevices = new Set();
    this.#conferences = new Map();
    this.#recent.push(delta);
    if (this.#recent.length > KEPT_BATCHES) this.#recent.shift();
    this.#send(delta);
  }

  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    this.#timer ??= setTimeout(() => this.flush(), this.#intervalMs);
  }
}
