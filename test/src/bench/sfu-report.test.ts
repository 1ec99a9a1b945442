import { describe, expect, it } from 'vitest';
import { SFU_DEFAULTS } from './sfu-options.js';
import { type RampStep, type RampWindow, sfuResults } from './sfu-report.js';

/** A window of a worker that costs 1 core per 1,000 consumers and delivers `share`. */
function window(consumers: number, share: number): RampWindow {
  const perConsumerPps = 60;
  return {
    edgeCpu: 0.02 + (consumers * share) / 1000,
    ingressCpu: 0.02,
    benchCpu: 0.1,
    sendersCpu: 0.04,
    receivedPps: 12 * perConsumerPps,
    deliveredPps: consumers * perConsumerPps * share,
    deliveredShare: consumers === 0 ? 1 : share,
    servedConsumers: consumers * share,
    worstEndpointShare: share,
    sinkDrops: 0,
    edgeSocketDrops: 0,
    ingressSocketDrops: 0,
    edgeWaitShare: 0.1,
  };
}

function step(endpoints: number, share = 1): RampStep {
  const consumers = endpoints * 12;
  return { endpoints, consumers, windows: [1, 2, 3].map(() => window(consumers, share)) };
}

const run = {
  options: { ...SFU_DEFAULTS, rounds: 3 },
  stop: 'saturated' as const,
  saturatedBelow: 0.9,
  perEndpoint: 12,
  senders: 6,
  sourceNote: 'test senders',
  rampSeconds: 60,
  edgeWorker: 1,
  ingressWorker: 0,
};

describe('sfuResults', () => {
  it('fits consumers at the target CPU only through the steps where the worker kept up', () => {
    // Past 40 endpoints the worker falls behind and would drag the line down if used.
    const steps = [step(0), step(20), step(40), step(60, 0.4), step(80, 0.3)];
    const [consumers, forwarded] = sfuResults({ ...run, steps });
    expect(consumers?.subject.value).toBe(780); // (0.8 - 0.02) cores / 1 core per 1,000
    expect(consumers?.subject.label).toBe('one worker, extrapolated');
    expect(consumers?.baseline?.value).toBe(500);
    expect(consumers?.ratio).toBe(1.56);
    // The forwarding figure is the largest step that kept up, not the collapsed last one.
    expect(forwarded?.subject.value).toBe(480 * 60);
    expect(forwarded?.ratio).toBe(1);
    expect(forwarded?.notes.join(' ')).toContain('At the last step (80 endpoints');
  });

  it('interpolates when a kept-up step passes the target', () => {
    const steps = [step(0), step(40), step(70)];
    const [consumers] = sfuResults({ ...run, stop: 'target', steps });
    expect(consumers?.subject.label).toBe('one worker, interpolated');
    expect(consumers?.subject.value).toBe(780);
  });

  it('reports no ratio when no two steps kept up', () => {
    const steps = [step(0), step(20, 0.5), step(40, 0.4)];
    const [consumers, forwarded] = sfuResults({ ...run, steps });
    expect(consumers?.ratio).toBeNull();
    expect(consumers?.subject.label).toBe('one worker, not measurable');
    expect(forwarded?.ratio).toBe(0.4);
  });
});
