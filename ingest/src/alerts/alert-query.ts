import { type AdminUnitTree, type AlertSeverity, type AlertState, ApiError } from '@ioc/core';
import { isSector, SECTOR_IDS } from '@ioc/devices';

/** What to list; every criterion narrows the result. */
export interface AlertFilter {
  /** Any of these states (default: all). */
  states?: AlertState[];
  /** Any of these severities (default: all). */
  severities?: AlertSeverity[];
  sector?: string;
  /** An admin unit code: alerts in that unit or any unit below it. */
  unit?: string;
  /** Raised at or after. */
  from?: Date;
  /** Raised before. */
  to?: Date;
  /** Open at that instant (raised by then, not yet ended): the wall as it was at a time. */
  openAt?: Date;
  /** The children of this storm; `null`: only alerts that are not in a storm. */
  parentId?: string | null;
  ruleId?: string;
  deviceId?: string;
  /** Page size, 1-1000; default 100. */
  limit?: number;
  offset?: number;
}

export interface AlertQuery {
  where: string;
  params: unknown[];
  limit: number;
  offset: number;
}

export const MAX_PAGE = 1000;

/** Builds the WHERE clause of a list; bad criteria are 400s saying what to use instead. */
export function buildAlertQuery(filter: AlertFilter, units: AdminUnitTree): AlertQuery {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: (placeholder: string) => string, value: unknown) => {
    params.push(value);
    where.push(sql(`$${params.length}`));
  };
  if (filter.states?.length) add((p) => `state = ANY(${p}::text[])`, filter.states);
  if (filter.severities?.length) add((p) => `severity = ANY(${p}::text[])`, filter.severities);
  if (filter.sector !== undefined) {
    if (!isSector(filter.sector)) {
      throw new ApiError(
        400,
        'UNKNOWN_SECTOR',
        `sector "${filter.sector}" is unknown; use one of ${SECTOR_IDS.join(', ')}`,
      );
    }
    add((p) => `sector = ${p}`, filter.sector);
  }
  if (filter.unit !== undefined) {
    if (!units.has(filter.unit)) {
      throw new ApiError(
        400,
        'UNKNOWN_UNIT',
        `unit "${filter.unit}" is not an administrative unit of dataset ${units.dataset.id}`,
      );
    }
    const codes = [filter.unit, ...units.descendants(filter.unit).map((u) => u.code)];
    add((p) => `unit_code = ANY(${p}::text[])`, codes);
  }
  if (filter.from) add((p) => `raised_at >= ${p}`, checkDate(filter.from, 'from'));
  if (filter.to) add((p) => `raised_at < ${p}`, checkDate(filter.to, 'to'));
  if (filter.from && filter.to && filter.from > filter.to) {
    throw new ApiError(400, 'INVALID_TIME_RANGE', '"from" must not be later than "to"');
  }
  if (filter.openAt) {
    add(
      (p) => `raised_at <= ${p} AND (ended_at IS NULL OR ended_at > ${p})`,
      checkDate(filter.openAt, 'openAt'),
    );
  }
  if (filter.parentId === null) where.push('parent_id IS NULL');
  else if (filter.parentId !== undefined) {
    add((p) => `parent_id = ${p}`, alertIdNumber(filter.parentId) ?? -1);
  }
  if (filter.ruleId !== undefined) add((p) => `rule_id = ${p}`, filter.ruleId);
  if (filter.deviceId !== undefined) add((p) => `device_id = ${p}`, filter.deviceId);

  const limit = filter.limit ?? 100;
  const offset = filter.offset ?? 0;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
    throw new ApiError(400, 'INVALID_PAGE', `limit must be an integer from 1 to ${MAX_PAGE}`);
  }
  if (!Number.isInteger(offset) || offset < 0) {
    throw new ApiError(400, 'INVALID_PAGE', 'offset must be an integer of at least 0');
  }
  return { where: where.length ? `WHERE ${where.join(' AND ')}` : '', params, limit, offset };
}

/** An alert id as the database holds it, or undefined for text that cannot be one. */
export function alertIdNumber(id: string): number | undefined {
  return /^[1-9][0-9]{0,14}$/.test(id) ? Number(id) : undefined;
}

function checkDate(date: Date, name: string): Date {
  if (Number.isNaN(date.getTime())) {
    throw new ApiError(400, 'INVALID_TIME_RANGE', `"${name}" is not a valid time`);
  }
  return date;
}
