import type { AlertSeverity } from '@ioc/core';
import { STORM_SOURCE_PREFIX } from './alert-row.js';
import type { AlertClear, AlertRaise } from './alert-sink.js';

export const SEVERITIES: readonly AlertSeverity[] = [
  'critical',
  'major',
  'minor',
  'warning',
  'info',
];

/** A raise or clear the rule engine got wrong: a programming error, not an operator's. */
export class AlertInputError extends Error {
  override readonly name = 'AlertInputError';
}

/** Checks a raise from the rule engine and normalises its text to NFC. */
export function checkRaise(raise: AlertRaise): AlertRaise {
  checkKey(raise);
  if (!SEVERITIES.includes(raise.severity)) {
    throw new AlertInputError(
      `alert severity "${raise.severity}" is unknown; use one of ${SEVERITIES.join(', ')}`,
    );
  }
  const vi = raise.message?.vi?.normalize('NFC').trim();
  const en = raise.message?.en?.normalize('NFC').trim();
  if (!vi || !en) {
    throw new AlertInputError(`alert of rule "${raise.ruleId}" has no message in vi and en`);
  }
  const value = raise.value;
  if (value !== null && typeof value !== 'boolean' && !Number.isFinite(value)) {
    throw new AlertInputError(`alert value must be a finite number, a boolean or null`);
  }
  return { ...raise, message: { vi, en } };
}

export function checkClear(clear: AlertClear): AlertClear {
  checkKey(clear);
  return clear;
}

function checkKey(input: { ruleId: string; source: string; at: Date }): void {
  if (typeof input.ruleId !== 'string' || input.ruleId.length === 0) {
    throw new AlertInputError('alert ruleId must be a non-empty string');
  }
  if (typeof input.source !== 'string' || input.source.length === 0) {
    throw new AlertInputError(`alert source of rule "${input.ruleId}" must be a non-empty string`);
  }
  if (input.source.startsWith(STORM_SOURCE_PREFIX)) {
    throw new AlertInputError(
      `alert source "${input.source}" is reserved for storm grouping ("${STORM_SOURCE_PREFIX}" prefix)`,
    );
  }
  if (!(input.at instanceof Date) || Number.isNaN(input.at.getTime())) {
    throw new AlertInputError(`alert time of rule "${input.ruleId}" is not a valid Date`);
  }
}
