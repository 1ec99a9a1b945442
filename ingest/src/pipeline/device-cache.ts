import type { Device, DeviceRegistry } from '@ioc/devices';

/** Most devices remembered; past it the oldest entry goes (ids are bounded by the registry). */
const MAX_ENTRIES = 100_000;

/**
 * Registry lookups for the hot path: each device (or its absence) is remembered for a
 * short TTL, concurrent lookups of one id share a query, and the registry's events drop an
 * entry at once when a device is provisioned, revoked or enabled/disabled.
 */
export class DeviceCache {
  readonly #registry: DeviceRegistry;
  readonly #ttlMs: number;
  readonly #entries = new Map<string, { device: Promise<Device | undefined>; expires: number }>();
  readonly #forget = (device: Device) => this.#entries.delete(device.id);

  constructor(registry: DeviceRegistry, ttlMs: number) {
    this.#registry = registry;
    this.#ttlMs = ttlMs;
    for (const event of ['provisioned', 'revoked', 'enabled-changed'] as const) {
      registry.on(event, this.#forget);
    }
  }

  get(id: string): Promise<Device | undefined> {
    const now = Date.now();
    const entry = this.#entries.get(id);
    if (entry && entry.expires > now) return entry.device;
    if (entry) this.#entries.delete(id);
    const device = this.#registry.get(id);
    // A failed lookup is not remembered.
    device.catch(() => this.#entries.delete(id));
    if (this.#entries.size >= MAX_ENTRIES) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(id, { device, expires: now + this.#ttlMs });
    return device;
  }

  close(): void {
    for (const event of ['provisioned', 'revoked', 'enabled-changed'] as const) {
      this.#registry.off(event, this.#forget);
    }
    this.#entries.clear();
  }
}
