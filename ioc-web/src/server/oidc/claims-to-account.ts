import { ApiError, isRole, type Role } from '@ioc/core';

/** What the SSO says about a person, as far as the IOC needs it. */
export interface SsoIdentity {
  subject: string;
  username: string;
  displayName?: string;
  role: Role;
  /** The claim values that were looked up, for the audit log. */
  roleClaimValues: string[];
}

export interface ClaimMapping {
  roleClaim: string;
  roleMap: Record<string, string>;
  usernameClaim: string;
  defaultRole?: string;
}

// When several claim values map to roles, the broadest one wins.
const PRECEDENCE: Role[] = ['admin', 'ioc-operator', 'room-operator', 'viewer'];

/**
 * Maps the claims of a validated ID token (plus userinfo) to an IOC identity. A person none
 * of whose role-claim values is mapped, and with no default role configured, is refused:
 * the SSO knows everyone in the province, the IOC admits only those given a role.
 */
export function identityFromClaims(
  claims: Record<string, unknown>,
  mapping: ClaimMapping,
): SsoIdentity {
  const subject = claims.sub;
  if (typeof subject !== 'string' || subject === '') {
    throw new ApiError(502, 'OIDC_CLAIMS_INVALID', 'the SSO answered without a subject (sub)');
  }
  const username = claimAt(claims, mapping.usernameClaim);
  if (typeof username !== 'string' || username.trim() === '') {
    throw new ApiError(
      403,
      'OIDC_USERNAME_MISSING',
      `the SSO sent no "${mapping.usernameClaim}" claim to use as the username (auth.oidc.usernameClaim)`,
    );
  }
  const roleClaimValues = stringsOf(claimAt(claims, mapping.roleClaim));
  const mapped = roleClaimValues
    .map((value) => mapping.roleMap[value])
    .filter((role): role is Role => isRole(role));
  const role = PRECEDENCE.find((r) => mapped.includes(r)) ?? mapping.defaultRole;
  if (!isRole(role)) {
    throw new ApiError(
      403,
      'OIDC_ROLE_NOT_MAPPED',
      `the SSO gives "${username}" no IOC role: none of the "${mapping.roleClaim}" values [${roleClaimValues.join(', ')}] is in auth.oidc.roleMap`,
      { username: username.trim(), roleClaimValues },
    );
  }
  const name = claims.name;
  return {
    subject,
    username: username.trim(),
    displayName: typeof name === 'string' && name.trim() !== '' ? name.trim() : undefined,
    role,
    roleClaimValues,
  };
}

/** A claim by name; dots reach into objects (Keycloak's `realm_access.roles`). */
function claimAt(claims: Record<string, unknown>, path: string): unknown {
  if (path in claims) return claims[path];
  let node: unknown = claims;
  for (const key of path.split('.')) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}
