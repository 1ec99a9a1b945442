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
    return this.channel.run(
      { method: 'POST', path: '/api/v1/tokens', body },
      async ({ tokens, audit, actor }) => {
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
      },
    );
  }

  async list(): Promise<ApiTokenInfo[]> {
    return this.channel.run(
      { method: 'GET', path: '/api/v1/tokens', pick: (a: { tokens: ApiTokenInfo[] }) => a.tokens },
      ({ tokens }) => tokens.list(),
    );
  }

  async revoke(id: string): Promise<ApiTokenInfo> {
    const path = `/api/v1/tokens/${encodeURIComponent(id)}`;
    const pick = (a: { info: ApiTokenInfo }) => a.info;
    return this.channel.run({ method: 'DELETE', path, pick }, async ({ tokens, audit, actor }) => {
      const info = await tokens.revoke(id);
      await audit.record({ actor, action: 'token.revoke', target: `token:${id}` });
      return info;
    });
  }
}
