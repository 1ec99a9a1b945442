// Time windows of the history chart and the aggregation step the server is asked for: about
// 60-400 points whatever the window, so a year costs no more to draw than an hour.

export const RANGES = ['1h', '6h', '24h', '7d', '30d', '90d', '1y'] as const;
export type RangeId = (typeof RANGES)[number];

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export const RANGE_MS: Record<RangeId, number> = {
  '1h': HOUR,
  '6h': 6 * HOUR,
  '24h': DAY,
  '7d': 7 * DAY,
  '30d': 30 * DAY,
  '90d': 90 * DAY,
  '1y': 365 * DAY,
};

/** The narrowest and widest windows a zoom may reach. */
export const MIN_SPAN_MS = HOUR;
export const MAX_SPAN_MS = RANGE_MS['1y'];

/** Steps the server accepts (`^[1-9][0-9]*(s|m|h|d)$`), finest first. */
const STEPS: ReadonlyArray<[string, number]> = [
  ['1m', 60_000],
  ['5m', 5 * 60_000],
  ['15m', 15 * 60_000],
  ['1h', HOUR],
  ['3h', 3 * HOUR],
  ['6h', 6 * HOUR],
  ['1d', DAY],
];
const MAX_POINTS = 400;

/** The finest step that keeps the window under MAX_POINTS buckets. */
export function everyFor(spanMs: number): string {
  for (const [every, ms] of STEPS) if (spanMs / ms <= MAX_POINTS) return every;
  return '1d';
}

export interface TimeWindow {
  from: Date;
  to: Date;
}

/** The window clamped to [MIN_SPAN_MS, MAX_SPAN_MS], kept around its middle, never past now. */
export function clampWindow(fromMs: number, toMs: number, now = Date.now()): TimeWindow {
  const span = Math.min(MAX_SPAN_MS, Math.max(MIN_SPAN_MS, toMs - fromMs));
  const to = Math.min(now, (fromMs + toMs) / 2 + span / 2);
  return { from: new Date(to - span), to: new Date(to) };
}

/** Half or double the window around its middle (keyboard zoom). */
export function zoomed(window: TimeWindow, factor: number, now = Date.now()): TimeWindow {
  const from = window.from.getTime();
  const to = window.to.getTime();
  const middle = (from + to) / 2;
  const half = ((to - from) * factor) / 2;
  return clampWindow(middle - half, middle + half, now);
}
