import { describe, expect, it } from 'vitest';
import { allDevicesTopic, deviceTopic, parseDeviceTopic } from './topics.js';

describe('device topics', () => {
  it('builds and parses the topic of each channel', () => {
    for (const channel of ['telemetry', 'status', 'commands', 'errors'] as const) {
      const topic = deviceTopic('wl-hai-chau-01', channel);
      expect(topic).toBe(`ioc/v1/devices/wl-hai-chau-01/${channel}`);
      expect(parseDeviceTopic(topic)).toEqual({ deviceId: 'wl-hai-chau-01', channel });
    }
  });

  it('refuses ids that would escape the device namespace', () => {
    for (const id of ['', 'a/b', '+', '#', 'x'.repeat(65), 'trạm-1']) {
      expect(() => deviceTopic(id, 'telemetry')).toThrow(/invalid device id/);
    }
  });

  it('ignores topics outside the contract', () => {
    expect(parseDeviceTopic('ioc/v1/devices/a/unknown')).toBeUndefined();
    expect(parseDeviceTopic('ioc/v1/devices/a/telemetry/extra')).toBeUndefined();
    expect(parseDeviceTopic('other/v1/devices/a/telemetry')).toBeUndefined();
    expect(parseDeviceTopic('ioc/v1/devices/+/telemetry')).toBeUndefined();
  });

  it('builds the wildcard filter for a channel of all devices', () => {
    expect(allDevicesTopic('status')).toBe('ioc/v1/devices/+/status');
  });
});
