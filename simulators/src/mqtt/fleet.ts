import type { AdminUnitTree, Logger } from '@ioc/core';
import { StartupError } from '@ioc/core';
import type { Device, DeviceRegistry } from '@ioc/devices';
import { type DemoDevice, type DemoDeviceType, planDemoFleet } from './fleet-plan.js';
import { DemoSecretsFile } from './secrets-file.js';

export interface DemoFleetOptions {
  units: AdminUnitTree;
  /** Same seed, same fleet. Default 1. */
  seed?: number;
  /** Number of devices. Default 300. */
  size?: number;
}

/** A demo device with the secret it logs in with. */
export interface DemoCredentials {
  device: DemoDevice;
  secret: string;
}

export interface ProvisionOptions {
  /** Where `demo-devices.json` (the demo devices' secrets) lives. */
  dataDir: string;
  logger?: Logger;
  /** Secrets rotated at once when the file lost them (each costs a scrypt hash). Default 3. */
  concurrency?: number;
  /** Stops between batches (what is done stays done and saved); rejects with its reason. */
  signal?: AbortSignal;
}

export interface ProvisionReport {
  /** Every device the simulator may run, with its secret. */
  credentials: DemoCredentials[];
  /** Devices created in the registry by this call. */
  created: number;
  /** Devices whose secret was unknown (file lost), so it was replaced. */
  rotated: number;
  /** Devices already provisioned whose stored secret was reused. */
  reused: number;
  /** Ids left out: revoked by an operator, or taken by a device of another type. */
  skipped: string[];
  elapsedMs: number;
}

export const DEFAULT_DEMO_FLEET_SIZE = 300;
/** Devices created per import: ~3 s of hashing on 2 cores, so a stop never waits long. */
const PROVISION_BATCH = 50;

/**
 * The demo province's MQTT field devices: decided deterministically from a seed and a size
 * (see fleet-plan.ts), and provisioned in the device registry once, each with its own secret.
 */
export class DemoFleet {
  readonly devices: readonly DemoDevice[];
  readonly seed: number;

  constructor(options: DemoFleetOptions) {
    this.seed = options.seed ?? 1;
    this.devices = planDemoFleet(options.units, this.seed, options.size ?? DEFAULT_DEMO_FLEET_SIZE);
  }

  /**
   * Makes every demo device exist in the registry with a secret this simulator knows.
   * Missing devices are created in bulk (the registry hashes with bounded concurrency);
   * devices whose secret was lost get a new one. Secrets are kept in
   * `<dataDir>/demo-devices.json` (mode 0600), so later starts hash nothing.
   */
  async ensureProvisioned(
    registry: DeviceRegistry,
    options: ProvisionOptions,
  ): Promise<ProvisionReport> {
    const started = Date.now();
    const secrets = new DemoSecretsFile(options.dataDir);
    const known = await secrets.read(options.logger);
    const existing = await existingDevices(registry, new Set(this.devices.map((d) => d.type)));

    const credentials: DemoCredentials[] = [];
    const missing: DemoDevice[] = [];
    const lost: DemoDevice[] = [];
    const skipped: string[] = [];
    for (const device of this.devices) {
      const row = existing.get(device.id);
      const secret = known.get(device.id);
      if (!row) missing.push(device);
      else if (row.revokedAt || row.type !== device.type) skipped.push(device.id);
      else if (secret === undefined) lost.push(device);
      else credentials.push({ device, secret });
    }
    const reused = credentials.length;
    const missingIds = new Set(missing.map((d) => d.id));

    for (let i = 0; i < missing.length; i += PROVISION_BATCH) {
      options.signal?.throwIfAborted();
      const batch = missing.slice(i, i + PROVISION_BATCH);
      const report = await registry.importDevices(batch.map(toInput));
      for (const { id, secret } of report.created) known.set(id, secret);
      // Saved after each batch: a crash later costs rotations, not orphaned devices.
      await secrets.write(known);
      // An id taken meanwhile, or by a device of another type, is left out; anything else is a bug.
      for (const error of report.errors) {
        if (error.code === 'DEVICE_EXISTS' && error.id) skipped.push(error.id);
      }
      const problem = report.errors.find((e) => e.code !== 'DEVICE_EXISTS');
      if (problem) {
        throw new StartupError(
          `could not provision demo device ${problem.id ?? ''}: ${problem.message}`,
          'SIMULATOR_FAILED',
        );
      }
      for (const device of batch) {
        const secret = known.get(device.id);
        if (secret !== undefined) credentials.push({ device, secret });
      }
    }

    try {
      await forEachBounded(lost, options.concurrency ?? 3, async (device) => {
        options.signal?.throwIfAborted();
        const secret = await registry.rotateSecret(device.id);
        known.set(device.id, secret);
        credentials.push({ device, secret });
      });
    } finally {
      // Saved even when stopped half-way: a rotated secret not on disk is lost for good.
      if (lost.length > 0) await secrets.write(known);
    }

    if (skipped.length > 0) {
      options.logger?.warn(
        { devices: skipped.slice(0, 10), count: skipped.length },
        'demo devices left out: revoked, or the id belongs to a device of another type',
      );
    }
    const order = new Map(this.devices.map((d, i) => [d.id, i]));
    credentials.sort((a, b) => (order.get(a.device.id) ?? 0) - (order.get(b.device.id) ?? 0));
    return {
      credentials,
      created: missing.length - skipped.filter((id) => missingIds.has(id)).length,
      rotated: lost.length,
      reused,
      skipped,
      elapsedMs: Date.now() - started,
    };
  }
}

/** The registry's devices of the fleet's types (revoked ones included), by id. */
async function existingDevices(
  registry: DeviceRegistry,
  types: Set<DemoDeviceType>,
): Promise<Map<string, Device>> {
  const byId = new Map<string, Device>();
  const limit = 1000;
  for (const type of types) {
    for (let offset = 0; ; offset += limit) {
      const page = await registry.list({ type, includeRevoked: true, limit, offset });
      for (const device of page.devices) byId.set(device.id, device);
      if (page.devices.length < limit) break;
    }
  }
  return byId;
}

function toInput(device: DemoDevice) {
  const { id, type, unit, name, lat, lon, tags } = device;
  return { id, type, unit, name, lat, lon, tags };
}

async function forEachBounded<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
}
