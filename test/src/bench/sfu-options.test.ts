import { describe, expect, it } from 'vitest';
import { SFU_DEFAULTS, sfuOptionsFromEnv } from './sfu-options.js';

describe('sfuOptionsFromEnv', () => {
  it('keeps the defaults when no variable is set', () => {
    expect(sfuOptionsFromEnv({})).toEqual(SFU_DEFAULTS);
  });

  it('applies the variables that are set', () => {
    const options = sfuOptionsFromEnv({
      BENCH_SFU_MAX_ENDPOINTS: '60',
      BENCH_SFU_STEP: '10',
      BENCH_SFU_TARGET_CPU: '0.5',
      BENCH_SFU_SRTP: '0',
      BENCH_SFU_SOURCE: 'node',
    });
    expect(options).toMatchObject({
      maxEndpoints: 60,
      stepEndpoints: 10,
      targetCpu: 0.5,
      srtp: false,
      source: 'node',
      speakers: SFU_DEFAULTS.speakers,
    });
  });

  it('rejects values out of range or not numbers, naming the variable', () => {
    expect(() => sfuOptionsFromEnv({ BENCH_SFU_STEP: '0' })).toThrow(
      'BENCH_SFU_STEP must be a whole number from 1 to 5000, got "0"',
    );
    expect(() => sfuOptionsFromEnv({ BENCH_SFU_MAX_ENDPOINTS: '2.5' })).toThrow(
      /BENCH_SFU_MAX_ENDPOINTS must be a whole number/,
    );
    expect(() => sfuOptionsFromEnv({ BENCH_SFU_TARGET_CPU: 'most' })).toThrow(
      /BENCH_SFU_TARGET_CPU must be a number from 0.05 to 1/,
    );
    expect(() => sfuOptionsFromEnv({ BENCH_SFU_WORKERS: '3' })).toThrow(/BENCH_SFU_WORKERS/);
    expect(() => sfuOptionsFromEnv({ BENCH_SFU_SRTP: 'yes' })).toThrow(
      'BENCH_SFU_SRTP must be 1 (encrypt, the default) or 0, got "yes"',
    );
    expect(() => sfuOptionsFromEnv({ BENCH_SFU_SOURCE: 'gstreamer' })).toThrow(
      'BENCH_SFU_SOURCE must be auto, ffmpeg or node, got "gstreamer"',
    );
  });
});
