import { type ApiTokens, type Principal, randomSecret, safeEqual } from '@ioc/core';

/**
 * Broker logins of services: API tokens with the `service` or `admin` role (bridges,
 * debugging), and `svc:<name>` with a secret that is random per process and never stored,
 * for services that run beside the broker.
 */
export class ServiceCredentials {
  readonly #secret = randomSecret();

  constructor(private readonly tokens: ApiTokens) {}

  async authenticate(username: string, password: string): Promise<Principal | undefined> {
    if (username.startsWith('svc:')) {
      if (!safeEqual(password, this.#secret)) return undefined;
      return { kind: 'local', id: username, name: username, role: 'service' };
    }
    const principal = await this.tokens.resolve(password);
    return principal && (principal.role === 'service' || principal.role === 'admin')
      ? principal
      : undefined;
  }
}
