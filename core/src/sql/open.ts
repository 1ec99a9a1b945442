import type { AppConfig } from '../config/index.js';
import { errorMessage, StartupError } from '../errors.js';
import type { Logger } from '../logger.js';
import { displayPath } from './display-path.js';
import { applyMigrations, MIGRATIONS_DIR, readMigrations } from './migrations.js';
import { PgliteStore } from './pglite-store.js';
import { redactDatabaseUrl } from './postgres-errors.js';
import { PostgresStore } from './postgres-store.js';
import type { MigratableStore, SqlStore } from './types.js';

export interface OpenSqlStoreOptions {
  /** Where the `NNNN_description.sql` files are; `core/migrations` by default. */
  migrationsDir?: string;
}

/**
 * Opens the IOC's SQL database and brings its schema up to date: PostgreSQL when
 * `config.sql.url` (DATABASE_URL) is set, else the embedded PGlite under
 * `<config.dataDir>/pglite`. Every failure is a StartupError with one actionable line.
 */
export async function openSqlStore(
  config: AppConfig,
  logger: Logger,
  options: OpenSqlStoreOptions = {},
): Promise<SqlStore> {
  // Bad migration files fail before anything is opened or locked.
  const migrations = readMigrations(options.migrationsDir ?? MIGRATIONS_DIR);
  const url = config.sql.url;
  const where = url ? redactDatabaseUrl(url) : displayPath(`${config.dataDir}/pglite`);
  const store: MigratableStore = url
    ? await PostgresStore.open(url, logger)
    : await PgliteStore.open(config.dataDir);
  try {
    await applyMigrations(store, migrations, logger);
  } catch (err) {
    await store.close().catch(() => {});
    if (err instanceof StartupError) throw err;
    throw new StartupError(
      `cannot bring the database schema of ${where} up to date (${errorMessage(err).split('\n')[0]}); check the database and start again`,
      'SQL_MIGRATION_FAILED',
    );
  }
  logger.info({ kind: store.kind, database: where }, 'SQL store ready');
  return store;
}
