import { EventEmitter } from 'node:events';

export type AlertSeverity = 'critical' | 'major' | 'minor' | 'warning' | 'info';

/**
 * `active` (raised, nobody has reacted) → `acknowledged` (a person owns it) → `resolved` (a
 * person closed it) or `cleared` (its condition went away by itself).
 */
export type AlertState = 'active' | 'acknowledged' | 'resolved' | 'cleared';

/** What happened to an alert; one `alert.changed` event per change. */
export type AlertChangeKind =
  | 'raised'
  | 'retriggered'
  | 'acknowledged'
  | 'assigned'
  | 'commented'
  | 'resolved'
  | 'cleared'
  | 'escalated'
  | 'grouped';

/** An alert as walls, consoles and notifications see it (times ISO 8601 UTC). */
export interface AlertSnapshot {
  id: string;
  ruleId: string;
  /** What raised it: a device id, or `kpi:<kpi>:<unit>` for a KPI rule. */
  source: string;
  severity: AlertSeverity;
  state: AlertState;
  /** The rule's message template rendered in both languages. */
  message: { vi: string; en: string };
  deviceId: string | null;
  /** Admin unit code of the source. */
  unit: string | null;
  sector: string | null;
  metric: string | null;
  value: number | boolean | null;
  /** How many times the condition fired while this alert was open. */
  count: number;
  raisedAt: string;
  lastSeenAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  assignee: string | null;
  /** When and by whom it was resolved or cleared (`system` when cleared). */
  endedAt: string | null;
  endedBy: string | null;
  /** 0 until escalated; +1 per escalation. */
  escalationLevel: number;
  /** The storm's parent alert this one is grouped under, if any. */
  parentId: string | null;
}

/** One stored KPI figure (ingest.kpi). `date` is the local day (Asia/Ho_Chi_Minh), yyyy-MM-dd. */
export interface KpiObservation {
  kpi: string;
  unit: string;
  sector: string | null;
  date: string;
  ts: string;
  value: number;
}

/** How well an endpoint's media flows, judged from loss and RTT (see media/README.md). */
export type ConferenceLinkQuality = 'good' | 'fair' | 'poor';

/** One invited unit (or signed-in user) of a live conference, as the wall shows it. */
export interface ConferenceEndpoint {
  /** Admin unit code of an invited unit; null for a signed-in user without a unit link. */
  unit: string | null;
  /** Peer id while connected, else null. */
  peerId: string | null;
  displayName: string;
  role: 'chair' | 'speaker' | 'participant' | 'viewer';
  connected: boolean;
  /** ISO 8601 UTC; null when not connected. */
  joinedAt: string | null;
  /** bits/s the endpoint sends to and receives from the SFU. */
  sendBitrate: number;
  recvBitrate: number;
  /** Fraction lost, 0..1, the worse of the up- and downlink. */
  packetLoss: number;
  /** Round-trip time in ms, null until measured. */
  rttMs: number | null;
  /** Highest simulcast spatial layer (0 = low) it receives now; null when it receives no video. */
  recvLayer: number | null;
  /** Null when not connected. */
  quality: ConferenceLinkQuality | null;
  handRaised: boolean;
  audioMuted: boolean;
}

/**
 * Events that cross service boundaries inside one process (and, later, through Redis
 * across processes). Each later issue adds its event types here.
 */
export interface LiveEvents {
  'service.status': { service: string; status: 'up' | 'down'; reason?: string };
  /** The hosting process received a stop signal; services stop expecting their children. */
  'process.stopping': { signal: string };
  /**
   * A device came online or went offline. One authority publishes it, the broker's
   * DevicePresence, and only on a real change (never online twice in a row). `at` is an
   * ISO 8601 UTC time; `reason` says why: online by `connect` (an MQTT session is ready) or
   * `report` (a report came from a device that was offline or has no MQTT connection, e.g.
   * one read over OPC-UA); offline by `disconnect` (clean MQTT DISCONNECT),
   * `keepalive-timeout`, `connection-lost`, `protocol-error`, `broker-stopping`, or
   * `missed-reports` (no report for `ingest.offlineAfterMissedReports` × the report interval
   * of its device type, connected or not).
   */
  'device.presence': {
    deviceId: string;
    state: 'online' | 'offline';
    at: string;
    reason: string;
  };
  /** An alert changed (ingest's rule engine or a person through the API). */
  'alert.changed': {
    change: AlertChangeKind;
    alert: AlertSnapshot;
    /** User name of the person, or null for the system. */
    actor: string | null;
    at: string;
  };
  /**
   * Telemetry was accepted (validated and spooled): the latest values for walls. One event
   * per accepted message, its points grouped by device; walls coalesce them further.
   */
  'telemetry.latest': {
    points: Array<{
      deviceId: string;
      /** Admin unit code and sector of the device (registry tags). */
      unit: string;
      sector: string;
      /** Reading time, epoch ms. */
      ts: number;
      values: Record<string, number | boolean>;
    }>;
  };
  /** KPI observations were stored (ingest.kpi); rules and walls follow them. */
  'kpi.observed': { observations: KpiObservation[] };
  /**
   * A live conference's endpoints, every `media.conference.statsIntervalS` while it runs and
   * at once when someone joins or leaves: every invited unit (connected or not) plus every
   * other connected peer. `ended: true` once, when the room closes.
   */
  'conference.endpoints': {
    conferenceId: string;
    title: string;
    /** Peer id of the active speaker, null when nobody speaks. */
    activeSpeaker: string | null;
    endpoints: ConferenceEndpoint[];
    ended: boolean;
    at: string;
  };
}

/** A typed in-memory publish/subscribe bus. */
export class LiveBus {
  readonly #emitter = new EventEmitter({ captureRejections: false });

  constructor() {
    this.#emitter.setMaxListeners(0);
  }

  publish<K extends keyof LiveEvents>(topic: K, event: LiveEvents[K]): void {
    this.#emitter.emit(topic, event);
  }

  subscribe<K extends keyof LiveEvents>(
    topic: K,
    listener: (event: LiveEvents[K]) => void,
  ): () => void {
    this.#emitter.on(topic, listener);
    return () => this.#emitter.off(topic, listener);
  }
}
