import type { AdminUnitTree, LiveEvents } from '@ioc/core';
import { NOTIFIABLE_CHANGES, type NotificationSubscription, SEVERITY_ORDER } from './types.js';

type AlertChanged = LiveEvents['alert.changed'];

/**
 * Whether an alert change is notified at all: never a re-trigger (it only bumps the open
 * alert's count), never a child of a storm (its parent alert is notified instead).
 */
export function isNotifiable(event: AlertChanged): boolean {
  return (
    event.alert.parentId === null &&
    (NOTIFIABLE_CHANGES as readonly string[]).includes(event.change)
  );
}

/**
 * Whether one subscription wants this change: enabled, the change kind chosen, severity at
 * least its minimum, the sector among its sectors (any when none), the alert's unit in its
 * unit subtree (anywhere when none). An alert without unit or sector passes only filters
 * that do not ask for one.
 */
export function wantsNotification(
  subscription: NotificationSubscription,
  event: AlertChanged,
  units: AdminUnitTree,
): boolean {
  const { alert } = event;
  if (!subscription.enabled) return false;
  if (!(subscription.changes as readonly string[]).includes(event.change)) return false;
  if (SEVERITY_ORDER.indexOf(alert.severity) < SEVERITY_ORDER.indexOf(subscription.minSeverity)) {
    return false;
  }
  if (subscription.sectors.length > 0) {
    if (alert.sector === null || !subscription.sectors.includes(alert.sector)) return false;
  }
  if (subscription.unit !== null) {
    if (alert.unit === null || !units.isWithin(alert.unit, subscription.unit)) return false;
  }
  return true;
}
