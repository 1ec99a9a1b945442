import { ApiError } from '@ioc/core';
import type { AccessScope } from './access-scope.js';

/** Rows a scanned list may read before it asks the caller to narrow the query. */
export const MAX_SCANNED_ROWS = 50_000;
const PAGE = 1000;

interface Page<T> {
  items: T[];
  total: number;
}

/**
 * A page of a store's list as the caller's scope allows it. Pushed into the store's own
 * unit/sector filter when the scope is one unit and one sector; otherwise the store is read
 * page by page and filtered here (a caller with several rooms). Every returned row is checked
 * again either way, so a store that ignored a filter cannot leak.
 */
export async function scopedList<Q extends { unit?: string; sector?: string }, T>(options: {
  scope: AccessScope;
  query: Q;
  limit: number;
  offset: number;
  read: (query: Q, limit: number, offset: number) => Promise<Page<T>>;
  allows: (row: T) => boolean;
}): Promise<Page<T>> {
  const { scope, query, limit, offset, read, allows } = options;
  const narrowed = scope.narrow(query);
  if ('empty' in narrowed) return { items: [], total: 0 };
  if ('query' in narrowed) {
    const page = await read(narrowed.query, limit, offset);
    const items = page.items.filter(allows);
    return { items, total: items.length === page.items.length ? page.total : items.length };
  }
  const matches: T[] = [];
  for (let at = 0; ; at += PAGE) {
    if (at >= MAX_SCANNED_ROWS) {
      throw new ApiError(
        400,
        'QUERY_TOO_BROAD',
        `your rooms cover several scopes and this query reads more than ${MAX_SCANNED_ROWS} rows; narrow it (unit, sector, state, time)`,
      );
    }
    const page = await read(query, PAGE, at);
    for (const row of page.items) if (allows(row)) matches.push(row);
    if (page.items.length < PAGE) break;
  }
  return { items: matches.slice(offset, offset + limit), total: matches.length };
}
