import { describe, expect, it } from 'vitest';
import { cpuCrossing, fitLine } from './sfu-fit.js';

describe('cpuCrossing', () => {
  it('interpolates between the two steps that bracket the target', () => {
    const crossing = cpuCrossing(
      [
        { consumers: 0, cpu: 0.05 },
        { consumers: 300, cpu: 0.4 },
        { consumers: 600, cpu: 0.7 },
        { consumers: 900, cpu: 1.0 },
      ],
      0.8,
    );
    expect(crossing?.how).toBe('interpolated');
    expect(crossing?.consumers).toBeCloseTo(700, 6);
  });

  it('extrapolates on the fitted line when the ramp stays below the target', () => {
    const crossing = cpuCrossing(
      [
        { consumers: 0, cpu: 0.1 },
        { consumers: 100, cpu: 0.2 },
        { consumers: 200, cpu: 0.3 },
      ],
      0.8,
    );
    expect(crossing?.how).toBe('extrapolated');
    expect(crossing?.consumers).toBeCloseTo(700, 6);
    expect(crossing?.cpuPer1000).toBeCloseTo(1, 6);
    expect(crossing?.idleCpu).toBeCloseTo(0.1, 6);
  });

  it('says nothing when CPU does not rise with consumers', () => {
    expect(
      cpuCrossing(
        [
          { consumers: 0, cpu: 0.3 },
          { consumers: 100, cpu: 0.2 },
        ],
        0.8,
      ),
    ).toBeUndefined();
    expect(cpuCrossing([{ consumers: 100, cpu: 0.9 }], 0.8)).toBeUndefined();
    expect(
      fitLine([
        { consumers: 5, cpu: 0.1 },
        { consumers: 5, cpu: 0.2 },
      ]),
    ).toBeUndefined();
  });
});
