import { ApiError, type AppConfig, type Logger, StartupError } from '@ioc/core';
import * as client from 'openid-client';
import { identityFromClaims, type SsoIdentity } from './claims-to-account.js';
import { type PendingSignIn, PendingSignIns } from './pending-sign-ins.js';

export type OidcSettings = NonNullable<AppConfig['auth']['oidc']>;

export const OIDC_CALLBACK_PATH = '/api/v1/auth/oidc/callback';

/**
 * Sign-in through the provincial SSO: authorization code flow with PKCE, state and nonce
 * (openid-client does the protocol checks: ID token signature, issuer, audience, expiry,
 * nonce). Built once at start by `discover`, which fails the start when the SSO is unreachable.
 */
export class OidcSignIn {
  readonly pending = new PendingSignIns();

  private constructor(
    private readonly configuration: client.Configuration,
    readonly settings: OidcSettings,
    private readonly publicUrl: string | undefined,
  ) {}

  static async discover(
    settings: OidcSettings,
    options: { publicUrl?: string; logger?: Logger } = {},
  ): Promise<OidcSignIn> {
    const issuer = new URL(settings.issuer);
    const insecure = issuer.protocol === 'http:';
    if (insecure && !isLoopback(issuer.hostname)) {
      throw new StartupError(
        `auth.oidc.issuer ${settings.issuer} uses plain http; the SSO must be reached over https (http only on loopback, for tests)`,
        'CONFIG_INVALID',
      );
    }
    if (!settings.scopes.split(/\s+/).includes('openid')) {
      throw new StartupError(
        `auth.oidc.scopes "${settings.scopes}" lacks "openid"; add it (e.g. "openid profile email")`,
        'CONFIG_INVALID',
      );
    }
    let configuration: client.Configuration;
    try {
      configuration = await client.discovery(
        issuer,
        settings.clientId,
        undefined,
        client.ClientSecretBasic(settings.clientSecret),
        { execute: insecure ? [client.allowInsecureRequests] : [] },
      );
    } catch (err) {
      throw new StartupError(
        `cannot use the SSO at auth.oidc.issuer ${settings.issuer}: ${reasonOf(err)}; check the URL and that the IOC can reach it, or unset auth.oidc`,
        'OIDC_UNREACHABLE',
      );
    }
    options.logger?.info({ issuer: configuration.serverMetadata().issuer }, 'SSO (OIDC) ready');
    return new OidcSignIn(configuration, settings, options.publicUrl);
  }

  /** The issuer as the SSO names itself: with the subject, the person's identity. */
  get issuer(): string {
    return this.configuration.serverMetadata().issuer;
  }

  /** Starts a sign-in: the SSO URL to send the browser to, and the id of what it must match. */
  async begin(input: { requestOrigin: string; returnTo: string }): Promise<{
    authorizationUrl: URL;
    pendingId: string;
  }> {
    const redirectUrl =
      this.settings.redirectUrl ??
      new URL(OIDC_CALLBACK_PATH, this.publicUrl ?? input.requestOrigin).href;
    const codeVerifier = client.randomPKCECodeVerifier();
    const pending: PendingSignIn = {
      state: client.randomState(),
      nonce: client.randomNonce(),
      codeVerifier,
      redirectUrl,
      returnTo: input.returnTo,
    };
    const authorizationUrl = client.buildAuthorizationUrl(this.configuration, {
      redirect_uri: redirectUrl,
      scope: this.settings.scopes,
      response_type: 'code',
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state: pending.state,
      nonce: pending.nonce,
    });
    return { authorizationUrl, pendingId: this.pending.put(pending) };
  }

  /**
   * Finishes a sign-in from the callback's query string: checks state, exchanges the code
   * (with the PKCE verifier), validates the ID token and its nonce, and maps the claims.
   */
  async complete(pending: PendingSignIn, callbackQuery: string): Promise<SsoIdentity> {
    // The redirect_uri of the token request must be the one sent in `begin`, not whatever
    // host or scheme this request arrived with (proxies).
    const currentUrl = new URL(pending.redirectUrl);
    currentUrl.search = callbackQuery;
    let claims: Record<string, unknown>;
    try {
      const tokens = await client.authorizationCodeGrant(this.configuration, currentUrl, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      claims = { ...(tokens.claims() ?? {}) };
      if (
        this.#lacksMappedClaims(claims) &&
        this.configuration.serverMetadata().userinfo_endpoint
      ) {
        // Some SSOs put groups or usernames only in userinfo; the ID token's claims win.
        const info = await client.fetchUserInfo(
          this.configuration,
          tokens.access_token,
          claims.sub as string,
        );
        claims = { ...info, ...claims };
      }
    } catch (err) {
      throw signInFailure(err);
    }
    return identityFromClaims(claims, this.settings);
  }

  #lacksMappedClaims(claims: Record<string, unknown>): boolean {
    return !(this.settings.roleClaim in claims) || !(this.settings.usernameClaim in claims);
  }
}

// oauth4webapi's codes for an answer that failed validation (state, nonce, signature, expiry...).
const FAILED_CHECKS = new Set([
  'OAUTH_INVALID_RESPONSE',
  'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
  'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED',
  'OAUTH_JWT_TIMESTAMP_CHECK_FAILED',
  'OAUTH_KEY_SELECTION_FAILED',
  'OAUTH_PARSE_ERROR',
]);

/** The SSO's own refusal (access_denied...) or a failed check, as an ApiError for the page. */
function signInFailure(err: unknown): ApiError {
  if (err instanceof client.AuthorizationResponseError) {
    return new ApiError(
      403,
      'OIDC_DENIED',
      `the SSO refused the sign-in: ${err.error}${err.error_description ? ` (${err.error_description})` : ''}`,
    );
  }
  const code = (err as { code?: string }).code;
  if (code && FAILED_CHECKS.has(code)) {
    return new ApiError(
      400,
      'OIDC_CHECK_FAILED',
      `the SSO answer failed a check: ${reasonOf(err)}`,
    );
  }
  if (err instanceof client.ResponseBodyError) {
    return new ApiError(
      502,
      'OIDC_TOKEN_REFUSED',
      `the SSO refused the code exchange: ${err.error}${err.error_description ? ` (${err.error_description})` : ''}`,
    );
  }
  return new ApiError(502, 'OIDC_FAILED', `the sign-in with the SSO failed: ${reasonOf(err)}`);
}

function reasonOf(err: unknown): string {
  const error = err as Error;
  // openid-client wraps the precise error (the failed check, the network error) as the cause.
  const cause = error.cause as { message?: string; code?: unknown } | undefined;
  if (!cause || typeof cause.message !== 'string') return error.message;
  const code = typeof cause.code === 'string' && !cause.message.includes(cause.code);
  return `${error.message}: ${cause.message}${code ? ` (${cause.code})` : ''}`;
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\./.test(hostname);
}
