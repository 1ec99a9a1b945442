// The arithmetic of a roll-up, shared by reads (kpi-reader.ts) and the ratios derived after a
// submission (ratio-derivation.ts), so both give the same figure for the same rows.
import type { RatioKpiDefinition, StoredKpiDefinition } from './definition.js';
import type { KpiAggregateRow } from './kpi-aggregate.js';

/** A rolled-up figure; a ratio also gives what it divided (null value: nothing to divide). */
export interface KpiFigure {
  value: number | null;
  numerator?: number;
  denominator?: number;
}

/**
 * A stored KPI from its aggregate rows: over time by `time` (for `last`, the newest day's
 * rows), then over units by `rollup` (sum, or the mean of every point/series counted).
 */
export function storedValue(
  definition: StoredKpiDefinition,
  rows: readonly KpiAggregateRow[],
): number | undefined {
  let own = rows.filter((r) => r.kpi === definition.code);
  if (own.length === 0) return undefined;
  if (definition.time === 'last') {
    const newest = Math.max(...own.map((r) => r.time ?? 0));
    own = own.filter((r) => (r.time ?? 0) === newest);
  }
  const sum = own.reduce((total, r) => total + r.sum, 0);
  const count = own.reduce((total, r) => total + r.count, 0);
  return definition.rollup === 'sum' ? sum : sum / count;
}

/**
 * A ratio KPI from the rows of its parts: the rolled-up numerator over the rolled-up
 * denominator, never a mean of ratios. Undefined when none of its parts has a row.
 */
export function ratioFigure(
  ratio: RatioKpiDefinition,
  rows: readonly KpiAggregateRow[],
  definitionOf: (code: string) => StoredKpiDefinition,
): KpiFigure | undefined {
  let seen = false;
  const total = (codes: readonly string[]) =>
    codes.reduce((sum, code) => {
      const value = storedValue(definitionOf(code), rows);
      if (value === undefined) return sum;
      seen = true;
      return sum + value;
    }, 0);
  const numerator = total(ratio.numerator);
  const denominator = total(ratio.denominator);
  if (!seen) return undefined;
  return {
    value: denominator > 0 ? (numerator / denominator) * ratio.scale : null,
    numerator,
    denominator,
  };
}
