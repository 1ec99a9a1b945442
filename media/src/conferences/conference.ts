// The contract between conference scheduling (this folder, SQL) and the SFU's signalling
// (../signalling): who may join which conference, in which role, and where attendance goes.
import type { Principal } from '@ioc/core';

export type ConferenceRole = 'chair' | 'speaker' | 'participant' | 'viewer';

export type ConferenceStatus = 'scheduled' | 'cancelled' | 'ended';

/** A scheduled (or instant) conference, as stored and as the API returns it. */
export interface Conference {
  id: string;
  title: string;
  /** Admin unit code that chairs the meeting (usually the province). */
  chairUnit: string;
  /** Units (communes, districts, departments) invited as endpoints (điểm cầu). */
  invitedUnits: string[];
  /** Invited units that speak (speaker role) rather than only participate. */
  speakerUnits: string[];
  /** ISO 8601 UTC. Joining opens `joinOpensMinutesBefore` earlier and closes at `endsAt`. */
  startsAt: string;
  endsAt: string;
  status: ConferenceStatus;
  /** The alert it was convened from ("convene the affected communes"), if any. */
  alertId: string | null;
  createdBy: string;
  createdAt: string;
  /** When and by whom it was ended early (POST …/end); null otherwise. Absent in older fakes. */
  endedAt?: string | null;
  endedBy?: string | null;
}

/** What the SFU needs to seat someone who asked to join. */
export interface Admission {
  conference: Conference;
  role: ConferenceRole;
  /** The unit the endpoint speaks for (from its join link), or null for a signed-in user. */
  unit: string | null;
  /** The signed-in user, or null for a unit link. */
  userId: string | null;
  /** Shown to the others: the unit's name, or the user's display name. */
  displayName: string;
  /** When the right to be in the room ends (token expiry or conference end); the SFU drops the peer then. */
  expiresAt: string;
}

export interface JoinRequest {
  conferenceId: string;
  /** A unit's join-link token (`?t=` of the link). */
  token?: string;
  /** A signed-in user (session cookie or API token), resolved by the web service. */
  user?: Principal;
  /** A signed-in user who only watches (the wall's active-speaker panel). */
  asViewer?: boolean;
}

export interface AttendanceEntry {
  conferenceId: string;
  peerId: string;
  unit: string | null;
  userId: string | null;
  displayName: string;
  role: ConferenceRole;
  event: 'joined' | 'left';
  /** ISO 8601 UTC. */
  at: string;
  /** Why a peer left: `leave`, `disconnect`, `expired`, `worker-died`, `conference-ended`. */
  reason?: string;
}

/**
 * Implemented by the ConferenceStore. `admit` throws ApiError with codes the signalling
 * passes on: 401 `JOIN_TOKEN_INVALID`, 401 `JOIN_TOKEN_EXPIRED`, 403 `CONFERENCE_FORBIDDEN`,
 * 404 `CONFERENCE_NOT_FOUND`, 409 `CONFERENCE_CANCELLED`, 409 `CONFERENCE_NOT_OPEN` (too early,
 * over, or ended early).
 */
export interface ConferenceAdmission {
  admit(request: JoinRequest): Promise<Admission>;
  recordAttendance(entry: AttendanceEntry): Promise<void>;
  get(conferenceId: string): Promise<Conference | undefined>;
}
