import type { TestProject } from 'vitest/node';
import { startThrowawayPostgres } from './postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the one throwaway PostgreSQL 15 cluster started for this test run. */
    postgresUrl: string;
  }
}

/**
 * Vitest global setup: one throwaway PostgreSQL for the whole run (a few seconds), shared
 * by every suite through `inject('postgresUrl')`; each suite makes its own schema or
 * database inside it when it needs isolation.
 */
export default async function setup({ provide }: TestProject): Promise<() => Promise<void>> {
  const postgres = await startThrowawayPostgres();
  provide('postgresUrl', postgres.url);
  return () => postgres.stop();
}
