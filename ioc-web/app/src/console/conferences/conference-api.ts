// Typed, checked calls to /api/v1/conferences (ioc-web/src/server/routes/conferences.ts).
// Answers are parsed at this edge; malformed rows are dropped.
import { NetworkError, requestJson } from '../../api/client';

export const CONFERENCE_STATUSES = ['scheduled', 'cancelled', 'ended'] as const;
export type ConferenceStatus = (typeof CONFERENCE_STATUSES)[number];
export const CONFERENCE_ROLES = ['chair', 'speaker', 'participant', 'viewer'] as const;
export type ConferenceRole = (typeof CONFERENCE_ROLES)[number];

export interface Conference {
  id: string;
  title: string;
  chairUnit: string;
  invitedUnits: string[];
  speakerUnits: string[];
  startsAt: string;
  endsAt: string;
  status: ConferenceStatus;
  alertId: string | null;
  createdBy: string;
  createdAt: string;
  /** When and by whom it was ended early; null otherwise. */
  endedAt: string | null;
  endedBy: string | null;
}

export interface JoinLink {
  unit: string;
  unitName: string;
  role: ConferenceRole;
  /** `/conference/{id}?t=…` on this server. */
  path: string;
  expiresAt: string;
}

export interface AttendanceRow {
  peerId: string;
  unit: string | null;
  userId: string | null;
  displayName: string;
  role: ConferenceRole;
  joinedAt: string;
  leftAt: string | null;
  reason: string | null;
}

export interface ConferenceDraft {
  title: string;
  invitedUnits: string[];
  speakerUnits: string[];
  startsAt: string;
  endsAt: string;
}

/** Where a conference stands now: its stored status, with `live` for one under way. */
export type Phase = 'upcoming' | 'live' | 'past' | 'cancelled';

export function phaseOf(conference: Conference, now = Date.now()): Phase {
  if (conference.status === 'cancelled') return 'cancelled';
  if (conference.status === 'ended' || Date.parse(conference.endsAt) <= now) return 'past';
  return Date.parse(conference.startsAt) <= now ? 'live' : 'upcoming';
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

function conferenceOf(row: unknown): Conference | undefined {
  if (!isRecord(row) || typeof row.id !== 'string' || typeof row.title !== 'string') return;
  const status = CONFERENCE_STATUSES.find((s) => s === row.status);
  if (!status || typeof row.startsAt !== 'string' || typeof row.endsAt !== 'string') return;
  return {
    id: row.id,
    title: row.title,
    chairUnit: String(row.chairUnit ?? ''),
    invitedUnits: strings(row.invitedUnits),
    speakerUnits: strings(row.speakerUnits),
    startsAt: row.startsAt,
    endsAt: row.endsAt,
    status,
    alertId: text(row.alertId),
    createdBy: String(row.createdBy ?? ''),
    createdAt: String(row.createdAt ?? ''),
    endedAt: text(row.endedAt),
    endedBy: text(row.endedBy),
  };
}

function linkOf(row: unknown): JoinLink | undefined {
  if (!isRecord(row) || typeof row.unit !== 'string' || typeof row.path !== 'string') return;
  const role = CONFERENCE_ROLES.find((r) => r === row.role);
  if (!role || !row.path.startsWith('/conference/')) return;
  return {
    unit: row.unit,
    unitName: text(row.unitName) ?? row.unit,
    role,
    path: row.path,
    expiresAt: String(row.expiresAt ?? ''),
  };
}

function attendanceOf(row: unknown): AttendanceRow | undefined {
  if (!isRecord(row) || typeof row.peerId !== 'string' || typeof row.joinedAt !== 'string') return;
  const role = CONFERENCE_ROLES.find((r) => r === row.role);
  if (!role) return;
  return {
    peerId: row.peerId,
    unit: text(row.unit),
    userId: text(row.userId),
    displayName: String(row.displayName ?? ''),
    role,
    joinedAt: row.joinedAt,
    leftAt: text(row.leftAt),
    reason: text(row.reason),
  };
}

function rows<T>(answer: unknown, key: string, parse: (row: unknown) => T | undefined): T[] {
  if (!isRecord(answer) || !Array.isArray(answer[key])) {
    throw new NetworkError(`the server's answer has no "${key}" list`);
  }
  return (answer[key] as unknown[]).flatMap((row) => {
    const parsed = parse(row);
    return parsed ? [parsed] : [];
  });
}

function one(answer: unknown): Conference {
  const conference = isRecord(answer) ? conferenceOf(answer.conference) : undefined;
  if (!conference) throw new NetworkError('the server did not answer with a conference');
  return conference;
}

export async function listConferences(signal?: AbortSignal): Promise<Conference[]> {
  const answer = await requestJson('GET', '/api/v1/conferences?limit=500', { signal });
  return rows(answer, 'conferences', conferenceOf);
}

export async function getConference(id: string, signal?: AbortSignal): Promise<Conference> {
  return one(await requestJson('GET', `/api/v1/conferences/${encodeURIComponent(id)}`, { signal }));
}

export async function createConference(draft: ConferenceDraft): Promise<Conference> {
  return one(await requestJson('POST', '/api/v1/conferences', { body: draft }));
}

export async function cancelConference(id: string): Promise<Conference> {
  return one(
    await requestJson('POST', `/api/v1/conferences/${encodeURIComponent(id)}/cancel`, {
      body: {},
    }),
  );
}

/** Ends a conference under way now: everyone is disconnected and the links stop working. */
export async function endConference(id: string): Promise<Conference> {
  return one(
    await requestJson('POST', `/api/v1/conferences/${encodeURIComponent(id)}/end`, { body: {} }),
  );
}

export async function conferenceLinks(id: string, signal?: AbortSignal): Promise<JoinLink[]> {
  const answer = await requestJson('GET', `/api/v1/conferences/${encodeURIComponent(id)}/links`, {
    signal,
  });
  return rows(answer, 'links', linkOf);
}

export async function conferenceAttendance(
  id: string,
  signal?: AbortSignal,
): Promise<AttendanceRow[]> {
  const answer = await requestJson(
    'GET',
    `/api/v1/conferences/${encodeURIComponent(id)}/attendance`,
    { signal },
  );
  return rows(answer, 'attendance', attendanceOf);
}

/** "Convene the affected communes": an instant conference from an alert, with its links. */
export async function conveneFromAlert(
  alertId: string,
): Promise<{ conference: Conference; links: JoinLink[] }> {
  const answer = await requestJson(
    'POST',
    `/api/v1/alerts/${encodeURIComponent(alertId)}/conference`,
    { body: {} },
  );
  return { conference: one(answer), links: rows(answer, 'links', linkOf) };
}
