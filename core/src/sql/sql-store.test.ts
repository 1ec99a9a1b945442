import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { type AppConfig, loadConfig } from '../config/index.js';
import { StartupError } from '../errors.js';
import { createLogger } from '../logger.js';
import { MIGRATIONS_DIR, openSqlStore, readMigrations } from './index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The migrations the IOC ships; test-only migrations are numbered from 0901 to stay clear of them. */
const SHIPPED = readMigrations(MIGRATIONS_DIR);
const SHIPPED_VERSIONS = SHIPPED.map((m) => ({ version: m.version }));
const silent = createLogger('silent');
const scratch = mkdtempSync(join(tmpdir(), 'ioc-sql-test-'));
const cleanups: (() => Promise<void>)[] = [];

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

/** A config whose SQL store is PGlite in `dataDir`, or PostgreSQL at `url`. */
function configFor(target: { dataDir?: string; url?: string }): AppConfig {
  const dataDir = target.dataDir ?? mkdtempSync(join(scratch, 'data-'));
  return loadConfig({
    env: {},
    cwd: scratch,
    overrides: { dataDir, sql: target.url ? { url: target.url } : {} },
  });
}

/** Logs kept in memory, to check what the store reported. */
function recordingLogger() {
  const lines: { msg: string; migration?: string }[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

/** A migrations dir holding the real ones plus `extra` files. */
function migrationsDir(extra: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(scratch, 'migrations-'));
  cpSync(MIGRATIONS_DIR, dir, { recursive: true });
  for (const [name, sql] of Object.entries(extra)) writeFileSync(join(dir, name), sql);
  return dir;
}

async function openingError(promise: Promise<unknown>): Promise<StartupError> {
  const err = await promise.then(
    () => new Error('expected the store to refuse to open'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StartupError);
  const startup = err as StartupError;
  expect(startup.message).not.toContain('\n');
  return startup;
}

// ── the two backends ────────────────────────────────────────────────────────────────

let pgliteTemplate: string | undefined;

/** A fresh, empty PGlite data dir: a copy of one initdb'd template (initdb takes seconds). */
async function freshPgliteConfig(): Promise<AppConfig> {
  if (!pgliteTemplate) {
    const dir = join(scratch, 'pglite-template');
    const db = await PGlite.create({ dataDir: dir });
    await db.close();
    pgliteTemplate = dir;
  }
  const config = configFor({});
  cpSync(pgliteTemplate, join(config.dataDir, 'pglite'), { recursive: true });
  return config;
}

const postgresUrl = inject('postgresUrl');

/** A fresh, empty database on the run's throwaway PostgreSQL. */
async function freshPostgresConfig(): Promise<AppConfig> {
  const name = `ioc_sql_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  cleanups.push(async () => {
    const dropper = new pg.Client({ connectionString: postgresUrl });
    await dropper.connect();
    await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await dropper.end();
  });
  const url = new URL(postgresUrl);
  url.pathname = `/${name}`;
  return configFor({ url: url.toString() });
}

const backends = [
  { kind: 'pglite', fresh: freshPgliteConfig },
  { kind: 'postgres', fresh: freshPostgresConfig },
] as const;

describe.each(backends)('SQL store on $kind', ({ kind, fresh }) => {
  it('opens the right kind of store and answers ping', async () => {
    const store = await openSqlStore(await fresh(), silent);
    expect(store.kind).toBe(kind);
    await expect(store.ping()).resolves.toBeUndefined();
    await store.close();
    await expect(store.ping()).rejects.toThrow();
  });

  it('applies the migrations once, records them, and re-opens without re-applying', async () => {
    const config = await fresh();
    const first = recordingLogger();
    const store = await openSqlStore(config, first.logger);
    const recorded = await store.query<{ version: number; name: string; checksum: string }>(
      'SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version',
    );
    expect(SHIPPED[0]?.name).toBe('0001_accounts.sql');
    expect(recorded.rows).toEqual(
      SHIPPED.map((m) =>
        expect.objectContaining({
          version: m.version,
          name: m.name,
          checksum: createHash('sha256').update(readFileSync(m.path, 'utf8')).digest('hex'),
        }),
      ),
    );
    expect(first.lines.filter((l) => l.msg === 'applied SQL migration')).toEqual(
      SHIPPED.map((m) => expect.objectContaining({ migration: m.name })),
    );
    await store.close();

    const second = recordingLogger();
    const again = await openSqlStore(config, second.logger);
    const after = await again.query(
      'SELECT version, name, checksum, applied_at FROM schema_migrations',
    );
    expect(after.rows).toEqual(recorded.rows);
    expect(second.lines.filter((l) => l.msg === 'applied SQL migration')).toEqual([]);
    await again.close();
  });

  it('creates the account tables of 0001_accounts.sql with their defaults and checks', async () => {
    const store = await openSqlStore(await fresh(), silent);
    const user = await store.query<{ id: string; disabled: boolean; failed_logins: number }>(
      `INSERT INTO users (username, password_hash, role) VALUES ('an', 'x', 'ioc-operator')
       RETURNING id, disabled, failed_logins`,
    );
    expect(user.rows[0]).toEqual({
      id: expect.stringMatching(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      ),
      disabled: false,
      failed_logins: 0,
    });
    const userId = user.rows[0]?.id;
    await expect(
      store.query(`INSERT INTO users (username, password_hash, role) VALUES ('b', 'x', 'root')`),
    ).rejects.toMatchObject({ code: '23514' });
    await expect(
      store.query(`INSERT INTO users (username, password_hash, role) VALUES ('an', 'y', 'viewer')`),
    ).rejects.toMatchObject({ code: '23505' });
    await expect(
      store.query(
        `INSERT INTO api_tokens (id, name, secret_hash, role) VALUES ('t', 'n', 'h', 'god')`,
      ),
    ).rejects.toMatchObject({ code: '23514' });

    await store.query(
      `INSERT INTO sessions (id, user_id, expires_at) VALUES ('s1', $1, now() + interval '1 hour')`,
      [userId],
    );
    await store.query('DELETE FROM users WHERE id = $1', [userId]);
    expect((await store.query('SELECT * FROM sessions')).rowCount).toBe(0);

    const audit = await store.query<{ id: number; outcome: string; details: unknown; at: Date }>(
      `INSERT INTO audit_log (actor, action, details) VALUES ('an', 'alert.ack', $1)
       RETURNING id, outcome, details, at`,
      [{ alert: 7, note: 'Đã xử lý' }],
    );
    expect(audit.rows[0]).toEqual({
      id: 1,
      outcome: 'ok',
      details: { alert: 7, note: 'Đã xử lý' },
      at: expect.any(Date),
    });
    await store.close();
  });

  it('commits a transaction that resolves and rolls back one that throws', async () => {
    const store = await openSqlStore(await fresh(), silent);
    await store.query('CREATE TABLE t (n int PRIMARY KEY)');
    const value = await store.transaction(async (tx) => {
      await tx.query('INSERT INTO t VALUES (1)');
      return (await tx.query<{ n: number }>('SELECT n FROM t')).rows;
    });
    expect(value).toEqual([{ n: 1 }]);

    const thrown = new Error('changed my mind');
    await expect(
      store.transaction(async (tx) => {
        await tx.query('INSERT INTO t VALUES (2)');
        throw thrown;
      }),
    ).rejects.toBe(thrown);
    await expect(
      store.transaction(async (tx) => {
        await tx.query('INSERT INTO t VALUES (3)');
        await tx.query('INSERT INTO t VALUES (1)');
      }),
    ).rejects.toMatchObject({ code: '23505' });

    expect((await store.query('SELECT n FROM t ORDER BY n')).rows).toEqual([{ n: 1 }]);
    await store.close();
  });

  it('returns the same JS values as the other backend, whatever the host time zone', async () => {
    const store = await openSqlStore(await fresh(), silent);
    const tz = process.env.TZ;
    process.env.TZ = 'Asia/Ho_Chi_Minh';
    try {
      const { rows } = await store.query(
        `SELECT 42::int8 AS i8, count(*) AS n, 1.50::numeric AS num, 2.5::float8 AS f8,
                '2025-07-01'::date AS d, '2025-07-01 08:30:00'::timestamp AS ts,
                '2025-07-01 08:30:00+07'::timestamptz AS tstz, '1 day 02:00:00'::interval AS iv,
                ARRAY[1, 2]::int8[] AS i8s, ARRAY['2025-07-01'::date, NULL] AS ds,
                '{"a": [1]}'::jsonb AS j, true AS b, 'Quảng Nam'::text AS t
           FROM generate_series(1, 3)`,
      );
      expect(rows).toEqual([
        {
          i8: 42,
          n: 3,
          num: '1.50',
          f8: 2.5,
          d: '2025-07-01',
          ts: new Date('2025-07-01T08:30:00Z'),
          tstz: new Date('2025-07-01T01:30:00Z'),
          iv: '1 day 02:00:00',
          i8s: [1, 2],
          ds: ['2025-07-01', null],
          j: { a: [1] },
          b: true,
          t: 'Quảng Nam',
        },
      ]);
      const session = await store.query("SELECT current_setting('TimeZone') AS tz");
      expect(session.rows).toEqual([{ tz: 'UTC' }]);
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
    await expect(store.query('SELECT 9007199254740993::int8 AS big')).rejects.toThrow(
      /cast it to text/,
    );
    await store.close();
  });

  it('counts rows the same way for DDL, DML and SELECT', async () => {
    const store = await openSqlStore(await fresh(), silent);
    expect((await store.query('CREATE TABLE c (n int)')).rowCount).toBe(0);
    expect((await store.query('INSERT INTO c SELECT generate_series(1, 3)')).rowCount).toBe(3);
    expect((await store.query('UPDATE c SET n = n + 10 WHERE n > 1')).rowCount).toBe(2);
    expect((await store.query('UPDATE c SET n = 0 WHERE n > 100')).rowCount).toBe(0);
    expect((await store.query('DELETE FROM c WHERE n = 1 RETURNING n')).rowCount).toBe(1);
    expect((await store.query('SELECT * FROM c')).rowCount).toBe(2);
    await store.close();
  });

  it('refuses to start when an applied migration file has changed', async () => {
    const config = await fresh();
    const dir = migrationsDir({ '0901_extra.sql': 'CREATE TABLE extra (id int);\n' });
    await (await openSqlStore(config, silent, { migrationsDir: dir })).close();

    // The same text with Windows line endings is the same migration.
    writeFileSync(join(dir, '0901_extra.sql'), 'CREATE TABLE extra (id int);\r\n');
    await (await openSqlStore(config, silent, { migrationsDir: dir })).close();

    writeFileSync(join(dir, '0901_extra.sql'), 'CREATE TABLE extra (id bigint);\n');
    const err = await openingError(openSqlStore(config, silent, { migrationsDir: dir }));
    expect(err.code).toBe('SQL_MIGRATION_CHANGED');
    expect(err.message).toMatch(
      /SQL migration \S*0901_extra\.sql was changed after it was applied/,
    );
  });

  it('names the migration that fails, its line, and applies nothing of it', async () => {
    const config = await fresh();
    const dir = migrationsDir({
      '0901_broken.sql':
        'CREATE TABLE half_done (id int);\n\nSELECT no_such_column FROM half_done;\n',
    });
    const err = await openingError(openSqlStore(config, silent, { migrationsDir: dir }));
    expect(err.code).toBe('SQL_MIGRATION_FAILED');
    expect(err.message).toMatch(
      /^SQL migration \S*0901_broken\.sql failed at line 3: column "no_such_column" does not exist \(42703\)/,
    );

    // The shipped migrations stay applied; 0901 left no trace.
    const store = await openSqlStore(config, silent);
    expect(
      (await store.query('SELECT version FROM schema_migrations ORDER BY version')).rows,
    ).toEqual(SHIPPED_VERSIONS);
    const table = await store.query<{ t: string | null }>(
      "SELECT to_regclass('half_done')::text AS t",
    );
    expect(table.rows).toEqual([{ t: null }]);
    await store.close();
  });

  it('refuses a database that has migrations this code lacks', async () => {
    const config = await fresh();
    const newer = migrationsDir({ '0901_later.sql': 'CREATE TABLE later (id int);' });
    await (await openSqlStore(config, silent, { migrationsDir: newer })).close();
    const err = await openingError(openSqlStore(config, silent));
    expect(err.code).toBe('SQL_SCHEMA_NEWER');
    expect(err.message).toContain('the database has migration 0901_later.sql applied');
  });

  it('refuses a new migration numbered below one already applied', async () => {
    const config = await fresh();
    const dir = migrationsDir({ '0903_c.sql': 'CREATE TABLE c3 (id int);' });
    await (await openSqlStore(config, silent, { migrationsDir: dir })).close();
    writeFileSync(join(dir, '0902_b.sql'), 'CREATE TABLE c2 (id int);');
    const err = await openingError(openSqlStore(config, silent, { migrationsDir: dir }));
    expect(err.code).toBe('SQL_MIGRATION_OUT_OF_ORDER');
    expect(err.message).toMatch(/0902_b\.sql is numbered below 0903_c\.sql/);
  });
});

// ── PostgreSQL only ─────────────────────────────────────────────────────────────────

describe('SQL store on postgres: start-up', () => {
  it('applies each migration once when several processes start at the same time', async () => {
    const config = await freshPostgresConfig();
    const dir = migrationsDir({
      '0902_b.sql': 'CREATE TABLE b (id int);',
      '0903_c.sql': 'CREATE TABLE c (id int);',
    });
    const loggers = Array.from({ length: 6 }, () => recordingLogger());
    const stores = await Promise.all(
      loggers.map(({ logger }) => openSqlStore(config, logger, { migrationsDir: dir })),
    );
    const applied = loggers.flatMap(({ lines }) =>
      lines.filter((l) => l.msg === 'applied SQL migration').map((l) => l.migration),
    );
    expect(applied.sort()).toEqual([...SHIPPED.map((m) => m.name), '0902_b.sql', '0903_c.sql']);
    const recorded = await stores[0]?.query('SELECT version FROM schema_migrations ORDER BY 1');
    expect(recorded?.rows).toEqual([...SHIPPED_VERSIONS, { version: 902 }, { version: 903 }]);
    await Promise.all(stores.map((s) => s.close()));
  });

  it('says in one line that an unreachable server cannot be reached, without the password', async () => {
    const port = await closedPort();
    const url = `postgres://ioc:S3cret-Pa55@127.0.0.1:${port}/ioc`;
    const err = await openingError(openSqlStore(configFor({ url }), silent));
    expect(err.code).toBe('SQL_UNREACHABLE');
    expect(err.message).toBe(
      `cannot reach PostgreSQL at postgres://ioc@127.0.0.1:${port}/ioc (ECONNREFUSED); start it or fix DATABASE_URL`,
    );
  });

  it('says the password was refused, without printing it', async () => {
    const url = new URL(postgresUrl);
    url.password = 'Wrong-Pa55word';
    const err = await openingError(openSqlStore(configFor({ url: url.toString() }), silent));
    expect(err.code).toBe('SQL_AUTH_FAILED');
    expect(err.message).toBe(
      `PostgreSQL at postgres://postgres@127.0.0.1:${url.port}/ioc_test refused user "postgres" with the given password; fix the user or password in DATABASE_URL`,
    );
    expect(err.message).not.toContain('Wrong-Pa55word');
    expect(err.message).not.toContain(new URL(postgresUrl).password);
  });

  it('says a password is needed when DATABASE_URL has none, and lets the process exit', async () => {
    const url = new URL(postgresUrl);
    url.password = '';
    const err = await openingError(openSqlStore(configFor({ url: url.toString() }), silent));
    expect(err.code).toBe('SQL_AUTH_FAILED');
    expect(err.message).toBe(
      `PostgreSQL at postgres://postgres@127.0.0.1:${url.port}/ioc_test asks for a password and DATABASE_URL has none; use postgres://user:password@host/db`,
    );

    // pg leaves such a half-done login's socket open, which kept `ioc start` alive for the
    // server's authentication_timeout (a minute) after printing the error.
    const child = runScript(`
      const config = loadConfig({ env: { DATABASE_URL: ${JSON.stringify(url.toString())} }, cwd: ${JSON.stringify(scratch)} });
      await openSqlStore(config, createLogger('silent')).catch((err) => console.log(err.code));
    `);
    const lines: string[] = [];
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) =>
      lines.push(line),
    );
    const outcome = await Promise.race([
      once(child, 'exit').then(([code]) => `exited ${code}`),
      new Promise<string>((resolve) => {
        setTimeout(() => resolve('still running after 20 s'), 20_000).unref();
      }),
    ]);
    if (outcome.startsWith('still')) child.kill();
    expect(outcome).toBe('exited 0');
    expect(lines).toEqual(['SQL_AUTH_FAILED']);
  });

  it('says which database is missing and how to create it', async () => {
    const url = new URL(postgresUrl);
    url.pathname = '/no_such_db';
    const err = await openingError(openSqlStore(configFor({ url: url.toString() }), silent));
    expect(err.code).toBe('SQL_DATABASE_MISSING');
    expect(err.message).toMatch(/^database "no_such_db" does not exist .*createdb no_such_db/);
    expect(err.message).not.toContain(url.password);
  });
});

function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
    server.once('error', reject);
  });
}

// ── PGlite only ─────────────────────────────────────────────────────────────────────

describe('SQL store on pglite: one process per data dir', () => {
  it('creates the data dir when it does not exist', async () => {
    const dataDir = join(scratch, 'not', 'yet', 'there');
    const store = await openSqlStore(configFor({ dataDir }), silent);
    expect(existsSync(join(dataDir, 'pglite', 'PG_VERSION'))).toBe(true);
    expect((await store.query('SELECT count(*) AS n FROM schema_migrations')).rows).toEqual([
      { n: SHIPPED.length },
    ]);
    await store.close();
  });

  it('refuses a data dir another process uses, and opens it once that process stops', async () => {
    const config = await freshPgliteConfig();
    const holder = await startHolder(config.dataDir);
    try {
      const err = await openingError(openSqlStore(config, silent));
      expect(err.code).toBe('SQL_DATA_DIR_IN_USE');
      expect(err.message).toBe(
        `the embedded database ${join(config.dataDir, 'pglite')} is in use by process ${holder.pid} (an \`ioc start\` is running?); stop it or use its API`,
      );
    } finally {
      holder.stdin?.end();
      await once(holder, 'exit');
    }
    expect(existsSync(join(config.dataDir, 'pglite.lock'))).toBe(false);
    const store = await openSqlStore(config, silent);
    expect(store.kind).toBe('pglite');
    await store.close();
  });

  it('refuses a second open of the same data dir in this process', async () => {
    const config = await freshPgliteConfig();
    const store = await openSqlStore(config, silent);
    const err = await openingError(openSqlStore(config, silent));
    expect(err.message).toContain(`is in use by this process (${process.pid})`);
    await store.close();
  });

  it('takes over a lock left by a process that died, and removes it on close', async () => {
    const config = await freshPgliteConfig();
    const dead = spawnSync('true').pid;
    const lockFile = join(config.dataDir, 'pglite.lock');
    writeFileSync(lockFile, JSON.stringify({ pid: dead, hostname: hostname(), since: 'x' }));
    const store = await openSqlStore(config, silent);
    expect(JSON.parse(readFileSync(lockFile, 'utf8'))).toMatchObject({ pid: process.pid });
    await store.close();
    expect(existsSync(lockFile)).toBe(false);
  });

  it('takes over a lock written before a reboot, even if its pid is alive now', async () => {
    const config = await freshPgliteConfig();
    const lockFile = join(config.dataDir, 'pglite.lock');
    const before = { pid: 1, hostname: hostname(), bootId: 'an-earlier-boot', since: 'x' };
    writeFileSync(lockFile, JSON.stringify(before));
    const store = await openSqlStore(config, silent);
    expect(JSON.parse(readFileSync(lockFile, 'utf8'))).toMatchObject({ pid: process.pid });
    await store.close();
  });
});

/** Runs a TypeScript module body (with openSqlStore, loadConfig, createLogger in scope) in a new process. */
function runScript(body: string): ChildProcess {
  const script = join(scratch, `script-${randomBytes(4).toString('hex')}.mts`);
  const imports = [
    ['openSqlStore', 'core/src/sql/index.ts'],
    ['loadConfig', 'core/src/config/index.ts'],
    ['createLogger', 'core/src/logger.ts'],
  ].map(
    ([name, file]) => `import { ${name} } from ${JSON.stringify(join(REPO_ROOT, file ?? ''))};`,
  );
  writeFileSync(script, `${imports.join('\n')}\n${body}\n`);
  return spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
}

/**
 * Another process that opens the store on `dataDir`, prints "ready" and holds it until its
 * stdin closes: what a running `ioc start` does.
 */
async function startHolder(dataDir: string): Promise<ChildProcess> {
  const child = runScript(`
    const config = loadConfig({ env: {}, cwd: ${JSON.stringify(scratch)}, overrides: { dataDir: ${JSON.stringify(dataDir)} } });
    const store = await openSqlStore(config, createLogger('silent'));
    process.stdout.write('ready\\n');
    process.stdin.resume();
    process.stdin.on('end', async () => { await store.close(); });
  `);
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const [first] = (await Promise.race([
    once(lines, 'line'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`the holder process exited (${code}) before opening the store`);
    }),
  ])) as [string];
  expect(first).toBe('ready');
  return child;
}
