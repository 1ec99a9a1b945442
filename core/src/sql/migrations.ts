import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StartupError } from '../errors.js';
import type { Logger } from '../logger.js';
import { displayPath } from './display-path.js';
import type { MigratableStore, ScriptExecutor } from './types.js';

/** `core/migrations`, found from this file in `core/src/sql` (sources) and `core/dist/sql` (built). */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

/** One versioned schema change: `core/migrations/NNNN_description.sql`. */
export interface Migration {
  version: number;
  /** The file name, e.g. `0001_accounts.sql`. */
  name: string;
  path: string;
  sql: string;
  /** sha256 of the file (line endings normalised, so a CRLF checkout is the same file). */
  checksum: string;
}

const FILE_NAME = /^(\d{4})_[a-z0-9][a-z0-9_-]*\.sql$/;

/**
 * An advisory-lock key of our own choosing that means "IOC schema migrations"; whoever
 * holds it may read and change `schema_migrations`. Concurrent starts against one server
 * queue on it instead of applying a migration twice.
 */
const MIGRATION_LOCK_KEY = 7_242_001_001;

const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS schema_migrations (
  version integer PRIMARY KEY,
  name text NOT NULL,
  checksum text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

/** Reads and checks the migration files of `dir`, in version order. */
export function readMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => name.endsWith('.sql'));
  } catch (err) {
    throw new StartupError(
      `cannot read the SQL migrations in ${displayPath(dir)} (${(err as Error).message}); reinstall the IOC`,
      'SQL_MIGRATIONS_MISSING',
    );
  }
  const byVersion = new Map<number, Migration>();
  for (const name of names) {
    const match = FILE_NAME.exec(name);
    if (!match) {
      throw new StartupError(
        `SQL migration ${displayPath(join(dir, name))} is misnamed; name it NNNN_description.sql (4 digits, lower-case)`,
        'SQL_MIGRATION_MISNAMED',
      );
    }
    const version = Number(match[1]);
    const other = byVersion.get(version);
    if (other) {
      throw new StartupError(
        `SQL migrations ${other.name} and ${name} in ${displayPath(dir)} share version ${match[1]}; renumber one`,
        'SQL_MIGRATION_MISNAMED',
      );
    }
    const path = join(dir, name);
    const sql = readFileSync(path, 'utf8').replaceAll('\r\n', '\n');
    const checksum = createHash('sha256').update(sql).digest('hex');
    byVersion.set(version, { version, name, path, sql, checksum });
  }
  return [...byVersion.values()].sort((a, b) => a.version - b.version);
}

interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
}

/**
 * Brings the schema up to date: each pending migration runs in its own transaction that
 * also records it in `schema_migrations`, under an advisory lock. Returns the migrations
 * applied now. Refuses (StartupError) an applied file that has changed, a database that
 * has migrations this code lacks, and a new file numbered below one already applied.
 */
export async function applyMigrations(
  store: MigratableStore,
  migrations: Migration[],
  logger: Logger,
): Promise<Migration[]> {
  const appliedNow: Migration[] = [];
  for (;;) {
    const started = performance.now();
    const migration = await store.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      await tx.exec(CREATE_MIGRATIONS_TABLE);
      const applied = await tx.query<AppliedRow>(
        'SELECT version, name, checksum FROM schema_migrations ORDER BY version',
      );
      const next = nextPending(migrations, applied.rows);
      if (next) await applyOne(tx, next);
      return next;
    });
    if (!migration) break;
    logger.info(
      { migration: migration.name, ms: Math.round(performance.now() - started) },
      'applied SQL migration',
    );
    appliedNow.push(migration);
  }
  return appliedNow;
}

function nextPending(migrations: Migration[], applied: AppliedRow[]): Migration | undefined {
  const files = new Map(migrations.map((m) => [m.version, m]));
  for (const row of applied) {
    const file = files.get(row.version);
    if (!file) {
      throw new StartupError(
        `the database has migration ${row.name} applied, which this IOC does not have (the database is newer); run the matching IOC version or restore a matching backup`,
        'SQL_SCHEMA_NEWER',
      );
    }
    if (file.checksum !== row.checksum) {
      throw new StartupError(
        `SQL migration ${displayPath(file.path)} was changed after it was applied to this database; restore the original file and put the change in a new migration`,
        'SQL_MIGRATION_CHANGED',
      );
    }
  }
  const done = new Set(applied.map((row) => row.version));
  const next = migrations.find((m) => !done.has(m.version));
  const newest = applied.at(-1);
  if (next && newest && next.version < newest.version) {
    throw new StartupError(
      `SQL migration ${displayPath(next.path)} is numbered below ${newest.name}, which is already applied; renumber it above ${String(newest.version).padStart(4, '0')}`,
      'SQL_MIGRATION_OUT_OF_ORDER',
    );
  }
  return next;
}

async function applyOne(tx: ScriptExecutor, migration: Migration): Promise<void> {
  try {
    await tx.exec(migration.sql);
  } catch (err) {
    const e = err as { message?: string; code?: string; position?: string | number };
    const line = lineAt(migration.sql, Number(e.position));
    throw new StartupError(
      `SQL migration ${displayPath(migration.path)} failed${line ? ` at line ${line}` : ''}: ${(e.message ?? String(err)).split('\n')[0]}${e.code ? ` (${e.code})` : ''}; fix the file and start again (nothing of it was applied)`,
      'SQL_MIGRATION_FAILED',
    );
  }
  await tx.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
    migration.version,
    migration.name,
    migration.checksum,
  ]);
}

/** The 1-based line of a 1-based character position, as PostgreSQL reports errors. */
function lineAt(sql: string, position: number): number | undefined {
  if (!Number.isInteger(position) || position < 1) return undefined;
  return sql.slice(0, position - 1).split('\n').length;
}
