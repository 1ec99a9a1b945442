import { EventEmitter } from 'node:events';
import { availableParallelism } from 'node:os';
import {
  type AdminUnitTree,
  ApiError,
  hashPassword,
  type Logger,
  randomSecret,
  type SqlExecutor,
  type SqlStore,
  verifyPassword,
} from '@ioc/core';
import { mapBounded } from './bounded-map.js';
import type { DeviceCatalogue } from './catalogue.js';
import { type Device, type DeviceRow, toDevice } from './device.js';
import { type DeviceInput, DeviceInputChecker, type NewDevice } from './device-input.js';
import { type ImportRowError, planImport } from './import-plan.js';
import { isSector, SECTOR_IDS } from './sectors.js';
import { isDeviceId } from './topics.js';
import { VerifiedSecrets } from './verified-secrets.js';

export interface DeviceRegistryOptions {
  sql: SqlStore;
  catalogue: DeviceCatalogue;
  /** The administrative units devices may be placed in (config `units.dataset`). */
  units: AdminUnitTree;
  logger?: Logger;
  /**
   * scrypt hashes computed at once during a bulk import. Each holds one of libuv's 4 pool
   * threads and ~32 MiB; the default (CPU count, at most 3) leaves a thread for file I/O
   * and for devices logging in meanwhile.
   */
  hashConcurrency?: number;
}

export interface DeviceListFilter {
  type?: string;
  /** An admin unit code: devices in that unit or any unit below it. */
  unit?: string;
  sector?: string;
  /** Revoked devices are left out unless true. */
  includeRevoked?: boolean;
  /** 1 to 1000, default 100. */
  limit?: number;
  offset?: number;
}

/** The outcome of a device login: allowed, refused (known device that may not connect), or invalid. */
export type DeviceLogin =
  | { status: 'ok'; device: Device }
  | { status: 'refused'; reason: 'revoked' | 'disabled' }
  | { status: 'invalid' };

export interface DevicePage {
  devices: Device[];
  /** Devices matching the filter, over all pages. */
  total: number;
}

export interface ImportOptions {
  /** Check everything, the database included, and create nothing. */
  dryRun?: boolean;
  /** Row number of `rows[0]` in the report; see `parseDeviceImport`. Default 1. */
  firstRow?: number;
}

export interface ImportReport {
  dryRun: boolean;
  /** Each created device with its secret; the only time these secrets are shown. */
  created: { id: string; secret: string }[];
  /** Ids of the rows that passed: created, or that would be created in a dry run. */
  accepted: string[];
  /** Every problem of every refused row, in row order. */
  errors: ImportRowError[];
}

/** Events for services that hold devices' connections (the broker drops them on these). */
export interface DeviceRegistryEvents {
  provisioned: [device: Device];
  revoked: [device: Device];
  'enabled-changed': [device: Device];
  'secret-rotated': [device: Device];
}

/**
 * Rows one bulk import may hold. Each created row costs one scrypt hash: 500 rows took
 * 40-45 s on a busy 2-core machine, so 2000 rows stay within a few minutes.
 */
export const MAX_IMPORT_ROWS = 2000;
const MAX_SECRET_LENGTH = 256;
const SECRET_BYTES = 24;
const INSERT_CHUNK = 500;

/**
 * The device registry in SQL (PGlite or PostgreSQL): provisioning with a secret shown
 * once and stored as a scrypt hash, rotation, revocation, bulk import, and the
 * authentication the broker asks for on every connect.
 */
export class DeviceRegistry extends EventEmitter<DeviceRegistryEvents> {
  readonly catalogue: DeviceCatalogue;
  readonly units: AdminUnitTree;
  readonly #sql: SqlStore;
  readonly #logger: Logger | undefined;
  readonly #checker: DeviceInputChecker;
  readonly #hashConcurrency: number;
  readonly #verified = new VerifiedSecrets();
  /** A hash to check unknown ids against, so they take as long as known ones. */
  #dummyHash: Promise<string> | undefined;

  constructor(options: DeviceRegistryOptions) {
    super();
    this.#sql = options.sql;
    this.catalogue = options.catalogue;
    this.units = options.units;
    this.#logger = options.logger;
    this.#checker = new DeviceInputChecker(options.catalogue, options.units);
    this.#hashConcurrency = options.hashConcurrency ?? Math.min(3, availableParallelism());
  }

  /**
   * Registers a device and returns it with its secret, the only time the secret is shown.
   * Throws ApiError 400 (the code of the first problem; `details.problems` lists all)
   * for bad input and 409 DEVICE_EXISTS for a taken id.
   */
  async provision(input: DeviceInput): Promise<{ device: Device; secret: string }> {
    const checked = this.#checker.check(input);
    if (!checked.ok) {
      const [first, ...rest] = checked.problems;
      throw new ApiError(
        400,
        first?.code ?? 'INVALID_DEVICE',
        checked.problems.map((p) => p.message).join('; '),
        rest.length > 0 ? { problems: checked.problems } : undefined,
      );
    }
    const { device: wanted } = checked;
    // Fail fast before spending a scrypt hash on a taken id; the insert still checks.
    const existing = await this.get(wanted.id);
    if (existing) throw deviceExists(wanted.id, existing);
    const secret = randomSecret(SECRET_BYTES);
    const [row] = await insertDevices(this.#sql, [
      { device: wanted, secretHash: await hashPassword(secret) },
    ]);
    if (!row) throw deviceExists(wanted.id, await this.get(wanted.id));
    const device = toDevice(row);
    this.#logger?.info(
      { device: device.id, type: device.type, unit: device.unit },
      'device provisioned',
    );
    this.emit('provisioned', device);
    return { device, secret };
  }

  async get(id: string): Promise<Device | undefined> {
    const row = await this.#row(id);
    return row && toDevice(row);
  }

  /** Devices matching `filter`, ordered by id. Unknown filter values are a 400. */
  async list(filter: DeviceListFilter = {}): Promise<DevicePage> {
    const limit = filter.limit ?? 100;
    const offset = filter.offset ?? 0;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw new ApiError(
        400,
        'INVALID_PAGE',
        `limit must be a whole number from 1 to 1000; got ${limit}`,
      );
    }
    if (!Number.isInteger(offset) || offset < 0) {
      throw new ApiError(400, 'INVALID_PAGE', `offset must be a whole number ≥ 0; got ${offset}`);
    }
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.type !== undefined) {
      if (!this.catalogue.has(filter.type)) {
        throw new ApiError(
          400,
          'UNKNOWN_DEVICE_TYPE',
          `type "${filter.type}" is not in the device catalogue; use one of ${this.catalogue
            .types()
            .map((t) => t.id)
            .join(', ')}`,
        );
      }
      params.push(filter.type);
      where.push(`type = $${params.length}`);
    }
    if (filter.unit !== undefined) {
      if (!this.units.has(filter.unit)) {
        throw new ApiError(
          400,
          'UNKNOWN_UNIT',
          `unit "${filter.unit}" is not an administrative unit of dataset ${this.units.dataset.id}`,
        );
      }
      params.push([filter.unit, ...this.units.descendants(filter.unit).map((u) => u.code)]);
      where.push(`unit_code = ANY($${params.length}::text[])`);
    }
    if (filter.sector !== undefined) {
      if (!isSector(filter.sector)) {
        throw new ApiError(
          400,
          'UNKNOWN_SECTOR',
          `sector "${filter.sector}" is unknown; use one of ${SECTOR_IDS.join(', ')}`,
        );
      }
      params.push(filter.sector);
      where.push(`sector = $${params.length}`);
    }
    if (!filter.includeRevoked) where.push('revoked_at IS NULL');
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    // limit and offset are checked integers, safe to inline.
    const page = await this.#sql.query<DeviceRow>(
      `SELECT * FROM devices ${clause} ORDER BY id LIMIT ${limit} OFFSET ${offset}`,
      params,
    );
    const count = await this.#sql.query<{ total: number }>(
      `SELECT count(*) AS total FROM devices ${clause}`,
      params,
    );
    return { devices: page.rows.map(toDevice), total: count.rows[0]?.total ?? 0 };
  }

  /** Replaces the secret and returns the new one (shown once); the old one stops working. */
  async rotateSecret(id: string): Promise<string> {
    const current = await this.#require(id);
    if (current.revokedAt) throw deviceRevoked(current, 'rotate its secret');
    const secret = randomSecret(SECRET_BYTES);
    const { rows } = await this.#sql.query<DeviceRow>(
      `UPDATE devices SET secret_hash = $2, secret_rotated_at = now(), updated_at = now()
       WHERE id = $1 AND revoked_at IS NULL RETURNING *`,
      [id, await hashPassword(secret)],
    );
    if (!rows[0]) throw deviceRevoked(await this.#require(id), 'rotate its secret');
    this.#verified.forget(id);
    const device = toDevice(rows[0]);
    this.#logger?.info({ device: id }, 'device secret rotated');
    this.emit('secret-rotated', device);
    return secret;
  }

  /**
   * Revokes a device for good: it never authenticates again and its id is never reused;
   * the row stays for history. Revoking a revoked device changes nothing.
   */
  async revoke(id: string): Promise<Device> {
    const { rows } = await this.#sql.query<DeviceRow>(
      `UPDATE devices SET revoked_at = now(), updated_at = now()
       WHERE id = $1 AND revoked_at IS NULL RETURNING *`,
      [id],
    );
    if (!rows[0]) return this.#require(id);
    this.#verified.forget(id);
    const device = toDevice(rows[0]);
    this.#logger?.info({ device: id }, 'device revoked');
    this.emit('revoked', device);
    return device;
  }

  /** Disables (it cannot authenticate) or re-enables a device; a revoked one stays revoked. */
  async setEnabled(id: string, enabled: boolean): Promise<Device> {
    const current = await this.#require(id);
    if (enabled && current.revokedAt) throw deviceRevoked(current, 'enable it');
    if (current.enabled === enabled) return current;
    const { rows } = await this.#sql.query<DeviceRow>(
      'UPDATE devices SET enabled = $2, updated_at = now() WHERE id = $1 RETURNING *',
      [id, enabled],
    );
    const device = toDevice(rows[0] as DeviceRow);
    this.#logger?.info({ device: id, enabled }, enabled ? 'device enabled' : 'device disabled');
    this.emit('enabled-changed', device);
    return device;
  }

  /**
   * Checks a device login. A revoked or disabled device is reported as such only when the
   * secret was right, so a guesser learns nothing about which ids exist.
   */
  async checkLogin(id: string, secret: string): Promise<DeviceLogin> {
    if (typeof id !== 'string' || typeof secret !== 'string') return { status: 'invalid' };
    if (!isDeviceId(id) || secret.length === 0 || secret.length > MAX_SECRET_LENGTH) {
      return { status: 'invalid' };
    }
    const row = await this.#row(id);
    if (!row) {
      this.#dummyHash ??= hashPassword(randomSecret(SECRET_BYTES));
      await verifyPassword(secret, await this.#dummyHash);
      return { status: 'invalid' };
    }
    let valid = this.#verified.matches(id, row.secret_hash, secret);
    if (!valid) {
      valid = await verifyPassword(secret, row.secret_hash);
      if (valid) this.#verified.remember(id, row.secret_hash, secret);
    }
    if (!valid) return { status: 'invalid' };
    if (row.revoked_at !== null) return { status: 'refused', reason: 'revoked' };
    if (!row.enabled) return { status: 'refused', reason: 'disabled' };
    return { status: 'ok', device: toDevice(row) };
  }

  /** The device whose id and secret these are, if it may connect now. */
  async authenticate(id: string, secret: string): Promise<Device | undefined> {
    const login = await this.checkLogin(id, secret);
    return login.status === 'ok' ? login.device : undefined;
  }

  /** Records that the device was heard from at `at`; never moves last-seen backwards. */
  async touch(id: string, at: Date = new Date()): Promise<void> {
    await this.#sql.query(
      `UPDATE devices SET last_seen_at = $2
       WHERE id = $1 AND (last_seen_at IS NULL OR last_seen_at < $2)`,
      [id, at],
    );
  }

  /**
   * Creates the good rows of a bulk import and reports every problem of the others; one
   * bad row never stops the rest. Each row is created whole or not at all. Throws only
   * when the input is not an array or holds more than MAX_IMPORT_ROWS rows.
   */
  async importDevices(
    rows: readonly unknown[],
    options: ImportOptions = {},
  ): Promise<ImportReport> {
    const dryRun = options.dryRun ?? false;
    if (!Array.isArray(rows)) {
      throw new ApiError(400, 'INVALID_IMPORT', 'an import must be an array of devices');
    }
    if (rows.length > MAX_IMPORT_ROWS) {
      throw new ApiError(
        400,
        'IMPORT_TOO_LARGE',
        `the import has ${rows.length} rows; split it into files of at most ${MAX_IMPORT_ROWS}`,
      );
    }
    const started = performance.now();
    const plan = planImport(rows, this.#checker, options.firstRow ?? 1);
    const errors = plan.errors;

    const taken = await this.#existing(plan.candidates.map((c) => c.device.id));
    const candidates = plan.candidates.filter(({ row, device }) => {
      const existing = taken.get(device.id);
      if (existing) errors.push(rowError(row, device.id, deviceExists(device.id, existing)));
      return !existing;
    });

    const created: ImportReport['created'] = [];
    if (!dryRun && candidates.length > 0) {
      const secrets = candidates.map(() => randomSecret(SECRET_BYTES));
      const hashes = await mapBounded(secrets, this.#hashConcurrency, (secret) =>
        hashPassword(secret),
      );
      const hashedMs = performance.now() - started;
      const inserted = await this.#sql.transaction(async (tx) => {
        const out: DeviceRow[] = [];
        for (let at = 0; at < candidates.length; at += INSERT_CHUNK) {
          const chunk = candidates.slice(at, at + INSERT_CHUNK).map(({ device }, i) => ({
            device,
            secretHash: hashes[at + i] as string,
          }));
          out.push(...(await insertDevices(tx, chunk)));
        }
        return out;
      });
      const byId = new Map(inserted.map((row) => [row.id, row]));
      for (const [index, { row, device }] of candidates.entries()) {
        // A row missing here lost a race with a device provisioned meanwhile.
        if (!byId.has(device.id)) {
          const existing = await this.get(device.id);
          errors.push(rowError(row, device.id, deviceExists(device.id, existing)));
        } else {
          created.push({ id: device.id, secret: secrets[index] as string });
        }
      }
      this.#logger?.info(
        {
          rows: rows.length,
          created: created.length,
          refused: rows.length - created.length,
          hashMs: Math.round(hashedMs),
          ms: Math.round(performance.now() - started),
        },
        'devices imported',
      );
      for (const row of inserted) this.emit('provisioned', toDevice(row));
    }
    errors.sort((a, b) => a.row - b.row);
    const accepted = dryRun ? candidates.map((c) => c.device.id) : created.map((c) => c.id);
    return { dryRun, created, accepted, errors };
  }

  async #row(id: string): Promise<DeviceRow | undefined> {
    const { rows } = await this.#sql.query<DeviceRow>('SELECT * FROM devices WHERE id = $1', [id]);
    return rows[0];
  }

  async #require(id: string): Promise<Device> {
    const device = await this.get(id);
    if (!device) {
      throw new ApiError(
        404,
        'DEVICE_NOT_FOUND',
        `no device with id "${id}"; check the id with \`ioc device list\``,
      );
    }
    return device;
  }

  /** The devices among `ids` that the database already holds. */
  async #existing(ids: string[]): Promise<Map<string, Device>> {
    if (ids.length === 0) return new Map();
    const { rows } = await this.#sql.query<DeviceRow>(
      'SELECT * FROM devices WHERE id = ANY($1::text[])',
      [ids],
    );
    return new Map(rows.map((row) => [row.id, toDevice(row)]));
  }
}

const COLUMNS = 'id, name, type, unit_code, sector, lat, lon, tags, enabled, secret_hash';
const PER_ROW = 10;

/** Inserts devices in one statement; ids already present are skipped, not failed. */
async function insertDevices(
  sql: SqlExecutor,
  entries: { device: NewDevice; secretHash: string }[],
): Promise<DeviceRow[]> {
  const params: unknown[] = [];
  const values = entries.map(({ device: d, secretHash }, i) => {
    params.push(d.id, d.name, d.type, d.unit, d.sector, d.lat, d.lon);
    params.push(JSON.stringify(d.tags), d.enabled, secretHash);
    const $ = (n: number) => `$${i * PER_ROW + n}`;
    return `(${$(1)}, ${$(2)}, ${$(3)}, ${$(4)}, ${$(5)}, ${$(6)}, ${$(7)}, ${$(8)}::jsonb, ${$(9)}, ${$(10)})`;
  });
  const { rows } = await sql.query<DeviceRow>(
    `INSERT INTO devices (${COLUMNS}) VALUES ${values.join(', ')}
     ON CONFLICT (id) DO NOTHING RETURNING *`,
    params,
  );
  return rows;
}

function deviceExists(id: string, existing: Device | undefined): ApiError {
  return new ApiError(
    409,
    'DEVICE_EXISTS',
    existing?.revokedAt
      ? `device id "${id}" belonged to a device revoked at ${existing.revokedAt}; ids are never reused, choose another`
      : `device id "${id}" is already registered; choose another id, or rotate that device's secret with \`ioc device rotate ${id}\``,
  );
}

function deviceRevoked(device: Device, action: string): ApiError {
  return new ApiError(
    409,
    'DEVICE_REVOKED',
    `device "${device.id}" was revoked at ${device.revokedAt}, which is final; provision a new device instead of trying to ${action}`,
  );
}

function rowError(row: number, id: string, error: ApiError): ImportRowError {
  return { row, id, code: error.code, message: `row ${row}: ${error.message}` };
}
