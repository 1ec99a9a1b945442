// Where a worker's CPU crosses a target as consumers grow: between the two measured steps that
// bracket it, else on a straight line fitted through every step (an extrapolation, said so).

/** One ramp step: consumers on the worker and the worker's CPU in cores (1 = one full core). */
export interface CpuPoint {
  consumers: number;
  cpu: number;
}

export interface Crossing {
  /** Consumers at which the worker's CPU reaches the target. */
  consumers: number;
  /** 'interpolated' between two measured steps, or 'extrapolated' from a fitted line. */
  how: 'interpolated' | 'extrapolated';
  /** CPU per 1,000 consumers (the fitted slope), in cores. */
  cpuPer1000: number;
  /** CPU with no consumer (the fitted intercept), in cores. */
  idleCpu: number;
}

/**
 * Consumers at which `cpu` reaches `target`, from steps in ramp order. Undefined when the
 * line does not rise (fewer than two distinct consumer counts, or a slope of zero or below),
 * since then no crossing can be said.
 */
export function cpuCrossing(points: readonly CpuPoint[], target: number): Crossing | undefined {
  const line = fitLine(points);
  if (!line || !(line.slope > 0)) return undefined;
  const fit = { cpuPer1000: line.slope * 1000, idleCpu: line.intercept };
  const above = points.findIndex((point) => point.cpu >= target);
  if (above > 0) {
    const low = points[above - 1] as CpuPoint;
    const high = points[above] as CpuPoint;
    if (high.cpu > low.cpu) {
      const share = (target - low.cpu) / (high.cpu - low.cpu);
      const consumers = low.consumers + share * (high.consumers - low.consumers);
      return { consumers, how: 'interpolated', ...fit };
    }
  }
  const consumers = Math.max(0, (target - line.intercept) / line.slope);
  return { consumers, how: 'extrapolated', ...fit };
}

/** Least-squares line cpu = intercept + slope × consumers; undefined without two x values. */
export function fitLine(
  points: readonly CpuPoint[],
): { slope: number; intercept: number } | undefined {
  const n = points.length;
  if (n < 2) return undefined;
  const meanX = points.reduce((sum, p) => sum + p.consumers, 0) / n;
  const meanY = points.reduce((sum, p) => sum + p.cpu, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (const p of points) {
    sxx += (p.consumers - meanX) ** 2;
    sxy += (p.consumers - meanX) * (p.cpu - meanY);
  }
  if (sxx === 0) return undefined;
  const slope = sxy / sxx;
  return { slope, intercept: meanY - slope * meanX };
}
