import { ApiError, type ApiTokenInfo, isRole, ROLES } from '@ioc/core';
import type { AdminChannel } from './admin-channel.js';

export interface TokenCreateOptions {
  name?: string;
  role: string;
  expiresDays?: number;
}

/** `ioc token create|list|revoke`. */
export class TokenCommand {
  constructor(private readonly channel: AdminChannel) {}

  async create(options: TokenCreateOptions): Promise<{ token: string; info: ApiTokenInfo }> {
    if (!isRole(options.role)) {
      throw new ApiError(400, 'INVALID_ROLE', `--role must be one of ${ROLES.join(', ')}`);
    }
    const body = {
      name: options.name ?? `${options.role} token`,
      role: options.role,
      ...(options.expiresDays ? { expiresInDays: options.expiresDays } : {}),
    };
    const viaServer = await this.channel.call<{ token: string; info: ApiTokenInfo }>(
      'POST',
      '/api/v1/tokens',
      body,
    );
    if (viaServer) return viaServer;
    return this.channel.direct(async ({ tokens, audit, actor }) => {
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
    const viaServer = await this.channel.call<{ tokens: ApiTokenInfo[] }>('GET', '/api/v1/tokens');
    if (viaServer) return viaServer.tokens;
    return this.channel.direct(({ tokens }) => tokens.list());
  }

  async revoke(id: string): Promise<ApiTokenInfo> {
    const viaServer = await this.channel.call<{ info: ApiTokenInfo }>(
      'DELETE',
      `/api/v1/tokens/${encodeURIComponent(id)}`,
    );
    if (viaServer) return viaServer.info;
    return this.channel.direct(async ({ tokens, audit, actor }) => {
      const info = await tokens.revoke(id);
      await audit.record({ actor, action: 'token.revoke', target: `token:${id}` });
      return info;
    });
  }
}
