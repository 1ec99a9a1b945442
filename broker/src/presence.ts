import type { LiveBus, LiveEvents } from '@ioc/core';
import { Gauge, type Registry } from 'prom-client';
import type { MqttBroker } from './mqtt-broker.js';

export type DevicePresenceState = LiveEvents['device.presence'];

const GAUGE = 'ioc_devices_online';

/**
 * Online/offline state of every device seen since start, from the broker's connections:
 * online when a device's session is ready, offline when its last connection closes (clean
 * DISCONNECT, keepalive timeout, lost connection). Each change goes on the live bus as
 * `device.presence`. A device's last will is the broker's business (published on the
 * device's own `status` topic); missed report intervals are judged by ingest.
 */
export class DevicePresence {
  readonly #states = new Map<string, DevicePresenceState>();
  readonly #detach: () => void;
  #online = 0;

  constructor(
    broker: MqttBroker,
    private readonly bus: LiveBus,
    private readonly metrics?: Registry,
  ) {
    const onOnline = (deviceId: string, reason: string) => this.#set(deviceId, 'online', reason);
    const onOffline = (deviceId: string, reason: string) => this.#set(deviceId, 'offline', reason);
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
        help: 'Devices with an MQTT connection to this broker',
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

  /** The current state of every device seen since the broker started. */
  snapshot(): DevicePresenceState[] {
    return [...this.#states.values()].map((state) => ({ ...state }));
  }

  stateOf(deviceId: string): DevicePresenceState | undefined {
    const state = this.#states.get(deviceId);
    return state && { ...state };
  }

  /** Stops following the broker and removes the gauge. */
  close(): void {
    this.#detach();
    this.metrics?.removeSingleMetric(GAUGE);
  }

  #set(deviceId: string, state: 'online' | 'offline', reason: string): void {
    const previous = this.#states.get(deviceId)?.state;
    if (previous === state) return;
    if (state === 'online') this.#online += 1;
    else if (previous === 'online') this.#online -= 1;
    const event: DevicePresenceState = { deviceId, state, at: new Date().toISOString(), reason };
    this.#states.set(deviceId, event);
    this.bus.publish('device.presence', { ...event });
  }
}
