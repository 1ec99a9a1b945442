import type { LiveBus, LiveEvents } from '@ioc/core';
import { Gauge, type Registry } from 'prom-client';
import type { MqttBroker } from './mqtt-broker.js';

export type DevicePresenceState = LiveEvents['device.presence'];

/** How missed reports are judged (see DevicePresence.watchReports). */
export interface ReportWatchOptions {
  /**
   * The expected milliseconds between two reports of a device (its type's report interval),
   * or undefined for a device the registry does not know: its reports are then ignored.
   * Asked once per device; a rejected promise is asked again at the next report.
   */
  expectedIntervalMs: (deviceId: string) => number | undefined | Promise<number | undefined>;
  /** A device is offline after this many intervals without a report. 0 turns the watch off. */
  missedReports: number;
  /** How often overdue devices are looked for. Default 1000 ms. */
  sweepMs?: number;
}

/** What presence knows about one device. Times are epoch ms; 0 means never. */
interface Tracked {
  state: DevicePresenceState | undefined;
  /** The broker holds an MQTT connection of the device. */
  connected: boolean;
  /** When its last connection closed: reports received before that are old news. */
  disconnectedAt: number;
  /** Its last connect or report. */
  lastActivity: number;
  /** Offline when no report came by then; 0 when not watched. */
  deadline: number;
  /** It sits in a deadline bucket (maybe an earlier one than its deadline). */
  bucketed: boolean;
  /** Expected report interval: undefined = not asked yet, null = unknown device. */
  intervalMs: number | null | undefined;
  resolving: boolean;
}

const GAUGE = 'ioc_devices_online';

/**
 * The one authority on whether a device is online; each change goes on the live bus as
 * `device.presence`, and only real changes do. It follows:
 * - the broker's connections: online when a device's session is ready (`connect`),
 *   offline when its last connection closes (`disconnect`, `keepalive-timeout`,
 *   `connection-lost`, `protocol-error`, `broker-stopping`); the last will itself is
 *   published by the broker on the device's `status` topic;
 * - with `watchReports`, the device's reports (`reported`, from ingest: MQTT telemetry and
 *   OPC-UA readings): a device with no report for `missedReports` × its type's interval goes
 *   offline (`missed-reports`) even while connected, and online again (`report`) with its
 *   next report. Devices without an MQTT connection (OPC-UA) are online by their reports.
 *
 * Deadlines sit in time buckets swept by one timer: a report only moves a number, so tens
 * of thousands of devices reporting cost no timers.
 */
export class DevicePresence {
  readonly #devices = new Map<string, Tracked>();
  readonly #detach: () => void;
  /** Bucket index (time / sweepMs, rounded up) → devices whose deadline may fall in it. */
  readonly #buckets = new Map<number, string[]>();
  #watch: (ReportWatchOptions & { sweepMs: number }) | undefined;
  #sweeper: NodeJS.Timeout | undefined;
  #online = 0;

  constructor(
    broker: MqttBroker,
    private readonly bus: LiveBus,
    private readonly metrics?: Registry,
  ) {
    const onOnline = (deviceId: string, reason: string) => this.#connected(deviceId, reason);
    const onOffline = (deviceId: string, reason: string) => this.#disconnected(deviceId, reason);
    broker.on('deviceOnline', onOnline);
    broker.on('deviceOffline', onOffline);
    this.#detach = () => {
      broker.off('deviceOnline', onOnline);
      broker.off('deviceOffline', onOffline);
    };
    if (metrics) {
      const presence = this;
      new Gauge({
        name: GAUGE,
        help: 'Devices online: connected to this broker and, when reports are watched, reporting',
        registers: [metrics],
        collect() {
          this.set(presence.onlineCount);
        },
      });
    }
  }

  get onlineCount(): number {
    return this.#online;
  }

  /** Turns on offline-by-missed-reports (once; the process that runs ingest does it). */
  watchReports(options: ReportWatchOptions): void {
    if (this.#watch) throw new Error('reports are watched already');
    if (!(options.missedReports > 0)) return;
    const sweepMs = options.sweepMs ?? 1000;
    this.#watch = { ...options, sweepMs };
    this.#sweeper = setInterval(() => this.sweep(), sweepMs);
    this.#sweeper.unref();
    // Devices connected before the watch began are watched from now.
    const now = Date.now();
    for (const [deviceId, tracked] of this.#devices) {
      if (!tracked.connected) continue;
      tracked.lastActivity = Math.max(tracked.lastActivity, now);
      if (tracked.intervalMs === undefined) this.#resolveInterval(deviceId, tracked);
      else this.#arm(deviceId, tracked);
    }
  }

  /**
   * A message or reading from the device arrived at `receivedAt`. Cheap: called for every
   * telemetry message. Ignored unless reports are watched.
   */
  reported(deviceId: string, receivedAt: Date): void {
    if (!this.#watch) return;
    const at = receivedAt.getTime();
    const tracked = this.#track(deviceId);
    // A message that arrived before the device disconnected must not bring it back.
    if (!tracked.connected && at <= tracked.disconnectedAt) return;
    if (at > tracked.lastActivity) tracked.lastActivity = at;
    if (tracked.intervalMs === undefined) {
      this.#resolveInterval(deviceId, tracked);
      return;
    }
    if (tracked.intervalMs === null) return;
    this.#set(deviceId, tracked, 'online', 'report');
    this.#arm(deviceId, tracked);
  }

  /**
   * Takes offline every watched device whose deadline passed by `now`. Runs on its own
   * timer; callable to judge at a given instant.
   */
  sweep(now = Date.now()): void {
    const watch = this.#watch;
    if (!watch) return;
    const due = Math.floor(now / watch.sweepMs);
    for (const [index, deviceIds] of this.#buckets) {
      if (index > due) continue;
      this.#buckets.delete(index);
      for (const deviceId of deviceIds) {
        const tracked = this.#devices.get(deviceId);
        if (!tracked) continue;
        tracked.bucketed = false;
        if (tracked.deadline === 0) continue;
        if (tracked.deadline > now) {
          this.#bucket(deviceId, tracked); // reported since: its deadline moved on
          continue;
        }
        tracked.deadline = 0;
        this.#set(deviceId, tracked, 'offline', 'missed-reports');
      }
    }
  }

  /** The current state of every device seen since start. */
  snapshot(): DevicePresenceState[] {
    return [...this.#devices.values()].flatMap((t) => (t.state ? [{ ...t.state }] : []));
  }

  stateOf(deviceId: string): DevicePresenceState | undefined {
    const state = this.#devices.get(deviceId)?.state;
    return state && { ...state };
  }

  /** Stops following the broker and reports, and removes the gauge. */
  close(): void {
    this.#detach();
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
    this.#watch = undefined;
    this.#buckets.clear();
    this.metrics?.removeSingleMetric(GAUGE);
  }

  #connected(deviceId: string, reason: string): void {
    const tracked = this.#track(deviceId);
    tracked.connected = true;
    tracked.lastActivity = Date.now();
    this.#set(deviceId, tracked, 'online', reason);
    if (!this.#watch) return;
    if (tracked.intervalMs === undefined) this.#resolveInterval(deviceId, tracked);
    else this.#arm(deviceId, tracked);
  }

  #disconnected(deviceId: string, reason: string): void {
    const tracked = this.#track(deviceId);
    tracked.connected = false;
    tracked.disconnectedAt = Date.now();
    tracked.deadline = 0;
    this.#set(deviceId, tracked, 'offline', reason);
  }

  #track(deviceId: string): Tracked {
    let tracked = this.#devices.get(deviceId);
    if (!tracked) {
      tracked = {
        state: undefined,
        connected: false,
        disconnectedAt: 0,
        lastActivity: 0,
        deadline: 0,
        bucketed: false,
        intervalMs: undefined,
        resolving: false,
      };
      this.#devices.set(deviceId, tracked);
    }
    return tracked;
  }

  /** Asks for the device's report interval; a plain value applies at once, a promise later. */
  #resolveInterval(deviceId: string, tracked: Tracked): void {
    const watch = this.#watch;
    if (!watch || tracked.resolving) return;
    const apply = (interval: number | undefined) => {
      tracked.resolving = false;
      if (this.#watch !== watch) return;
      tracked.intervalMs = interval !== undefined && interval > 0 ? interval : null;
      if (tracked.intervalMs === null) return;
      // A device known only by its reports (OPC-UA) is online from its first one.
      if (!tracked.connected && tracked.lastActivity > tracked.disconnectedAt)
        this.#set(deviceId, tracked, 'online', 'report');
      if (tracked.state?.state === 'online') this.#arm(deviceId, tracked);
    };
    const retryLater = () => {
      tracked.resolving = false; // asked again at the next report
    };
    tracked.resolving = true;
    let answer: ReturnType<ReportWatchOptions['expectedIntervalMs']>;
    try {
      answer = watch.expectedIntervalMs(deviceId);
    } catch {
      retryLater();
      return;
    }
    if (answer instanceof Promise) answer.then(apply, retryLater);
    else apply(answer);
  }

  #arm(deviceId: string, tracked: Tracked): void {
    const watch = this.#watch;
    if (!watch || typeof tracked.intervalMs !== 'number') return;
    tracked.deadline = tracked.lastActivity + watch.missedReports * tracked.intervalMs;
    if (!tracked.bucketed) this.#bucket(deviceId, tracked);
  }

  #bucket(deviceId: string, tracked: Tracked): void {
    const index = Math.ceil(tracked.deadline / (this.#watch?.sweepMs ?? 1000));
    const bucket = this.#buckets.get(index);
    if (bucket) bucket.push(deviceId);
    else this.#buckets.set(index, [deviceId]);
    tracked.bucketed = true;
  }

  #set(deviceId: string, tracked: Tracked, state: 'online' | 'offline', reason: string): void {
    const previous = tracked.state?.state;
    if (previous === state) return;
    if (state === 'online') this.#online += 1;
    else if (previous === 'online') this.#online -= 1;
    const event: DevicePresenceState = { deviceId, state, at: new Date().toISOString(), reason };
    tracked.state = event;
    this.bus.publish('device.presence', { ...event });
  }
}
