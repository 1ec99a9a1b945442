import { type ApiTokens, type Principal, randomSecret, safeEqual } from '@ioc/core';

/**
 * Broker credentials of the services inside this process (ingest, simulators). The secret is
 * random per process and never stored, so it cannot leak from the database or config files.
 * API tokens with the `service` or `admin` role may also connect (bridges, debugging).
 */
export class ServiceCredentials {
  readonly #secret = randomSecret();

  constructor(private readonly tokens: ApiTokens) {}

  for(service: string): { username: string; password: string } {
    return { username: `svc:${service}`, password: this.#secret };
  }

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
