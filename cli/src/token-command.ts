import { userInfo } from 'node:os';
import {
  ApiError,
  type ApiTokenInfo,
  ApiTokens,
  type AppConfig,
  AuditLog,
  isRole,
  type Logger,
  openSqlStore,
  ROLES,
} from '@ioc/core';
import { localAdminSocketPath } from '@ioc/ioc-web';
import { callLocalChannel } from './local-channel-client.js';

export interface TokenCreateOptions {
  name?: string;
  role: string;
  expiresDays?: number;
}

type ErrorBody = { code: string; message: string };

/**
 * `ioc token ...`: through the running server's local channel when one answers (PGlite allows
 * one process per data directory), otherwise straight against the database.
 */
export class TokenCommand {
  constructor(
    private readonly config: AppConfig,
    private readonly logger: Logger,
  ) {}

  async create(options: TokenCreateOptions): Promise<{ token: string; info: ApiTokenInfo }> {
    if (!isRole(options.role)) {
      throw new ApiError(400, 'INVALID_ROLE', `--role must be one of ${ROLES.join(', ')}`);
    }
    const body = {
      name: options.name ?? `${options.role} token`,
      role: options.role,
      ...(options.expiresDays ? { expiresInDays: options.expiresDays } : {}),
    };
    const viaServer = await this.#call<{ token: string; info: ApiTokenInfo }>(
      'POST',
      '/api/v1/tokens',
      body,
    );
    if (viaServer) return viaServer;
    return this.#direct(async (tokens, audit, actor) => {
      const created = await tokens.create({
        name: body.name,
        role: options.role as never,
        createdBy: actor,
        expiresAt: options.expiresDays
          ? new Date(Date.now() + options.expiresDays * 86_400_000)
          : undefined,
      });
      await audit.record({
        actor,
        action: 'token.create',
        target: `token:${created.info.id}`,
        details: { name: body.name, role: options.role },
      });
      return created;
    });
  }

  async list(): Promise<ApiTokenInfo[]> {
    const viaServer = await this.#call<{ tokens: ApiTokenInfo[] }>('GET', '/api/v1/tokens');
    if (viaServer) return viaServer.tokens;
    return this.#direct((tokens) => tokens.list());
  }

  async revoke(id: string): Promise<ApiTokenInfo> {
    const viaServer = await this.#call<{ info: ApiTokenInfo }>(
      'DELETE',
      `/api/v1/tokens/${encodeURIComponent(id)}`,
    );
    if (viaServer) return viaServer.info;
    return this.#direct(async (tokens, audit, actor) => {
      const info = await tokens.revoke(id);
      await audit.record({ actor, action: 'token.revoke', target: `token:${id}` });
      return info;
    });
  }

  async #call<T>(method: string, path: string, body?: unknown): Promise<T | undefined> {
    const answer = await callLocalChannel<T | ErrorBody>(
      localAdminSocketPath(this.config),
      method,
      path,
      body,
    );
    if (!answer) return undefined;
    if (answer.status >= 400) {
      const error = answer.body as ErrorBody;
      throw new ApiError(answer.status, error.code, error.message);
    }
    return answer.body as T;
  }

  async #direct<T>(
    fn: (tokens: ApiTokens, audit: AuditLog, actor: string) => Promise<T>,
  ): Promise<T> {
    const sql = await openSqlStore(this.config, this.logger);
    try {
      return await fn(new ApiTokens(sql), new AuditLog(sql), `cli:${userInfo().username}`);
    } finally {
      await sql.close();
    }
  }
}
