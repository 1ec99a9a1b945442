// Helpers for the alert tests (not part of the public API).
import {
  type AdminUnitTree,
  createLogger,
  LiveBus,
  type LiveEvents,
  type SqlStore,
} from '@ioc/core';
import type { AlertRaise } from './alert-sink.js';
import { AlertStore } from './alert-store.js';
import type { StormSettings } from './storm-grouping.js';

export type AlertEvent = LiveEvents['alert.changed'];

/** An alert store on `sql` with its own bus, recording every event it publishes. */
export function storeWithEvents(
  sql: SqlStore,
  units: AdminUnitTree,
  options: { storm?: StormSettings; now?: () => Date } = {},
): { store: AlertStore; bus: LiveBus; events: AlertEvent[] } {
  const bus = new LiveBus();
  const events: AlertEvent[] = [];
  bus.subscribe('alert.changed', (event) => events.push(event));
  const store = new AlertStore({
    sql,
    bus,
    units,
    logger: createLogger('silent'),
    storm: options.storm ?? { threshold: 10, windowSeconds: 300 },
    now: options.now,
  });
  return { store, bus, events };
}

let serial = 0;
/** A rule id no other test uses: the tests of one backend share its database. */
export const uniqueRule = (base: string) => `${base}-${++serial}`;

/** A water-level raise in Hải Vân unless told otherwise. */
export function waterLevelRaise(ruleId: string, over: Partial<AlertRaise> = {}): AlertRaise {
  const source = over.source ?? 'wl-hai-van-01';
  return {
    ruleId,
    source,
    severity: 'major',
    message: { vi: 'Mực nước vượt báo động 2', en: 'Water level above alarm 2' },
    deviceId: source,
    unit: '20194',
    sector: 'environment',
    metric: 'level_cm',
    value: 250,
    at: new Date('2026-03-01T00:00:00Z'),
    ...over,
  };
}
