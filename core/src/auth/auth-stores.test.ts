import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type SqlStore, sqlTestBackends } from '../sql/index.js';
import { ApiTokens } from './api-tokens.js';
import { AuditLog } from './audit-log.js';
import { sha256, verifyPassword } from './secrets.js';
import { SessionStore } from './session-store.js';
import { LOCKOUT_MINUTES, MAX_FAILED_LOGINS, UserAccounts } from './user-accounts.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

// Runs against both stores the IOC supports: embedded PGlite and PostgreSQL.
const { backends, cleanup } = sqlTestBackends('auth', inject('postgresUrl'));
afterAll(cleanup);

const PASSWORD = 'Mật khẩu đủ dài 2025';
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
let serial = 0;
/** A username no other test uses: the tests of one backend share its database. */
const uniqueName = (base: string) => `${base}${++serial}`;

describe.each(backends)('auth on $kind', (backend) => {
  let sql: SqlStore;
  let users: UserAccounts;
  beforeAll(async () => {
    sql = await backend.open();
    users = new UserAccounts(sql);
  });
  afterAll(async () => {
    await sql?.close();
    await backend.drop();
  });

  const newUser = (role: 'admin' | 'ioc-operator' | 'viewer' = 'ioc-operator') =>
    users.create({ username: uniqueName('user'), password: PASSWORD, role });
  const loginState = async (id: string) =>
    (
      await sql.query<{ failed_logins: number; locked_until: Date | null }>(
        'SELECT failed_logins, locked_until FROM users WHERE id = $1',
        [id],
      )
    ).rows[0];

  describe('UserAccounts', () => {
    it('creates an account under its NFC, trimmed username with a scrypt hash', async () => {
      const username = uniqueName('Nguyễn.Văn-An_');
      const account = await users.create({
        username: `  ${username.normalize('NFD')} `,
        password: PASSWORD,
        role: 'viewer',
        displayName: 'Nguyễn Văn An',
      });
      expect(account).toEqual({
        id: expect.stringMatching(UUID),
        username: username.normalize('NFC'),
        displayName: 'Nguyễn Văn An',
        role: 'viewer',
        disabled: false,
      });
      expect(await users.findByUsername(username)).toEqual(account);
      expect(await users.findById(account.id)).toEqual(account);
      const { rows } = await sql.query<{ password_hash: string }>(
        'SELECT password_hash FROM users WHERE id = $1',
        [account.id],
      );
      expect(rows[0]?.password_hash).toMatch(/^scrypt\$/);
      await expect(verifyPassword(PASSWORD, rows[0]?.password_hash ?? '')).resolves.toBe(true);
    });

    it('refuses bad usernames, weak passwords, unknown roles and taken usernames', async () => {
      const create = (username: string, password = PASSWORD, role = 'viewer') =>
        users.create({ username, password, role: role as 'viewer' });
      for (const username of ['a', 'has space', 'semi;colon', 'x'.repeat(65), '   ']) {
        await expect(create(username)).rejects.toMatchObject({
          statusCode: 400,
          code: 'INVALID_USERNAME',
        });
      }
      await expect(create(uniqueName('weak'), '11 chars..!')).rejects.toMatchObject({
        statusCode: 400,
        code: 'WEAK_PASSWORD',
        message: 'password: use at least 12 characters',
      });
      await expect(create(uniqueName('root'), PASSWORD, 'root')).rejects.toMatchObject({
        statusCode: 400,
        code: 'INVALID_ROLE',
      });
      const taken = uniqueName('Đức');
      await create(taken);
      await expect(create(taken.normalize('NFD'))).rejects.toMatchObject({
        statusCode: 409,
        code: 'USERNAME_TAKEN',
        message: `username "${taken}" is already taken`,
      });
    });

    it('logs in with the right password, whatever the Unicode form typed', async () => {
      const account = await newUser();
      await expect(users.verifyLogin(account.username, PASSWORD)).resolves.toEqual(account);
      await expect(
        users.verifyLogin(` ${account.username} `, PASSWORD.normalize('NFD')),
      ).resolves.toEqual(account);
    });

    it('answers a wrong password and an unknown user alike, counting only real failures', async () => {
      const account = await newUser();
      const refused = { statusCode: 401, code: 'INVALID_CREDENTIALS' };
      const wrong = await users.verifyLogin(account.username, 'not the password').catch((e) => e);
      const unknown = await users.verifyLogin(uniqueName('nobody'), PASSWORD).catch((e) => e);
      expect(wrong).toMatchObject(refused);
      expect(unknown).toMatchObject(refused);
      expect(unknown.message).toBe(wrong.message);
      expect(await loginState(account.id)).toEqual({ failed_logins: 1, locked_until: null });
    });

    it(`locks the account after ${MAX_FAILED_LOGINS} failures, even for the right password`, async () => {
      const account = await newUser();
      for (let i = 0; i < MAX_FAILED_LOGINS; i++) {
        await expect(users.verifyLogin(account.username, `wrong ${i}`)).rejects.toMatchObject({
          code: 'INVALID_CREDENTIALS',
        });
      }
      const lockedAt = Date.now();
      const locked = await users.verifyLogin(account.username, PASSWORD).catch((e) => e);
      expect(locked).toMatchObject({ statusCode: 423, code: 'ACCOUNT_LOCKED' });
      const until = (await loginState(account.id))?.locked_until as Date;
      expect(until.getTime() - lockedAt).toBeGreaterThan((LOCKOUT_MINUTES - 1) * 60_000);
      expect(until.getTime() - lockedAt).toBeLessThanOrEqual(LOCKOUT_MINUTES * 60_000);
      expect(locked.message).toBe(
        `too many failed logins; try again after ${until.toISOString()} or ask an administrator`,
      );

      // Once the lock has passed, the right password works and clears the record.
      await sql.query(`UPDATE users SET locked_until = now() - interval '1 second' WHERE id = $1`, [
        account.id,
      ]);
      await expect(users.verifyLogin(account.username, PASSWORD)).resolves.toEqual(account);
      expect(await loginState(account.id)).toEqual({ failed_logins: 0, locked_until: null });
    });

    it('counts afresh after a lock has run out instead of relocking on one mistake', async () => {
      const account = await newUser();
      for (let i = 0; i < MAX_FAILED_LOGINS; i++) {
        await users.verifyLogin(account.username, 'wrong').catch(() => undefined);
      }
      await sql.query(`UPDATE users SET locked_until = now() - interval '1 second' WHERE id = $1`, [
        account.id,
      ]);
      await expect(users.verifyLogin(account.username, 'wrong again')).rejects.toMatchObject({
        code: 'INVALID_CREDENTIALS',
      });
      expect(await loginState(account.id)).toEqual({ failed_logins: 1, locked_until: null });
    });

    it('resets the failure count after a successful login', async () => {
      const account = await newUser();
      for (let round = 0; round < 2; round++) {
        for (let i = 1; i < MAX_FAILED_LOGINS; i++) {
          await expect(users.verifyLogin(account.username, 'wrong')).rejects.toMatchObject({
            code: 'INVALID_CREDENTIALS',
          });
        }
        expect((await loginState(account.id))?.failed_logins).toBe(MAX_FAILED_LOGINS - 1);
        await expect(users.verifyLogin(account.username, PASSWORD)).resolves.toEqual(account);
        expect((await loginState(account.id))?.failed_logins).toBe(0);
      }
    });

    it('refuses a disabled account as if it did not exist', async () => {
      const account = await newUser();
      await sql.query('UPDATE users SET disabled = true WHERE id = $1', [account.id]);
      await expect(users.verifyLogin(account.username, PASSWORD)).rejects.toMatchObject({
        statusCode: 401,
        code: 'INVALID_CREDENTIALS',
      });
    });

    it('sets a new password, which also lifts a lock', async () => {
      const account = await newUser();
      await sql.query(
        `UPDATE users SET failed_logins = 9, locked_until = now() + interval '1 hour'
                       WHERE id = $1`,
        [account.id],
      );
      await users.setPassword(account.username, 'a brand new passphrase');
      await expect(users.verifyLogin(account.username, 'a brand new passphrase')).resolves.toEqual(
        account,
      );
      await expect(users.verifyLogin(account.username, PASSWORD)).rejects.toMatchObject({
        code: 'INVALID_CREDENTIALS',
      });
      await expect(users.setPassword(account.username, 'short')).rejects.toMatchObject({
        code: 'WEAK_PASSWORD',
      });
      await expect(users.setPassword('nobody-at-all', PASSWORD)).rejects.toMatchObject({
        statusCode: 404,
        code: 'USER_NOT_FOUND',
      });
    });

    it('creates the first admin once, showing a generated password only', async () => {
      await sql.query(`DELETE FROM users WHERE username = 'admin'`);
      const first = await users.ensureAdmin();
      expect(first).toEqual({
        created: true,
        password: expect.stringMatching(/^[A-Za-z0-9]{20}$/),
      });
      const admin = await users.verifyLogin('admin', first.password as string);
      expect(admin).toMatchObject({
        username: 'admin',
        role: 'admin',
        displayName: 'Quản trị viên',
      });
      expect(await users.ensureAdmin()).toEqual({ created: false });
      expect(await users.ensureAdmin('Another-Passphrase-1')).toEqual({ created: false });
      await expect(users.verifyLogin('admin', first.password as string)).resolves.toEqual(admin);

      await sql.query(`DELETE FROM users WHERE username = 'admin'`);
      const configured = await users.ensureAdmin('Configured-Passphrase-1');
      expect(configured).toEqual({ created: true });
      expect(configured.password).toBeUndefined();
      await expect(users.verifyLogin('admin', 'Configured-Passphrase-1')).resolves.toMatchObject({
        role: 'admin',
      });
      expect(await users.ensureAdmin('Configured-Passphrase-1')).toEqual({ created: false });
    });
  });

  describe('SessionStore', () => {
    const client = { ip: '203.0.113.7', userAgent: 'Firefox/140' };

    it('resolves a session to its user until it is destroyed', async () => {
      const account = await newUser('viewer');
      const sessions = new SessionStore(sql, 12);
      const cookie = await sessions.create(account.id, client);
      expect(cookie).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const principal = { kind: 'user', id: account.id, name: account.username, role: 'viewer' };
      await expect(sessions.resolve(cookie)).resolves.toEqual(principal);
      await expect(sessions.resolve(`${cookie}x`)).resolves.toBeUndefined();
      await expect(sessions.resolve('')).resolves.toBeUndefined();
      await sessions.destroy(cookie);
      await expect(sessions.resolve(cookie)).resolves.toBeUndefined();
    });

    it('keeps only a hash of the cookie, and expires it after the configured ttl', async () => {
      const account = await newUser();
      const cookie = await new SessionStore(sql, 0.5).create(account.id, client);
      const { rows } = await sql.query<{ id: string; lifetime: number }>(
        `SELECT *, extract(epoch FROM expires_at - created_at)::int AS lifetime
           FROM sessions WHERE user_id = $1`,
        [account.id],
      );
      expect(rows).toEqual([
        expect.objectContaining({
          id: sha256(cookie),
          lifetime: 1800,
          ip: client.ip,
          user_agent: client.userAgent,
        }),
      ]);
      const everything = await sql.query('SELECT * FROM sessions');
      expect(JSON.stringify(everything.rows)).not.toContain(cookie);
    });

    it('does not resolve an expired session or one of a disabled user', async () => {
      const sessions = new SessionStore(sql, 12);
      const expiring = await newUser();
      const expired = await sessions.create(expiring.id, {});
      await sql.query(
        `UPDATE sessions SET expires_at = now() - interval '1 second' WHERE user_id = $1`,
        [expiring.id],
      );
      await expect(sessions.resolve(expired)).resolves.toBeUndefined();

      const disabled = await newUser();
      const cookie = await sessions.create(disabled.id, {});
      await expect(sessions.resolve(cookie)).resolves.toMatchObject({ id: disabled.id });
      await sql.query('UPDATE users SET disabled = true WHERE id = $1', [disabled.id]);
      await expect(sessions.resolve(cookie)).resolves.toBeUndefined();
    });

    it('purges expired sessions and keeps live ones', async () => {
      await sql.query('DELETE FROM sessions');
      const sessions = new SessionStore(sql, 12);
      const account = await newUser();
      const live = await sessions.create(account.id, {});
      const old = [await sessions.create(account.id, {}), await sessions.create(account.id, {})];
      await sql.query(
        `UPDATE sessions SET expires_at = now() - interval '1 minute' WHERE id = ANY($1)`,
        [old.map(sha256)],
      );
      await expect(sessions.purgeExpired()).resolves.toBe(2);
      await expect(sessions.purgeExpired()).resolves.toBe(0);
      const left = await sql.query<{ id: string }>('SELECT id FROM sessions');
      expect(left.rows).toEqual([{ id: sha256(live) }]);
      await expect(sessions.resolve(live)).resolves.toMatchObject({ id: account.id });
    });
  });

  describe('ApiTokens', () => {
    let tokens: ApiTokens;
    beforeAll(() => {
      tokens = new ApiTokens(sql);
    });
    const secretOf = (token: string) => token.slice('ioc_'.length + 12 + 1);
    const infoOf = async (id: string) => (await tokens.list()).find((t) => t.id === id);

    it('hands out ioc_<id>_<secret> once and stores only a hash of the secret', async () => {
      const before = Date.now();
      const { token, info } = await tokens.create({
        name: ' Trạm quan trắc ',
        role: 'service',
        createdBy: 'admin',
      });
      expect(token).toMatch(/^ioc_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
      expect(token.slice(4, 16)).toBe(info.id);
      expect(info).toEqual({
        id: expect.stringMatching(/^[a-z0-9]{12}$/),
        name: 'Trạm quan trắc',
        role: 'service',
        createdBy: 'admin',
        createdAt: expect.stringMatching(ISO),
        expiresAt: null,
        lastUsedAt: null,
        revokedAt: null,
      });
      expect(Date.parse(info.createdAt)).toBeGreaterThanOrEqual(before - 1000);
      const { rows } = await sql.query('SELECT * FROM api_tokens WHERE id = $1', [info.id]);
      expect(rows[0]?.secret_hash).toBe(sha256(secretOf(token)));
      expect(JSON.stringify(rows)).not.toContain(secretOf(token));
    });

    it('resolves a token to its principal and records when it was last used', async () => {
      const { token, info } = await tokens.create({ name: 'n', role: 'viewer', createdBy: 'a' });
      await expect(tokens.resolve(token)).resolves.toEqual({
        kind: 'token',
        id: info.id,
        name: 'token:n',
        role: 'viewer',
      });
      const used = await infoOf(info.id);
      expect(used?.lastUsedAt).toMatch(ISO);
      expect(Date.parse(used?.lastUsedAt as string)).toBeGreaterThanOrEqual(
        Date.parse(info.createdAt),
      );
    });

    it('refuses malformed tokens and wrong secrets, which do not count as use', async () => {
      const { token, info } = await tokens.create({ name: 'n', role: 'viewer', createdBy: 'a' });
      const secret = secretOf(token);
      const wrongSecret = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
      for (const bad of [
        wrongSecret,
        `ioc_${'0'.repeat(12)}_${secret}`,
        `Bearer ${token}`,
        `${token} `,
        token.slice(0, -1),
        `ioc_${info.id}`,
        '',
      ]) {
        await expect(tokens.resolve(bad)).resolves.toBeUndefined();
      }
      expect((await infoOf(info.id))?.lastUsedAt).toBeNull();
    });

    it('refuses revoked and expired tokens', async () => {
      const { token, info } = await tokens.create({ name: 'n', role: 'viewer', createdBy: 'a' });
      const revoked = await tokens.revoke(info.id);
      expect(revoked.revokedAt).toMatch(ISO);
      await expect(tokens.resolve(token)).resolves.toBeUndefined();
      expect((await tokens.revoke(info.id)).revokedAt).toBe(revoked.revokedAt);
      await expect(tokens.revoke('nosuchtoken0')).rejects.toMatchObject({
        statusCode: 404,
        code: 'TOKEN_NOT_FOUND',
      });

      const hour = 3_600_000;
      const expired = await tokens.create({
        name: 'old',
        role: 'viewer',
        createdBy: 'a',
        expiresAt: new Date(Date.now() - 1000),
      });
      await expect(tokens.resolve(expired.token)).resolves.toBeUndefined();
      const expiresAt = new Date(Date.now() + hour);
      const fresh = await tokens.create({ name: 'new', role: 'viewer', createdBy: 'a', expiresAt });
      expect(fresh.info.expiresAt).toBe(expiresAt.toISOString());
      await expect(tokens.resolve(fresh.token)).resolves.toMatchObject({ id: fresh.info.id });
    });

    it('lists tokens without their secrets or hashes', async () => {
      const { token, info } = await tokens.create({ name: 'n', role: 'admin', createdBy: 'a' });
      const list = await tokens.list();
      expect(list.find((t) => t.id === info.id)).toEqual(info);
      for (const item of list) {
        expect(Object.keys(item).sort()).toEqual(Object.keys(info).sort());
      }
      expect(JSON.stringify(list)).not.toContain(secretOf(token));
      expect(JSON.stringify(list)).not.toContain(sha256(secretOf(token)));
    });

    it('refuses a blank or overlong name and an unknown role', async () => {
      const create = (name: string, role = 'viewer') =>
        tokens.create({ name, role: role as 'viewer', createdBy: 'a' });
      await expect(create('  ')).rejects.toMatchObject({ code: 'INVALID_TOKEN_NAME' });
      await expect(create('x'.repeat(101))).rejects.toMatchObject({ code: 'INVALID_TOKEN_NAME' });
      await expect(create('ok', 'god')).rejects.toMatchObject({
        statusCode: 400,
        code: 'INVALID_ROLE',
      });
    });
  });

  describe('AuditLog', () => {
    it('returns the newest entries first, with defaults and JSON details intact', async () => {
      const audit = new AuditLog(sql);
      const details = {
        alert: 7,
        note: 'Đã xử lý',
        tags: ['lũ', 'Hòa Vang'],
        nested: { ok: true },
      };
      await audit.record({ actor: 'admin', action: 'user.create', target: 'an' });
      await audit.record({
        actor: 'an',
        action: 'alert.ack',
        target: 'alert:7',
        ip: '203.0.113.7',
        details,
      });
      await audit.record({ actor: 'mallory', action: 'login', outcome: 'denied' });

      const recent = await audit.recent();
      expect(recent.map((r) => r.action)).toEqual(['login', 'alert.ack', 'user.create']);
      expect(recent[0]).toEqual({
        id: expect.any(Number),
        at: expect.stringMatching(ISO),
        actor: 'mallory',
        action: 'login',
        target: null,
        ip: null,
        outcome: 'denied',
        details: null,
      });
      expect(recent[1]).toMatchObject({ ip: '203.0.113.7', outcome: 'ok', details });
      expect(recent[0]?.id).toBeGreaterThan(recent[1]?.id as number);
      expect((await audit.recent(2)).map((r) => r.action)).toEqual(['login', 'alert.ack']);
    });
  });
});
