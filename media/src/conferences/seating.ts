// Who sits where: the role a join link or a signed-in user gets, and when the doors are open.
import { type AdminUnitTree, ApiError, type Principal } from '@ioc/core';
import type { Conference, ConferenceRole } from './conference.js';

/** Joining opens this many minutes before a conference starts (people test camera and mic). */
export const JOIN_OPENS_MINUTES_BEFORE = 15;

/** What one operating room covers, as the web service's rooms store it. */
export interface RoomScopeLike {
  /** Unit codes, each with its subtree; empty: every unit. */
  units: readonly string[];
}

/** The role a unit's join link gives: the chair unit chairs, speaker units speak, others listen. */
export function roleOfUnit(conference: Conference, unit: string): ConferenceRole {
  if (unit === conference.chairUnit) return 'chair';
  if (conference.speakerUnits.includes(unit)) return 'speaker';
  return 'participant';
}

/** The units that get a join link: the chair unit first, then the invited, each once. */
export function linkedUnits(conference: Conference): string[] {
  return [...new Set([conference.chairUnit, ...conference.invitedUnits])];
}

/**
 * The seat of a signed-in user: admins and IOC operators chair; a room operator takes part and
 * a viewer watches when one of their rooms covers an invited unit; `asViewer` only watches.
 * Throws 403 CONFERENCE_FORBIDDEN otherwise.
 */
export async function roleOfUser(options: {
  conference: Conference;
  user: Principal;
  asViewer: boolean;
  units: AdminUnitTree;
  roomScopesOf: (userId: string) => Promise<readonly RoomScopeLike[]>;
}): Promise<ConferenceRole> {
  const { conference, user, asViewer } = options;
  if (user.role === 'admin' || user.role === 'ioc-operator') return asViewer ? 'viewer' : 'chair';
  if (user.role === 'room-operator' || user.role === 'viewer') {
    // API tokens and the local CLI are unscoped, as in the web service's access rules.
    const covered =
      user.kind !== 'user' ||
      coversAnyUnit(await options.roomScopesOf(user.id), conference.invitedUnits, options.units);
    if (covered) return user.role === 'room-operator' && !asViewer ? 'participant' : 'viewer';
  }
  throw new ApiError(
    403,
    'CONFERENCE_FORBIDDEN',
    `${user.name} (${user.role}) may not join conference ${conference.id}: none of their rooms covers an invited unit`,
  );
}

/** True when one of the scopes covers one of the units (a scope unit's subtree counts). */
export function coversAnyUnit(
  scopes: readonly RoomScopeLike[],
  invited: readonly string[],
  units: AdminUnitTree,
): boolean {
  return scopes.some(
    (scope) =>
      scope.units.length === 0 ||
      invited.some((code) => scope.units.some((root) => units.isWithin(code, root))),
  );
}

/** Throws 409 CONFERENCE_NOT_OPEN unless `now` lies in [startsAt − opensBefore, endsAt). */
export function assertOpen(conference: Conference, now: Date, opensMinutesBefore: number): void {
  const opens = Date.parse(conference.startsAt) - opensMinutesBefore * 60_000;
  if (now.getTime() < opens) {
    throw new ApiError(
      409,
      'CONFERENCE_NOT_OPEN',
      `conference ${conference.id} opens for joining at ${new Date(opens).toISOString()} (${opensMinutesBefore} minutes before it starts)`,
    );
  }
  if (conference.status === 'ended' || now.getTime() >= Date.parse(conference.endsAt)) {
    throw new ApiError(
      409,
      'CONFERENCE_NOT_OPEN',
      `conference ${conference.id} ended at ${conference.endedAt ?? conference.endsAt}`,
    );
  }
}
