import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { loadConfig } from '../config/index.js';
import { createLogger } from '../logger.js';
import { openSqlStore } from './open.js';
import type { SqlStore } from './types.js';

/** One SQL engine a test suite runs against: open() gives a fresh store with the migrations. */
export interface SqlTestBackend {
  kind: 'pglite' | 'postgres';
  open(): Promise<SqlStore>;
  /** Removes what open() created (the PostgreSQL database; PGlite's dir goes with cleanup()). */
  drop(): Promise<void>;
}

/**
 * For suites that must pass on both stores the IOC supports: embedded PGlite in a temp
 * directory, and a database of their own (`<prefix>_<random>`) on the test run's throwaway
 * PostgreSQL at `postgresUrl`. Call cleanup() in afterAll.
 */
export function sqlTestBackends(
  prefix: string,
  postgresUrl: string,
): { backends: SqlTestBackend[]; cleanup(): void } {
  const silent = createLogger('silent');
  const scratch = mkdtempSync(join(tmpdir(), `ioc-${prefix}-test-`));
  const database = `ioc_${prefix.replaceAll('-', '_')}_${randomBytes(6).toString('hex')}`;
  const openStore = (overrides: { dataDir: string; sql?: { url: string } }) =>
    openSqlStore(loadConfig({ env: {}, cwd: scratch, overrides }), silent);
  const onAdminDatabase = async (sql: string) => {
    const admin = new pg.Client({ connectionString: postgresUrl });
    await admin.connect();
    await admin.query(sql).finally(() => admin.end());
  };
  return {
    backends: [
      {
        kind: 'pglite',
        open: () => openStore({ dataDir: join(scratch, 'pglite') }),
        drop: async () => {},
      },
      {
        kind: 'postgres',
        async open() {
          await onAdminDatabase(`CREATE DATABASE ${database}`);
          const url = new URL(postgresUrl);
          url.pathname = `/${database}`;
          return openStore({ dataDir: join(scratch, 'unused'), sql: { url: url.toString() } });
        },
        drop: () => onAdminDatabase(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`),
      },
    ],
    cleanup: () => rmSync(scratch, { recursive: true, force: true }),
  };
}
