import type { SqlStore } from '../sql/index.js';
import type { Principal } from './roles.js';
import { isRole } from './roles.js';
import { randomSecret, sha256 } from './secrets.js';

/**
 * Browser sessions. The cookie carries a random id; the database keeps only its hash, so a
 * leaked database does not hand out live sessions.
 */
export class SessionStore {
  constructor(
    private readonly sql: SqlStore,
    private readonly ttlHours: number,
  ) {}

  async create(userId: string, client: { ip?: string; userAgent?: string }): Promise<string> {
    const id = randomSecret();
    await this.sql.query(
      `INSERT INTO sessions (id, user_id, expires_at, last_seen_at, ip, user_agent)
       VALUES ($1, $2, now() + make_interval(secs => $3), now(), $4, $5)`,
      [
        sha256(id),
        userId,
        Math.round(this.ttlHours * 3600),
        client.ip ?? null,
        client.userAgent ?? null,
      ],
    );
    return id;
  }

  /** The signed-in user of a session cookie, or undefined when unknown, expired or disabled. */
  async resolve(cookieValue: string): Promise<Principal | undefined> {
    const { rows } = await this.sql.query<{ id: string; username: string; role: string }>(
      `UPDATE sessions s SET last_seen_at = now()
       FROM users u
       WHERE s.id = $1 AND s.user_id = u.id AND s.expires_at > now() AND NOT u.disabled
       RETURNING u.id, u.username, u.role`,
      [sha256(cookieValue)],
    );
    const row = rows[0];
    if (!row || !isRole(row.role)) return undefined;
    return { kind: 'user', id: row.id, name: row.username, role: row.role };
  }

  async destroy(cookieValue: string): Promise<void> {
    await this.sql.query('DELETE FROM sessions WHERE id = $1', [sha256(cookieValue)]);
  }

  async purgeExpired(): Promise<number> {
    const { rowCount } = await this.sql.query('DELETE FROM sessions WHERE expires_at <= now()');
    return rowCount;
  }
}
