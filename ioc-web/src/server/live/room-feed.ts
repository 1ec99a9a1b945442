import type { AlertChangeKind, AlertSnapshot, KpiObservation } from '@ioc/core';
import type { AccessScope } from '../access/access-scope.js';

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

  kpi(observation: KpiObservation): void {
    if (!this.scope.allows(observation.unit, observation.sector)) return;
    const key = `${observation.kpi}|${observation.unit}|${observation.sector ?? ''}`;
    const pending = this.#kpis.get(key);
    if (!pending || pending.date <= observation.date) this.#kpis.set(key, observation);
    this.#schedule();
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
    if (!this.#values.size && !this.#presence.size && !this.#alerts.size && !this.#kpis.size) {
      return;
    }
    const delta: RoomDelta = {
      room: this.id,
      seq: ++this.#seq,
      at: new Date().toISOString(),
      values: [...this.#values.values()],
      presence: [...this.#presence.values()],
      alerts: [...this.#alerts.values()],
      kpis: [...this.#kpis.values()],
    };
    this.#values = new Map();
    this.#presence = new Map();
    this.#alerts = new Map();
    this.#kpis = new Map();
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
