import { ApiError } from '@ioc/core';
import { describe, expect, it } from 'vitest';
import { type ClaimMapping, identityFromClaims } from './claims-to-account.js';
import { PendingSignIns } from './pending-sign-ins.js';

const MAPPING: ClaimMapping = {
  roleClaim: 'groups',
  roleMap: { 'ioc-xem': 'viewer', 'ioc-dieu-hanh': 'ioc-operator', 'ioc-quan-tri': 'admin' },
  usernameClaim: 'preferred_username',
};

function refusal(claims: Record<string, unknown>, mapping = MAPPING): ApiError {
  try {
    identityFromClaims(claims, mapping);
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('identityFromClaims', () => {
  it('maps the broadest role among the claim values and keeps the name', () => {
    expect(
      identityFromClaims(
        {
          sub: 's1',
          preferred_username: ' lan.nt ',
          name: 'Nguyễn Thị Lan',
          groups: ['khac', 'ioc-xem', 'ioc-dieu-hanh'],
        },
        MAPPING,
      ),
    ).toEqual({
      subject: 's1',
      username: 'lan.nt',
      displayName: 'Nguyễn Thị Lan',
      role: 'ioc-operator',
      roleClaimValues: ['khac', 'ioc-xem', 'ioc-dieu-hanh'],
    });
  });

  it('reads a single string claim as one value, and dotted paths into objects', () => {
    const single = identityFromClaims(
      { sub: 's', preferred_username: 'a.b', groups: 'ioc-quan-tri' },
      MAPPING,
    );
    expect(single.role).toBe('admin');
    const keycloak = identityFromClaims(
      { sub: 's', email: 'x@dn.gov.vn', realm_access: { roles: ['ioc-xem'] } },
      { ...MAPPING, roleClaim: 'realm_access.roles', usernameClaim: 'email' },
    );
    expect(keycloak).toMatchObject({ username: 'x@dn.gov.vn', role: 'viewer' });
  });

  it('refuses unmapped people unless a default role is configured', () => {
    const claims = { sub: 's', preferred_username: 'minh', groups: ['cong-chuc'] };
    expect(refusal(claims)).toMatchObject({
      statusCode: 403,
      code: 'OIDC_ROLE_NOT_MAPPED',
      details: { username: 'minh', roleClaimValues: ['cong-chuc'] },
    });
    expect(refusal({ sub: 's', preferred_username: 'minh' }).code).toBe('OIDC_ROLE_NOT_MAPPED');
    // A map to something that is not an IOC role maps to nothing.
    expect(refusal(claims, { ...MAPPING, roleMap: { 'cong-chuc': 'root' } }).code).toBe(
      'OIDC_ROLE_NOT_MAPPED',
    );
    expect(identityFromClaims(claims, { ...MAPPING, defaultRole: 'viewer' }).role).toBe('viewer');
  });

  it('refuses claims without a subject or a username', () => {
    expect(refusal({ preferred_username: 'a', groups: ['ioc-xem'] }).code).toBe(
      'OIDC_CLAIMS_INVALID',
    );
    const missing = refusal({ sub: 's', groups: ['ioc-xem'] });
    expect(missing.code).toBe('OIDC_USERNAME_MISSING');
    expect(missing.message).toContain('auth.oidc.usernameClaim');
  });
});

describe('PendingSignIns', () => {
  const pending = {
    state: 's',
    nonce: 'n',
    codeVerifier: 'v',
    redirectUrl: 'http://127.0.0.1/cb',
    returnTo: '/',
  };

  it('hands a sign-in back once, and not after it expired', () => {
    let now = 0;
    const store = new PendingSignIns(1000, 100, () => now);
    const id = store.put(pending);
    expect(id).toMatch(/^[\w-]{43}$/);
    expect(store.take(id)).toEqual(pending);
    expect(store.take(id)).toBeUndefined();
    const late = store.put(pending);
    now = 1000;
    expect(store.take(late)).toBeUndefined();
    expect(store.take('unknown')).toBeUndefined();
  });

  it('stays bounded: expired entries go first, then the oldest', () => {
    let now = 0;
    const store = new PendingSignIns(1000, 3, () => now);
    const first = store.put(pending);
    store.put(pending);
    store.put(pending);
    store.put(pending);
    expect(store.size).toBe(3);
    expect(store.take(first)).toBeUndefined();
    now = 5000;
    store.put(pending);
    expect(store.size).toBe(1);
  });
});
