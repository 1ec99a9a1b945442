import type { ConferenceLinkQuality } from '@ioc/core';

/**
 * Thresholds of the wall's link quality. Good: under 2 % loss and under 150 ms RTT (video
 * is clean and talk is natural). Fair: under 8 % loss and under 400 ms (FEC/NACK still hide
 * most of the loss; talk overlaps). Poor: anything worse. An unmeasured RTT counts as good.
 */
export const LINK_QUALITY_THRESHOLDS = {
  good: { maxLoss: 0.02, maxRttMs: 150 },
  fair: { maxLoss: 0.08, maxRttMs: 400 },
} as const;

export function linkQuality(packetLoss: number, rttMs: number | null): ConferenceLinkQuality {
  const rtt = rttMs ?? 0;
  const { good, fair } = LINK_QUALITY_THRESHOLDS;
  if (packetLoss < good.maxLoss && rtt < good.maxRttMs) return 'good';
  if (packetLoss < fair.maxLoss && rtt < fair.maxRttMs) return 'fair';
  return 'poor';
}
