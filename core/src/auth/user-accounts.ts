import { ApiError } from '../errors.js';
import type { SqlStore } from '../sql/index.js';
import { isRole, type Role } from './roles.js';
import { generatePassword, hashPassword, verifyPassword } from './secrets.js';

export interface UserAccount {
  id: string;
  username: string;
  displayName: string | null;
  role: Role;
  disabled: boolean;
}

/** An account as administrators see it: whether it is locked, and local or SSO. */
export interface UserRecord extends UserAccount {
  /** ISO time until which password sign-in is refused; null when not locked now. */
  lockedUntil: string | null;
  /** Signs in through the SSO only (no local password). */
  external: boolean;
  createdAt: string;
}

/** What an administrator may change on an account (see UserAccounts.update). */
export interface UserChanges {
  role?: Role;
  disabled?: boolean;
  displayName?: string | null;
}

interface UserRow {
  id: string;
  username: string;
  display_name: string | null;
  /** Null for accounts that sign in through the SSO (OpenID Connect) only. */
  password_hash: string | null;
  role: string;
  disabled: boolean;
  failed_logins: number;
  locked_until: Date | string | null;
  created_at?: Date | string;
}

/** After this many wrong passwords in a row an account is locked for LOCKOUT_MINUTES. */
export const MAX_FAILED_LOGINS = 5;
export const LOCKOUT_MINUTES = 15;

/** Local user accounts: creation, password login with lockout, the first admin. */
export class UserAccounts {
  constructor(private readonly sql: SqlStore) {}

  async create(input: {
    username: string;
    password: string;
    role: Role;
    displayName?: string;
  }): Promise<UserAccount> {
    const username = input.username.normalize('NFC').trim();
    if (!/^[\p{L}\p{N}._-]{2,64}$/u.test(username)) {
      throw new ApiError(
        400,
        'INVALID_USERNAME',
        'username: 2-64 letters, digits, ".", "_" or "-"',
      );
    }
    if (input.password.length < 12) {
      throw new ApiError(400, 'WEAK_PASSWORD', 'password: use at least 12 characters');
    }
    if (!isRole(input.role))
      throw new ApiError(400, 'INVALID_ROLE', `unknown role "${input.role}"`);
    const { rows } = await this.sql.query<UserRow>(
      `INSERT INTO users (username, display_name, password_hash, role)
       VALUES ($1, $2, $3, $4) ON CONFLICT (username) DO NOTHING RETURNING *`,
      [username, input.displayName ?? null, await hashPassword(input.password), input.role],
    );
    const row = rows[0];
    if (!row) throw new ApiError(409, 'USERNAME_TAKEN', `username "${username}" is already taken`);
    return toAccount(row);
  }

  async findByUsername(username: string): Promise<UserAccount | undefined> {
    const row = await this.#row(username);
    return row && toAccount(row);
  }

  async findById(id: string): Promise<UserAccount | undefined> {
    const { rows } = await this.sql.query<UserRow>('SELECT * FROM users WHERE id = $1', [id]);
    return rows[0] && toAccount(rows[0]);
  }

  /**
   * Creates the `admin` account on first start. The password comes from the configuration or
   * is generated; a generated one is returned (only when the account was created here) to be
   * shown once.
   */
  async ensureAdmin(configuredPassword?: string): Promise<{ created: boolean; password?: string }> {
    if (await this.#row('admin')) return { created: false };
    const password = configuredPassword ?? generatePassword();
    await this.create({ username: 'admin', password, role: 'admin', displayName: 'Quản trị viên' });
    // A configured password is already known to whoever set it: never echo it.
    return { created: true, password: configuredPassword ? undefined : password };
  }

  async setPassword(username: string, password: string): Promise<void> {
    if (password.length < 12) {
      throw new ApiError(400, 'WEAK_PASSWORD', 'password: use at least 12 characters');
    }
    const { rowCount } = await this.sql.query(
      `UPDATE users SET password_hash = $2, failed_logins = 0, locked_until = NULL, updated_at = now()
       WHERE username = $1`,
      [username.normalize('NFC'), await hashPassword(password)],
    );
    if (rowCount === 0) throw new ApiError(404, 'USER_NOT_FOUND', `no user "${username}"`);
  }

  /** Checks a password; counts failures and locks the account after MAX_FAILED_LOGINS. */
  async verifyLogin(username: string, password: string): Promise<UserAccount> {
    const invalid = new ApiError(401, 'INVALID_CREDENTIALS', 'wrong username or password');
    const row = await this.#row(username.normalize('NFC').trim());
    if (!row || row.disabled || row.password_hash === null) {
      // Spend the same time as a real check so timing does not reveal which usernames exist.
      await verifyPassword(password, DUMMY_HASH);
      throw invalid;
    }
    const lockedUntil = row.locked_until ? new Date(row.locked_until) : null;
    if (lockedUntil && lockedUntil > new Date()) {
      throw new ApiError(
        423,
        'ACCOUNT_LOCKED',
        `too many failed logins; try again after ${lockedUntil.toISOString()} or ask an administrator`,
      );
    }
    if (!(await verifyPassword(password, row.password_hash))) {
      // A lock that has run out starts the count afresh instead of relocking on one mistake.
      await this.sql.query(
        `UPDATE users SET
           failed_logins = CASE WHEN locked_until <= now() THEN 1 ELSE failed_logins + 1 END,
           locked_until = CASE
             WHEN (CASE WHEN locked_until <= now() THEN 1 ELSE failed_logins + 1 END) >= $2
               THEN now() + make_interval(mins => $3)
             WHEN locked_until <= now() THEN NULL
             ELSE locked_until END
         WHERE id = $1`,
        [row.id, MAX_FAILED_LOGINS, LOCKOUT_MINUTES],
      );
      throw invalid;
    }
    if (row.failed_logins > 0 || row.locked_until) {
      await this.sql.query(
        'UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1',
        [row.id],
      );
    }
    return toAccount(row);
  }

  /**
   * The account of a person signed in through the SSO: found by the identity provider's
   * (issuer, subject), created on first sign-in without a password, its role and display name
   * refreshed from the latest claims. A username already held by another account (a local
   * one, or another SSO identity) is refused, never taken over.
   */
  async upsertExternal(identity: {
    issuer: string;
    subject: string;
    username: string;
    displayName?: string;
    role: Role;
  }): Promise<UserAccount> {
    if (!isRole(identity.role)) {
      throw new ApiError(400, 'INVALID_ROLE', `unknown role "${identity.role}"`);
    }
    const displayName = identity.displayName?.trim() || null;
    const { rows: updated } = await this.sql.query<UserRow>(
      `UPDATE users SET role = $3, display_name = $4, updated_at = now()
       WHERE external_issuer = $1 AND external_subject = $2 RETURNING *`,
      [identity.issuer, identity.subject, identity.role, displayName],
    );
    if (updated[0]) return toAccount(updated[0]);

    const username = identity.username.normalize('NFC').trim();
    // SSO usernames are often e-mail addresses, hence "@" on top of the local-account rule.
    if (!/^[\p{L}\p{N}._@-]{2,64}$/u.test(username)) {
      throw new ApiError(
        400,
        'INVALID_USERNAME',
        `the SSO username "${username}" is not usable: 2-64 letters, digits, ".", "_", "@" or "-"`,
      );
    }
    const { rows } = await this.sql.query<UserRow>(
      `INSERT INTO users (username, display_name, password_hash, role, external_issuer, external_subject)
       VALUES ($1, $2, NULL, $3, $4, $5) ON CONFLICT (username) DO NOTHING RETURNING *`,
      [username, displayName, identity.role, identity.issuer, identity.subject],
    );
    const row = rows[0];
    if (!row) {
      throw new ApiError(
        409,
        'USERNAME_TAKEN',
        `the SSO username "${username}" already belongs to another IOC account; an administrator must rename one of them`,
      );
    }
    return toAccount(row);
  }

  /** Every account, by username, for the administrators' list. */
  async list(): Promise<UserRecord[]> {
    const { rows } = await this.sql.query<UserRow>('SELECT * FROM users ORDER BY username');
    return rows.map(toRecord);
  }

  async findRecord(username: string): Promise<UserRecord | undefined> {
    const row = await this.#row(username.normalize('NFC').trim());
    return row && toRecord(row);
  }

  /**
   * Changes role, enabled state or display name. Refuses (409 LAST_ADMIN) to disable or demote
   * the last enabled admin, so the IOC can always be administered; the enabled admins are
   * locked for the check so two concurrent demotions cannot both pass.
   */
  async update(username: string, changes: UserChanges): Promise<UserRecord> {
    if (changes.role !== undefined && !isRole(changes.role)) {
      throw new ApiError(400, 'INVALID_ROLE', `unknown role "${changes.role}"`);
    }
    const name = username.normalize('NFC').trim();
    return this.sql.transaction(async (tx) => {
      const { rows: admins } = await tx.query<{ username: string }>(
        "SELECT username FROM users WHERE role = 'admin' AND NOT disabled FOR UPDATE",
      );
      const { rows: current } = await tx.query<UserRow>(
        'SELECT * FROM users WHERE username = $1 FOR UPDATE',
        [name],
      );
      const row = current[0];
      if (!row) throw new ApiError(404, 'USER_NOT_FOUND', `no user "${name}"`);
      const wasAdmin = row.role === 'admin' && !row.disabled;
      const staysAdmin =
        (changes.role ?? row.role) === 'admin' && !(changes.disabled ?? row.disabled);
      if (wasAdmin && !staysAdmin && admins.length <= 1) {
        throw new ApiError(
          409,
          'LAST_ADMIN',
          `"${name}" is the last enabled administrator; make another account admin first`,
        );
      }
      const displayName =
        changes.displayName === undefined
          ? row.display_name
          : changes.displayName?.normalize('NFC').trim() || null;
      const { rows } = await tx.query<UserRow>(
        `UPDATE users SET role = $2, disabled = $3, display_name = $4, updated_at = now()
         WHERE id = $1 RETURNING *`,
        [row.id, changes.role ?? row.role, changes.disabled ?? row.disabled, displayName],
      );
      return toRecord(rows[0] as UserRow);
    });
  }

  /** Lifts a lockout after failed logins. */
  async unlock(username: string): Promise<void> {
    const { rowCount } = await this.sql.query(
      `UPDATE users SET failed_logins = 0, locked_until = NULL, updated_at = now()
       WHERE username = $1`,
      [username.normalize('NFC').trim()],
    );
    if (rowCount === 0) throw new ApiError(404, 'USER_NOT_FOUND', `no user "${username}"`);
  }

  async #row(username: string): Promise<UserRow | undefined> {
    const { rows } = await this.sql.query<UserRow>('SELECT * FROM users WHERE username = $1', [
      username,
    ]);
    return rows[0];
  }
}

// A valid hash of a random password, for constant-time answers to unknown usernames.
const DUMMY_HASH =
  'scrypt$32768$8$1$yT8n3hT0kQhF1m8oXgq0bA$0cE4uQj5m8Hq8F0vJ2mB2nK2x3mTz1Gq8jv6cJQbX2Q';

function toAccount(row: UserRow): UserAccount {
  if (!isRole(row.role)) throw new Error(`user ${row.username} has an unknown role ${row.role}`);
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    role: row.role,
    disabled: row.disabled,
  };
}

function toRecord(row: UserRow): UserRecord {
  const lockedUntil = row.locked_until ? new Date(row.locked_until) : null;
  return {
    ...toAccount(row),
    lockedUntil: lockedUntil && lockedUntil > new Date() ? lockedUntil.toISOString() : null,
    external: row.password_hash === null,
    createdAt: new Date(row.created_at ?? 0).toISOString(),
  };
}
