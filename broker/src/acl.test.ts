import { describe, expect, it } from 'vitest';
import { checkPublish, checkSubscribe } from './acl.js';
import type { MqttIdentity } from './identity.js';

const device: MqttIdentity = { kind: 'device', deviceId: 'wl-01' };
const service: MqttIdentity = { kind: 'service', name: 'svc:ingest' };

describe('device ACL', () => {
  it.each(['ioc/v1/devices/wl-01/telemetry', 'ioc/v1/devices/wl-01/status'])(
    'lets a device publish to its own %s',
    (topic) => expect(checkPublish(device, topic)).toEqual({ allowed: true }),
  );

  it.each([
    'ioc/v1/devices/wl-01/commands',
    'ioc/v1/devices/wl-01/errors',
    'ioc/v1/devices/wl-02/telemetry',
    'ioc/v1/devices/wl-01/telemetry/extra',
    'ioc/v1/devices/wl-01',
    'other/topic',
    '$SYS/broker/x',
  ])('refuses a device publishing to %s, saying where it may publish', (topic) => {
    const decision = checkPublish(device, topic);
    expect(decision.allowed).toBe(false);
    if (!decision.allowed)
      expect(decision.reason).toMatch(/reserved|ioc\/v1\/devices\/wl-01\/telemetry/);
  });

  it.each(['ioc/v1/devices/wl-01/commands', 'ioc/v1/devices/wl-01/errors'])(
    'lets a device subscribe to its own %s',
    (filter) => expect(checkSubscribe(device, filter)).toEqual({ allowed: true }),
  );

  it.each([
    ['ioc/v1/devices/wl-02/commands', /may subscribe only to ioc\/v1\/devices\/wl-01\/commands/],
    ['ioc/v1/devices/wl-01/telemetry', /may subscribe only/],
    ['ioc/v1/devices/wl-01/+', /no wildcards/],
    ['ioc/v1/devices/+/commands', /no wildcards/],
    ['#', /no wildcards/],
    ['$SYS/#', /reserved/],
  ])('refuses a device subscribing to %s', (filter, reason) => {
    const decision = checkSubscribe(device, filter);
    expect(decision).toEqual({ allowed: false, reason: expect.stringMatching(reason) });
  });
});

describe('service ACL', () => {
  it.each(['ioc/v1/devices/wl-01/commands', 'ioc/v1/devices/wl-01/errors', 'ioc/v1/anything/else'])(
    'lets a service publish to %s',
    (topic) => {
      expect(checkPublish(service, topic)).toEqual({ allowed: true });
    },
  );

  it.each(['ioc/v1/#', 'ioc/v1/devices/+/telemetry', 'ioc/v1/devices/wl-01/status'])(
    'lets a service subscribe to %s',
    (filter) => expect(checkSubscribe(service, filter)).toEqual({ allowed: true }),
  );

  it.each(['#', '+/v1/devices', 'ioc/v2/x', 'ioc/v1', '$SYS/#', '$SYS/ioc/discarded'])(
    'refuses a service outside ioc/v1/: %s',
    (filter) => {
      expect(checkSubscribe(service, filter).allowed).toBe(false);
      expect(checkPublish(service, filter.replace(/[#+]/g, 'x')).allowed).toBe(false);
    },
  );
});
