import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, StartupError } from '@ioc/core';
import { afterAll, describe, expect, it } from 'vitest';

// The alerts block of the configuration (core/src/config): defaults, environment, refusals.
const cwd = mkdtempSync(join(tmpdir(), 'ioc-alert-config-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

describe('alerts configuration', () => {
  it('defaults to critical 5, major 15, minor 60, warning 240 minutes, info never; storms of 10 in 5 min', () => {
    expect(loadConfig({ env: {}, cwd }).alerts).toEqual({
      escalationMinutes: { critical: 5, major: 15, minor: 60, warning: 240, info: 0 },
      escalationMaxLevel: 3,
      storm: { threshold: 10, windowSeconds: 300 },
    });
  });

  it('reads every key from the environment', () => {
    const config = loadConfig({
      cwd,
      env: {
        IOC_ALERTS_ESCALATION_CRITICAL: '2',
        IOC_ALERTS_ESCALATION_MAJOR: '7.5',
        IOC_ALERTS_ESCALATION_MINOR: '30',
        IOC_ALERTS_ESCALATION_WARNING: '0',
        IOC_ALERTS_ESCALATION_INFO: '1440',
        IOC_ALERTS_ESCALATION_MAX_LEVEL: '5',
        IOC_ALERTS_STORM_THRESHOLD: '0',
        IOC_ALERTS_STORM_WINDOW: '60',
      },
    });
    expect(config.alerts).toEqual({
      escalationMinutes: { critical: 2, major: 7.5, minor: 30, warning: 0, info: 1440 },
      escalationMaxLevel: 5,
      storm: { threshold: 0, windowSeconds: 60 },
    });
  });

  it('refuses a negative time or a zero window, naming the key and the variable', () => {
    const load = (env: Record<string, string>) => () => loadConfig({ cwd, env });
    expect(load({ IOC_ALERTS_ESCALATION_CRITICAL: '-1' })).toThrow(StartupError);
    expect(load({ IOC_ALERTS_ESCALATION_CRITICAL: '-1' })).toThrow(
      /alerts\.escalationMinutes\.critical = -1 \(from environment variable IOC_ALERTS_ESCALATION_CRITICAL\)/,
    );
    expect(load({ IOC_ALERTS_STORM_WINDOW: '0' })).toThrow(/alerts\.storm\.windowSeconds/);
    expect(load({ IOC_ALERTS_STORM_THRESHOLD: 'many' })).toThrow(/alerts\.storm\.threshold/);
  });
});
