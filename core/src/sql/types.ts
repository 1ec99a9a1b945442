/** The outcome of one statement: the rows it returned and how many rows it touched. */
export interface SqlResult<R> {
  rows: R[];
  /** Rows returned (SELECT, RETURNING) or changed (INSERT/UPDATE/DELETE); 0 for DDL. */
  rowCount: number;
}

/** Runs one statement; `$1, $2...` placeholders take `params`. */
export interface SqlExecutor {
  query<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<SqlResult<R>>;
}

/**
 * The IOC's SQL database: PGlite embedded in the process, or a PostgreSQL server. Both
 * speak the same PostgreSQL dialect and return values of the same JS types (see
 * `type-parsers.ts`). Errors from the database keep their SQLSTATE in `code`.
 */
export interface SqlStore extends SqlExecutor {
  readonly kind: 'pglite' | 'postgres';
  /**
   * Runs `fn` in a transaction: committed when it resolves, rolled back when it throws.
   * Use `tx` inside; the embedded store runs one thing at a time, so a `store.query`
   * awaited inside `fn` would wait for the transaction forever.
   */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Resolves when the database answers; rejects with the driver's error otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** A transaction that can also run a multi-statement script (migrations). */
export interface ScriptExecutor extends SqlExecutor {
  exec(script: string): Promise<void>;
}

/** What the migration runner needs from a store; both implementations provide it. */
export interface MigratableStore extends SqlStore {
  transaction<T>(fn: (tx: ScriptExecutor) => Promise<T>): Promise<T>;
}
