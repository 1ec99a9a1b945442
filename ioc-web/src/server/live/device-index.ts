import type { Device, DeviceRegistry } from '@ioc/devices';

/** What a wall needs of a device to place and filter it, kept in memory. */
export interface IndexedDevice {
  id: string;
  name: string;
  type: string;
  unit: string;
  sector: string;
  lat: number | null;
  lon: number | null;
  /** False while an administrator has it disabled: walls keep it, but do not draw it. */
  enabled: boolean;
}

/**
 * A device joined or left the index (provisioned, revoked), or was disabled or enabled again
 * (`changed`: it stays listed, as in the REST list, with its new `enabled`), after it was loaded.
 */
export type DeviceIndexChange =
  | { kind: 'added'; device: IndexedDevice }
  | { kind: 'changed'; device: IndexedDevice }
  | { kind: 'removed'; device: IndexedDevice };

/**
 * Every unrevoked device's unit and sector, so that presence events (which carry only the
 * device id) can be routed to rooms without a query each; follows the registry's events and
 * tells `onChange` of each, so open walls hear of new, revoked, disabled and re-enabled
 * devices before their next snapshot.
 */
export class DeviceIndex {
  readonly #devices = new Map<string, IndexedDevice>();
  readonly #registry: DeviceRegistry;
  readonly #onChange: (change: DeviceIndexChange) => void;
  readonly #onProvisioned = (device: Device) => {
    const entry = indexed(device);
    this.#devices.set(device.id, entry);
    this.#onChange({ kind: 'added', device: entry });
  };
  readonly #onRevoked = (device: Device) => {
    const entry = this.#devices.get(device.id) ?? indexed(device);
    this.#devices.delete(device.id);
    this.#onChange({ kind: 'removed', device: entry });
  };
  readonly #onEnabledChanged = (device: Device) => {
    // Disabling a revoked device changes nothing a wall shows: it is gone already.
    if (device.revokedAt !== null || !this.#devices.has(device.id)) return;
    const entry = indexed(device);
    this.#devices.set(device.id, entry);
    this.#onChange({ kind: 'changed', device: entry });
  };

  constructor(registry: DeviceRegistry, onChange: (change: DeviceIndexChange) => void = () => {}) {
    this.#registry = registry;
    this.#onChange = onChange;
    registry.on('provisioned', this.#onProvisioned);
    registry.on('revoked', this.#onRevoked);
    registry.on('enabled-changed', this.#onEnabledChanged);
  }

  /** Reads the registry, a page at a time. */
  async load(): Promise<void> {
    for (let offset = 0; ; offset += 1000) {
      const page = await this.#registry.list({ limit: 1000, offset });
      for (const device of page.devices) this.#devices.set(device.id, indexed(device));
      if (page.devices.length < 1000) break;
    }
  }

  get(id: string): IndexedDevice | undefined {
    return this.#devices.get(id);
  }

  values(): IterableIterator<IndexedDevice> {
    return this.#devices.values();
  }

  close(): void {
    this.#registry.off('provisioned', this.#onProvisioned);
    this.#registry.off('revoked', this.#onRevoked);
    this.#registry.off('enabled-changed', this.#onEnabledChanged);
  }
}

function indexed(device: Device): IndexedDevice {
  const { id, name, type, unit, sector, lat, lon, enabled } = device;
  return { id, name, type, unit, sector, lat, lon, enabled };
}
