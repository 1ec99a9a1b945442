/** Who may do what is decided on the server from these roles (and, later, room scopes). */
export const ROLES = ['admin', 'ioc-operator', 'room-operator', 'viewer', 'service'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** The authenticated caller of a request: a signed-in person, an API token or the local CLI. */
export interface Principal {
  kind: 'user' | 'token' | 'local';
  /** User id, token id, or `local:<uid>` for the owner of the data directory. */
  id: string;
  /** Human-readable name for the audit log. */
  name: string;
  role: Role;
}
