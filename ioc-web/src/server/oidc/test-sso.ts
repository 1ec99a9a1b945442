// A stand-in provincial SSO for tests (ours and test/src's, through `@ioc/ioc-web/test-sso`):
// a real OpenID Connect provider (oidc-provider) with one confidential client, the IOC.
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

export const TEST_SSO_CLIENT = { id: 'ioc', secret: 'ioc-client-secret-for-tests' } as const;

/** A person the SSO knows, by account id: the claims it hands out. */
export type TestSsoPeople = Record<
  string,
  { preferred_username: string; name: string; roles: string[] }
>;

/** Starts the SSO on a free loopback port; sign-in pages are oidc-provider's dev interactions. */
export async function startTestSso(
  redirectUri: string,
  people: TestSsoPeople,
): Promise<{ server: Server; issuer: string }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: TEST_SSO_CLIENT.id,
        client_secret: TEST_SSO_CLIENT.secret,
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    jwks: {
      keys: [{ ...privateKey.export({ format: 'jwk' }), use: 'sig', alg: 'RS256', kid: 'test' }],
    },
    cookies: { keys: ['oidc-provider-cookie-key-for-tests'] },
    claims: { openid: ['sub'], profile: ['name', 'preferred_username', 'roles'] },
    features: { devInteractions: { enabled: true } },
    ttl: { AccessToken: 600, Grant: 600, IdToken: 600, Interaction: 600, Session: 600 },
    async findAccount(_ctx, id) {
      const person = people[id];
      if (!person) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, ...person }) };
    },
  });
  server.on('request', provider.callback());
  return { server, issuer };
}
