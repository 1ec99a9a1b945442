import type { AdminUnitTree, Principal } from '@ioc/core';
import type { RoomStore } from '../rooms/room-store.js';
import { AccessScope } from './access-scope.js';

/** What a caller may see and act on, and which rooms they may open. */
export interface CallerAccess {
  /** Devices, telemetry, alerts, KPIs and unit details they may read. */
  view: AccessScope;
  /** Where they may act (alerts, device commands): rooms where they are an operator. */
  act: AccessScope;
  /** Room ids they may join on the live channel; `all` for unscoped callers. */
  rooms: readonly string[] | 'all';
}

/**
 * Resolves a caller's access from their rooms. Admins and IOC operators see the whole
 * province; API tokens and the local CLI are unscoped too (tokens are issued by admins for
 * integrators and are not room members; their role still limits what they may do). Room
 * operators and viewers see the union of their rooms' scopes; no rooms, nothing.
 */
export async function resolveCallerAccess(
  principal: Principal,
  units: AdminUnitTree,
  rooms: RoomStore | undefined,
): Promise<CallerAccess> {
  if (
    principal.kind !== 'user' ||
    principal.role === 'admin' ||
    principal.role === 'ioc-operator'
  ) {
    const everything = AccessScope.everything(units);
    return { view: everything, act: everything, rooms: 'all' };
  }
  const memberships = rooms ? await rooms.membershipsOf(principal.id) : [];
  return {
    view: AccessScope.ofRooms(
      units,
      memberships.map((m) => m.scope),
    ),
    act: AccessScope.ofRooms(
      units,
      memberships.filter((m) => m.role === 'operator').map((m) => m.scope),
    ),
    rooms: memberships.map((m) => m.roomId),
  };
}
