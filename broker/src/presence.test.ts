import { once } from 'node:events';
import type { LiveEvents } from '@ioc/core';
import { afterEach, describe, expect, it } from 'vitest';
import {
  connectDevice,
  type Harness,
  type HarnessOptions,
  metricValue,
  presenceEvent,
  startHarness,
} from './test-harness.js';

type PresenceEvent = LiveEvents['device.presence'];

const TELEMETRY = (id: string) => `ioc/v1/devices/${id}/telemetry`;
const INTERVAL_MS = 100;
const MISSED = 3;
const SWEEP_MS = 20;
/** What `missed-reports` waits for. */
const SILENCE_MS = MISSED * INTERVAL_MS;

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

/**
 * A real broker whose telemetry goes through a sink that tells presence, as ingest does in
 * `ioc start`; reports are watched with a short interval. `intervals` overrides the
 * expected interval per device (undefined: not in the registry).
 */
async function start(
  intervals: Record<string, number | undefined> = {},
  options: HarnessOptions & { intervalMs?: number } = {},
): Promise<Harness & { asked: string[] }> {
  const asked: string[] = [];
  const h = await startHarness({
    devices: { 'wl-01': 'secret-wl-01', 'wl-02': 'secret-wl-02' },
    telemetrySink: async (deviceId, _payload, receivedAt) => {
      h.presence.reported(deviceId, receivedAt);
    },
    ...options,
  });
  h.presence.watchReports({
    missedReports: MISSED,
    sweepMs: SWEEP_MS,
    expectedIntervalMs: (deviceId) => {
      asked.push(deviceId);
      return deviceId in intervals ? intervals[deviceId] : (options.intervalMs ?? INTERVAL_MS);
    },
  });
  harness = h;
  return Object.assign(h, { asked });
}

function eventsOf(h: Harness, deviceId: string): Array<Pick<PresenceEvent, 'state' | 'reason'>> {
  return h.presenceEvents
    .filter((e) => e.deviceId === deviceId)
    .map(({ state, reason }) => ({ state, reason }));
}

describe('presence from missed reports', () => {
  it('takes a connected device that goes silent offline, and back online on its next report', async () => {
    const h = await start();
    const device = await connectDevice(h, 'wl-01');
    await presenceEvent(h, { deviceId: 'wl-01', state: 'online', reason: 'connect' });
    await device.publishAsync(TELEMETRY('wl-01'), '{"values":{"level_cm":1}}', { qos: 1 });
    const lastReport = Date.now();

    const offline = await presenceEvent(h, { deviceId: 'wl-01', state: 'offline' });
    expect(offline.reason).toBe('missed-reports');
    // Not before k intervals of silence (the sweep may add one period).
    expect(Date.parse(offline.at) - lastReport).toBeGreaterThanOrEqual(SILENCE_MS - 5);
    expect(device.connected).toBe(true);
    expect(await metricValue(h.metrics, 'ioc_devices_online')).toBe(0);

    const since = h.presenceEvents.length;
    await device.publishAsync(TELEMETRY('wl-01'), '{"values":{"level_cm":2}}', { qos: 1 });
    const back = await presenceEvent(h, { deviceId: 'wl-01', state: 'online' }, since);
    expect(back.reason).toBe('report');
    expect(h.presence.stateOf('wl-01')).toMatchObject({ state: 'online', reason: 'report' });
    expect(await metricValue(h.metrics, 'ioc_devices_online')).toBe(1);
    expect(eventsOf(h, 'wl-01')).toEqual([
      { state: 'online', reason: 'connect' },
      { state: 'offline', reason: 'missed-reports' },
      { state: 'online', reason: 'report' },
    ]);
  });

  it('keeps a device online while its reports come in time, and not a sweep longer', async () => {
    const h = await start();
    await connectDevice(h, 'wl-01');
    await presenceEvent(h, { deviceId: 'wl-01', state: 'online' });
    // Reports one interval apart, judged on a clock of their own (ahead of the real one).
    const t0 = Date.now() + 60_000;
    for (let i = 0; i < 10; i++) {
      h.presence.reported('wl-01', new Date(t0 + i * INTERVAL_MS));
      h.presence.sweep(t0 + i * INTERVAL_MS + INTERVAL_MS / 2);
    }
    const last = t0 + 9 * INTERVAL_MS;
    h.presence.sweep(last + SILENCE_MS - 1);
    expect(eventsOf(h, 'wl-01')).toEqual([{ state: 'online', reason: 'connect' }]);
    h.presence.sweep(last + SILENCE_MS + SWEEP_MS);
    expect(eventsOf(h, 'wl-01')).toEqual([
      { state: 'online', reason: 'connect' },
      { state: 'offline', reason: 'missed-reports' },
    ]);
  });

  it('takes a device that connects and never reports offline too', async () => {
    const h = await start();
    await connectDevice(h, 'wl-02');
    const offline = await presenceEvent(h, { deviceId: 'wl-02', state: 'offline' });
    expect(offline.reason).toBe('missed-reports');
  });

  it('reports a clean disconnect exactly once, and no missed reports after it', async () => {
    const h = await start();
    const device = await connectDevice(h, 'wl-01');
    await device.publishAsync(TELEMETRY('wl-01'), '{"values":{"level_cm":1}}', { qos: 1 });
    await presenceEvent(h, { deviceId: 'wl-01', state: 'online' });
    await device.endAsync();
    await presenceEvent(h, { deviceId: 'wl-01', state: 'offline' });

    // A report received before the disconnect but handed over late must not revive it.
    h.presence.reported('wl-01', new Date(Date.now() - 1000));
    // Judge at a time long past every deadline.
    h.presence.sweep(Date.now() + 100 * SILENCE_MS);
    expect(eventsOf(h, 'wl-01')).toEqual([
      { state: 'online', reason: 'connect' },
      { state: 'offline', reason: 'disconnect' },
    ]);
  });

  it('does not report offline twice when a silent device then disconnects', async () => {
    const h = await start();
    const device = await connectDevice(h, 'wl-01');
    await presenceEvent(h, { deviceId: 'wl-01', state: 'offline', reason: 'missed-reports' });
    const closed = once(h.broker, 'deviceOffline');
    await device.endAsync();
    expect(await closed).toEqual(['wl-01', 'disconnect']);
    expect(eventsOf(h, 'wl-01')).toEqual([
      { state: 'online', reason: 'connect' },
      { state: 'offline', reason: 'missed-reports' },
    ]);
  });

  it('puts a device without an MQTT connection (OPC-UA) online by its reports', async () => {
    const h = await start();
    h.presence.reported('ps-hoa-xuan', new Date());
    const online = await presenceEvent(h, { deviceId: 'ps-hoa-xuan', state: 'online' });
    expect(online.reason).toBe('report');
    const offline = await presenceEvent(h, { deviceId: 'ps-hoa-xuan', state: 'offline' });
    expect(offline.reason).toBe('missed-reports');
    h.presence.reported('ps-hoa-xuan', new Date());
    h.presence.reported('ps-hoa-xuan', new Date());
    expect(eventsOf(h, 'ps-hoa-xuan')).toEqual([
      { state: 'online', reason: 'report' },
      { state: 'offline', reason: 'missed-reports' },
      { state: 'online', reason: 'report' },
    ]);
  });

  it('ignores reports of devices the registry does not know, and asks about each once', async () => {
    const h = await start({ ghost: undefined });
    h.presence.reported('ghost', new Date());
    h.presence.reported('ps-1', new Date());
    await presenceEvent(h, { deviceId: 'ps-1', state: 'online' });
    h.presence.reported('ghost', new Date());
    h.presence.reported('ps-1', new Date());
    expect(h.presence.stateOf('ghost')).toBeUndefined();
    expect(h.presenceEvents.some((e) => e.deviceId === 'ghost')).toBe(false);
    expect(h.asked.sort()).toEqual(['ghost', 'ps-1']);
  });

  it('waits for an asynchronous registry, and asks again after it failed', async () => {
    const h = await startHarness();
    harness = h;
    const answers = [Promise.reject(new Error('registry down')), Promise.resolve(INTERVAL_MS)];
    answers[0]?.catch(() => {});
    let calls = 0;
    h.presence.watchReports({
      missedReports: MISSED,
      sweepMs: SWEEP_MS,
      expectedIntervalMs: () => answers[calls++] as Promise<number>,
    });
    h.presence.reported('ps-1', new Date());
    await answers[0]?.catch(() => undefined);
    expect(h.presence.stateOf('ps-1')).toBeUndefined();
    h.presence.reported('ps-1', new Date());
    expect((await presenceEvent(h, { deviceId: 'ps-1', state: 'online' })).reason).toBe('report');
    expect((await presenceEvent(h, { deviceId: 'ps-1', state: 'offline' })).reason).toBe(
      'missed-reports',
    );
    expect(calls).toBe(2);
  });

  it('follows connections only until reports are watched', async () => {
    const h = await startHarness();
    harness = h;
    h.presence.reported('ps-1', new Date());
    const device = await connectDevice(h, 'wl-01');
    await presenceEvent(h, { deviceId: 'wl-01', state: 'online' });
    h.presence.sweep(Date.now() + 3_600_000);
    expect(h.presence.stateOf('ps-1')).toBeUndefined();
    expect(h.presence.stateOf('wl-01')?.state).toBe('online');
    // Watching from now on covers the devices already connected.
    h.presence.watchReports({ missedReports: 2, sweepMs: 20, expectedIntervalMs: () => 50 });
    expect((await presenceEvent(h, { deviceId: 'wl-01', state: 'offline' })).reason).toBe(
      'missed-reports',
    );
    expect(device.connected).toBe(true);
  });

  it('watches tens of thousands of devices with one timer and one sweep', async () => {
    const h = await start({}, { intervalMs: 60_000 });
    const timers = () =>
      process.getActiveResourcesInfo().filter((r) => r === 'Timeout' || r === 'Immediate').length;
    const before = timers();
    const devices = Array.from({ length: 20_000 }, (_, i) => `ps-${i}`);
    const at = new Date();
    for (const id of devices) h.presence.reported(id, at);
    await presenceEvent(h, { deviceId: 'ps-19999', state: 'online' });
    // Reports keep moving the deadlines; still no timer per device.
    for (let round = 0; round < 5; round++) {
      for (const id of devices) h.presence.reported(id, new Date());
    }
    expect(timers()).toBeLessThanOrEqual(before);
    expect(h.presence.onlineCount).toBe(devices.length);

    h.presence.sweep(Date.now() + MISSED * 60_000 + 1000);
    expect(h.presence.onlineCount).toBe(0);
    const offline = h.presenceEvents.filter((e) => e.state === 'offline');
    expect(offline).toHaveLength(devices.length);
    expect(new Set(offline.map((e) => e.reason))).toEqual(new Set(['missed-reports']));
  });
});
