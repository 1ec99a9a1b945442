import { ApiError } from '../errors.js';
import type { SqlStore } from '../sql/index.js';
import { isRole, type Principal, type Role } from './roles.js';
import { randomSecret, sha256 } from './secrets.js';

export interface ApiTokenInfo {
  id: string;
  name: string;
  role: Role;
  createdBy: string | null;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

interface TokenRow {
  id: string;
  name: string;
  secret_hash: string;
  role: string;
  created_by: string | null;
  created_at: Date | string;
  expires_at: Date | string | null;
  last_used_at: Date | string | null;
  revoked_at: Date | string | null;
}

// `ioc_<id>_<secret>`: the prefix makes leaked tokens easy to spot by secret scanners; the id
// lets the server find the row without scanning, the secret is compared by hash.
const TOKEN_PATTERN = /^ioc_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;

/** API tokens for scripts and integrators: stored hashed, revocable, optionally expiring. */
export class ApiTokens {
  constructor(private readonly sql: SqlStore) {}

  async create(input: {
    name: string;
    role: Role;
    createdBy: string;
    expiresAt?: Date;
  }): Promise<{ token: string; info: ApiTokenInfo }> {
    const name = input.name.normalize('NFC').trim();
    if (!name || name.length > 100) {
      throw new ApiError(400, 'INVALID_TOKEN_NAME', 'name: 1-100 characters');
    }
    if (!isRole(input.role))
      throw new ApiError(400, 'INVALID_ROLE', `unknown role "${input.role}"`);
    const id = randomSecret(12)
      .replace(/[^a-z0-9]/gi, '')
      .toLowerCase()
      .slice(0, 12)
      .padEnd(12, '0');
    const secret = randomSecret(32);
    const { rows } = await this.sql.query<TokenRow>(
      `INSERT INTO api_tokens (id, name, secret_hash, role, created_by, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
      [id, name, sha256(secret), input.role, input.createdBy, input.expiresAt ?? null],
    );
    return { token: `ioc_${id}_${secret}`, info: toInfo(rows[0] as TokenRow) };
  }

  async list(): Promise<ApiTokenInfo[]> {
    const { rows } = await this.sql.query<TokenRow>('SELECT * FROM api_tokens ORDER BY created_at');
    return rows.map(toInfo);
  }

  async revoke(id: string): Promise<ApiTokenInfo> {
    const { rows } = await this.sql.query<TokenRow>(
      `UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 RETURNING *`,
      [id],
    );
    if (!rows[0]) throw new ApiError(404, 'TOKEN_NOT_FOUND', `no API token with id "${id}"`);
    return toInfo(rows[0]);
  }

  /** The principal behind a bearer token, or undefined when malformed, unknown, revoked or expired. */
  async resolve(token: string): Promise<Principal | undefined> {
    const match = TOKEN_PATTERN.exec(token);
    if (!match) return undefined;
    const [, id, secret] = match as unknown as [string, string, string];
    // The secret is checked in the WHERE clause so that a wrong one does not mark the token as
    // used. Comparing sha256 digests there leaks nothing useful about the secret by timing.
    const { rows } = await this.sql.query<TokenRow>(
      `UPDATE api_tokens SET last_used_at = now()
       WHERE id = $1 AND secret_hash = $2 AND revoked_at IS NULL
         AND (expires_at IS NULL OR expires_at > now())
       RETURNING *`,
      [id, sha256(secret)],
    );
    const row = rows[0];
    if (!row || !isRole(row.role)) return undefined;
    return { kind: 'token', id: row.id, name: `token:${row.name}`, role: row.role };
  }
}

function iso(value: Date | string | null): string | null {
  return value === null ? null : new Date(value).toISOString();
}

function toInfo(row: TokenRow): ApiTokenInfo {
  return {
    id: row.id,
    name: row.name,
    role: row.role as Role,
    createdBy: row.created_by,
    createdAt: iso(row.created_at) as string,
    expiresAt: iso(row.expires_at),
    lastUsedAt: iso(row.last_used_at),
    revokedAt: iso(row.revoked_at),
  };
}
