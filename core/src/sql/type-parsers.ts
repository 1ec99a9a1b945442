/**
 * Text-format parsers that make PGlite and node-postgres return the same JS values.
 * Left alone they differ: pg returns int8 as a string and `date`/`timestamp` in the
 * process's local time zone, PGlite returns int8 as a number (or a bigint) and `date` in
 * UTC. Chosen here:
 * - int8 (bigserial ids, count(*)): a number; a value beyond 2^53 fails the query
 *   instead of silently losing digits (cast it to text in SQL if you need one).
 * - date: the 'YYYY-MM-DD' string, a calendar day rather than an instant.
 * - timestamp (without time zone): a Date read as UTC. Prefer timestamptz.
 * - interval: PostgreSQL's text, e.g. '1 day 02:00:00'.
 */
export const TYPE_OIDS = { int8: 20, date: 1082, timestamp: 1114, interval: 1186 } as const;

/** Array type oid → its element type oid, for the types above. */
export const ARRAY_OIDS: Record<number, number> = {
  1016: TYPE_OIDS.int8,
  1182: TYPE_OIDS.date,
  1115: TYPE_OIDS.timestamp,
  1187: TYPE_OIDS.interval,
};

export const TEXT_PARSERS: Record<number, (value: string) => unknown> = {
  [TYPE_OIDS.int8]: parseInt8,
  [TYPE_OIDS.date]: (value) => value,
  [TYPE_OIDS.timestamp]: parseUtcTimestamp,
  [TYPE_OIDS.interval]: (value) => value,
};

function parseInt8(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) {
    throw new RangeError(
      `int8 value ${value} does not fit a JavaScript number; cast it to text in the query`,
    );
  }
  return n;
}

function parseUtcTimestamp(value: string): Date | string {
  const date = new Date(`${value.replace(' ', 'T')}Z`);
  // 'infinity', BC dates: keep PostgreSQL's text rather than an Invalid Date.
  return Number.isNaN(date.getTime()) ? value : date;
}

/** Applies an element parser through nested arrays (NULL stays null). */
export function mapArray(value: unknown, parse: (value: string) => unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => mapArray(item, parse));
  return value === null ? null : parse(value as string);
}
