// The IOC's SQL database: embedded PGlite or PostgreSQL, same dialect, same migrations.
export { MIGRATIONS_DIR, type Migration, readMigrations } from './migrations.js';
export { type OpenSqlStoreOptions, openSqlStore } from './open.js';
export { redactDatabaseUrl } from './postgres-errors.js';
export { type SqlTestBackend, sqlTestBackends } from './test-backends.js';
export type { SqlExecutor, SqlResult, SqlStore } from './types.js';
