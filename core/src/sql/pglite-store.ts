import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { PGlite, type Results, type Transaction } from '@electric-sql/pglite';
import { StartupError } from '../errors.js';
import { DataDirLock, type LockOwner } from './data-dir-lock.js';
import { displayPath } from './display-path.js';
import { TEXT_PARSERS } from './type-parsers.js';
import type { MigratableStore, ScriptExecutor, SqlResult } from './types.js';

/**
 * The embedded database: PostgreSQL compiled to WASM, running inside this process on
 * `<dataDir>/pglite`. Only one process may use that directory; `<dataDir>/pglite.lock`
 * holds the pid of the one that does.
 */
export class PgliteStore implements MigratableStore {
  readonly kind = 'pglite';

  private constructor(
    private readonly db: PGlite,
    private readonly lock: DataDirLock,
  ) {}

  /** Opens (creating if missing) the embedded database under `dataDir`. */
  static async open(dataDir: string): Promise<PgliteStore> {
    const dir = join(dataDir, 'pglite');
    const shown = displayPath(dir);
    let result: ReturnType<typeof DataDirLock.acquire>;
    try {
      mkdirSync(dataDir, { recursive: true });
      result = DataDirLock.acquire(join(dataDir, 'pglite.lock'));
    } catch (err) {
      throw new StartupError(
        `cannot use the data directory ${displayPath(dataDir)} (${oneLine(err)}); make it writable or set IOC_DATA_DIR`,
        'SQL_OPEN_FAILED',
      );
    }
    if (!result.acquired) {
      throw new StartupError(
        `the embedded database ${shown} is in use by ${describeOwner(result.owner)} ` +
          '(an `ioc start` is running?); stop it or use its API',
        'SQL_DATA_DIR_IN_USE',
      );
    }
    try {
      mkdirSync(dir, { recursive: true });
      const db = await PGlite.create({ dataDir: dir, parsers: TEXT_PARSERS });
      // Same session time zone as the PostgreSQL store: results never depend on the host.
      await db.query("SET TIME ZONE 'UTC'");
      return new PgliteStore(db, result.lock);
    } catch (err) {
      result.lock.release();
      throw new StartupError(
        `cannot open the embedded database ${shown} (${oneLine(err)}); ` +
          'check the directory is writable, or restore it from a backup',
        'SQL_OPEN_FAILED',
      );
    }
  }

  async query<R = Record<string, unknown>>(text: string, params?: unknown[]) {
    return toResult<R>(await this.db.query<R>(text, params));
  }

  transaction<T>(fn: (tx: ScriptExecutor) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => fn(wrapTransaction(tx)));
  }

  async ping(): Promise<void> {
    await this.db.query('SELECT 1');
  }

  async close(): Promise<void> {
    try {
      if (!this.db.closed) await this.db.close();
    } finally {
      this.lock.release();
    }
  }
}

function wrapTransaction(tx: Transaction): ScriptExecutor {
  return {
    query: async <R>(text: string, params?: unknown[]) =>
      toResult<R>(await tx.query<R>(text, params)),
    exec: async (script: string) => {
      await tx.exec(script);
    },
  };
}

function toResult<R>(result: Results<R>): SqlResult<R> {
  // PGlite reports DML counts in affectedRows; pg's rowCount covers both cases.
  const rowCount =
    result.rows.length > 0 ? result.rows.length : (result.affectedRows ?? result.rows.length);
  return { rows: result.rows, rowCount };
}

function describeOwner(owner: LockOwner): string {
  if (owner.hostname !== hostname()) return `process ${owner.pid} on ${owner.hostname}`;
  if (owner.pid === process.pid) return `this process (${owner.pid})`;
  return `process ${owner.pid}`;
}

function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}
