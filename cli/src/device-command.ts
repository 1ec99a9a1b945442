import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { ApiError } from '@ioc/core';
import {
  type Device,
  type DeviceImportFormat,
  type DeviceInput,
  type DevicePage,
  type DeviceType,
  type ImportReport,
  parseDeviceImport,
} from '@ioc/devices';
import type { AdminChannel } from './admin-channel.js';

/** `ioc device types|add|list|rotate|revoke|import`: the same operations as /api/v1/devices. */
export class DeviceCommand {
  constructor(private readonly channel: AdminChannel) {}

  async types(): Promise<readonly DeviceType[]> {
    const pick = (a: { types: DeviceType[] }) => a.types;
    return this.channel.run(
      { method: 'GET', path: '/api/v1/device-types', pick },
      async ({ catalogue }) => catalogue.types(),
    );
  }

  async add(input: DeviceInput): Promise<{ device: Device; secret: string }> {
    const request = { method: 'POST', path: '/api/v1/devices', body: input };
    return this.channel.run(request, async ({ devices, audit, actor }) => {
      const created = await devices.provision(input);
      await audit.record({
        actor,
        action: 'device.provision',
        target: `device:${created.device.id}`,
        details: { type: created.device.type, unit: created.device.unit },
      });
      return created;
    });
  }

  async list(filter: { type?: string; unit?: string; sector?: string }): Promise<DevicePage> {
    const query = new URLSearchParams(
      Object.entries({ ...filter, limit: '1000' }).filter((e): e is [string, string] => !!e[1]),
    );
    return this.channel.run({ method: 'GET', path: `/api/v1/devices?${query}` }, ({ devices }) =>
      devices.list({ ...filter, limit: 1000 }),
    );
  }

  async rotate(id: string): Promise<{ id: string; secret: string }> {
    const path = `/api/v1/devices/${encodeURIComponent(id)}/rotate`;
    return this.channel.run({ method: 'POST', path }, async ({ devices, audit, actor }) => {
      const secret = await devices.rotateSecret(id);
      await audit.record({ actor, action: 'device.rotate', target: `device:${id}` });
      return { id, secret };
    });
  }

  async revoke(id: string): Promise<Device> {
    const path = `/api/v1/devices/${encodeURIComponent(id)}/revoke`;
    const pick = (a: { device: Device }) => a.device;
    return this.channel.run({ method: 'POST', path, pick }, async ({ devices, audit, actor }) => {
      const device = await devices.revoke(id);
      await audit.record({ actor, action: 'device.revoke', target: `device:${id}` });
      return device;
    });
  }

  async import(file: string, dryRun: boolean): Promise<ImportReport> {
    const format = importFormat(file);
    const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new ApiError(400, 'FILE_UNREADABLE', `cannot read ${file}: ${err.code ?? err.message}`);
    });
    const path = `/api/v1/devices/import?format=${format}&dryRun=${dryRun}`;
    const contentType = format === 'csv' ? 'text/csv' : 'application/json';
    return this.channel.run(
      { method: 'POST', path, body: text, contentType },
      async ({ devices, audit, actor }) => {
        const batch = parseDeviceImport(text, format);
        const report = await devices.importDevices(batch.rows, {
          dryRun,
          firstRow: batch.firstRow,
        });
        if (!report.dryRun) {
          await audit.record({
            actor,
            action: 'device.import',
            target: `devices:${report.created.length}`,
            details: { created: report.created.map((d) => d.id), errors: report.errors.length },
          });
        }
        return report;
      },
    );
  }
}

function importFormat(file: string): DeviceImportFormat {
  const ext = extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.json') return 'json';
  throw new ApiError(400, 'UNKNOWN_FORMAT', `${file}: use a .csv or .json file`);
}
