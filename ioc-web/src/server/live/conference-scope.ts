import type { LiveEvents } from '@ioc/core';
import type { AccessScope } from '../access/access-scope.js';

/** A live conference's endpoints as the bus announces them (`conference.endpoints`). */
export type ConferenceUpdate = LiveEvents['conference.endpoints'];

/**
 * The part of a conference a room may see: the endpoints of units in its scope (an endpoint
 * with no unit, a signed-in person, only in a room that sees everything), the active speaker
 * only when that is one of them. Undefined when no endpoint is in scope.
 */
export function conferenceInScope(
  update: ConferenceUpdate,
  scope: AccessScope,
): ConferenceUpdate | undefined {
  const endpoints = update.endpoints.filter((endpoint) =>
    endpoint.unit === null ? scope.unrestricted : scope.allowsUnit(endpoint.unit),
  );
  if (endpoints.length === 0) return undefined;
  const speaking = endpoints.some((e) => e.peerId !== null && e.peerId === update.activeSpeaker);
  return { ...update, endpoints, activeSpeaker: speaking ? update.activeSpeaker : null };
}
