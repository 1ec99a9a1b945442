import { userInfo } from 'node:os';
import {
  ApiError,
  ApiTokens,
  type AppConfig,
  AuditLog,
  type Logger,
  loadUnitTree,
  openSqlStore,
} from '@ioc/core';
import { type DeviceCatalogue, DeviceRegistry, loadDeviceCatalogue } from '@ioc/devices';
import { localAdminSocketPath } from '@ioc/ioc-web';
import { callLocalChannel } from './local-channel-client.js';

/** What an admin command works on when no server is running. */
export interface AdminStores {
  tokens: ApiTokens;
  audit: AuditLog;
  devices: DeviceRegistry;
  catalogue: DeviceCatalogue;
  /** Who the audit log names: `cli:<user>`. */
  actor: string;
}

type ErrorBody = { code: string; message: string };

/**
 * How `ioc token …` and `ioc device …` reach the data: through the running server's local
 * admin socket when one answers (PGlite allows one process per data directory), otherwise
 * by opening the database themselves.
 */
export class AdminChannel {
  constructor(
    private readonly config: AppConfig,
    private readonly logger: Logger,
  ) {}

  /** The server's answer, or undefined when no server runs here. API errors are thrown. */
  async call<T>(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<T | undefined> {
    const answer = await callLocalChannel<T | ErrorBody>(
      localAdminSocketPath(this.config),
      method,
      path,
      body,
      contentType,
    );
    if (!answer) return undefined;
    if (answer.status >= 400) {
      const error = answer.body as ErrorBody;
      throw new ApiError(answer.status, error.code, error.message);
    }
    return answer.body as T;
  }

  /**
   * Runs a command: as the API request `request` when a server answers (`pick` takes the
   * result out of its answer), otherwise as `direct` on the database.
   */
  async run<T, Answer = T>(
    request: {
      method: string;
      path: string;
      body?: unknown;
      contentType?: string;
      pick?: (answer: Answer) => T;
    },
    direct: (stores: AdminStores) => Promise<T>,
  ): Promise<T> {
    const answer = await this.call<Answer>(
      request.method,
      request.path,
      request.body,
      request.contentType,
    );
    if (answer === undefined) return this.direct(direct);
    return request.pick ? request.pick(answer) : (answer as unknown as T);
  }

  async direct<T>(fn: (stores: AdminStores) => Promise<T>): Promise<T> {
    const sql = await openSqlStore(this.config, this.logger);
    try {
      const [catalogue, units] = await Promise.all([
        loadDeviceCatalogue(),
        loadUnitTree(this.config.units.dataset),
      ]);
      return await fn({
        tokens: new ApiTokens(sql),
        audit: new AuditLog(sql),
        devices: new DeviceRegistry({ sql, catalogue, units, logger: this.logger }),
        catalogue,
        actor: `cli:${userInfo().username}`,
      });
    } finally {
      await sql.close();
    }
  }
}
