// Conferences in SQL (core/migrations/0011_conferences.sql, 0012_conference_end.sql): scheduling,
// cancelling, ending early, join links, the attendance log, and admission, which the SFU's
// signalling asks before seating anyone.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { type AdminUnitTree, ApiError, type SqlStore } from '@ioc/core';
import type {
  Admission,
  AttendanceEntry,
  Conference,
  ConferenceAdmission,
  ConferenceRole,
  ConferenceStatus,
  JoinRequest,
} from './conference.js';
import { checkConferenceInput } from './conference-input.js';
import { JoinTokens, loadJoinLinkKey } from './join-tokens.js';
import {
  assertOpen,
  JOIN_OPENS_MINUTES_BEFORE,
  linkedUnits,
  type RoomScopeLike,
  roleOfUnit,
  roleOfUser,
} from './seating.js';

/** What a person asks for when they schedule a conference. */
export interface ConferenceInput {
  title: string;
  chairUnit: string;
  invitedUnits: string[];
  speakerUnits?: string[];
  /** ISO 8601 or a Date. */
  startsAt: string | Date;
  endsAt: string | Date;
  alertId?: string | null;
}

export interface ConferenceListFilter {
  /** `scheduled` means not yet over; `ended` includes scheduled ones past their end. */
  statuses?: ConferenceStatus[];
  /** Conferences that overlap [from, to). */
  from?: Date;
  to?: Date;
  /** Only those inviting one of these units (what a room-scoped caller may see). */
  invitingAny?: readonly string[];
  limit?: number;
  offset?: number;
}

/** One unit's join link: `path` is `/conference/{id}?t=<token>` on the IOC's web address. */
export interface JoinLink {
  unit: string;
  unitName: string;
  role: ConferenceRole;
  token: string;
  path: string;
  expiresAt: string;
}

/** One peer's stay in a conference, as the attendance table shows it. */
export interface AttendanceRecord {
  peerId: string;
  unit: string | null;
  userId: string | null;
  displayName: string;
  role: ConferenceRole;
  joinedAt: string;
  leftAt: string | null;
  reason: string | null;
}

export interface ConferenceStoreOptions {
  sql: SqlStore;
  units: AdminUnitTree;
  /**
   * The scopes of the rooms a user belongs to (the web service's RoomStore.membershipsOf),
   * for seating room operators and viewers; without it they are never admitted.
   */
  roomScopesOf?: (userId: string) => Promise<readonly RoomScopeLike[]>;
  /** Minutes before the start that joining opens; default JOIN_OPENS_MINUTES_BEFORE (15). */
  joinOpensMinutesBefore?: number;
  /** The clock (tests). */
  now?: () => Date;
}

interface ConferenceRow {
  id: string;
  title: string;
  chair_unit: string;
  invited_units: string[];
  speaker_units: string[];
  starts_at: Date | string;
  ends_at: Date | string;
  status: ConferenceStatus;
  alert_id: string | null;
  created_by: string;
  created_at: Date | string;
  ended_at: Date | string | null;
  ended_by: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ROLES: readonly ConferenceRole[] = ['chair', 'speaker', 'participant', 'viewer'];

export interface ConferenceStoreEvents {
  /** A conference was cancelled here; the SFU closes its room. */
  cancelled: [conference: Conference];
  /** A conference was ended early here; the SFU closes its room. */
  ended: [conference: Conference];
}

/** Scheduled and instant conferences, their join links and attendance; admits peers for the SFU. */
export class ConferenceStore
  extends EventEmitter<ConferenceStoreEvents>
  implements ConferenceAdmission
{
  readonly #sql: SqlStore;
  readonly #units: AdminUnitTree;
  readonly #roomScopesOf: (userId: string) => Promise<readonly RoomScopeLike[]>;
  readonly #opensMinutesBefore: number;
  readonly #now: () => Date;
  #tokens?: Promise<JoinTokens>;

  constructor(options: ConferenceStoreOptions) {
    super();
    this.#sql = options.sql;
    this.#units = options.units;
    this.#roomScopesOf = options.roomScopesOf ?? (async () => []);
    this.#opensMinutesBefore = options.joinOpensMinutesBefore ?? JOIN_OPENS_MINUTES_BEFORE;
    this.#now = options.now ?? (() => new Date());
  }

  /** Schedules a conference; 400 CONFERENCE_INVALID (details.field) for bad input. */
  async create(input: ConferenceInput, actor: string): Promise<Conference> {
    const checked = checkConferenceInput(input, this.#units);
    const { rows } = await this.#sql.query<ConferenceRow>(
      `INSERT INTO conferences (id, title, chair_unit, invited_units, speaker_units, starts_at,
         ends_at, alert_id, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *`,
      [
        randomUUID(),
        checked.title,
        checked.chairUnit,
        checked.invitedUnits,
        checked.speakerUnits,
        checked.startsAt,
        checked.endsAt,
        input.alertId ?? null,
        actor,
      ],
    );
    return this.#toConference(rows[0] as ConferenceRow);
  }

  async get(conferenceId: string): Promise<Conference | undefined> {
    if (!UUID.test(conferenceId)) return undefined;
    const { rows } = await this.#sql.query<ConferenceRow>(
      'SELECT * FROM conferences WHERE id = $1',
      [conferenceId],
    );
    return rows[0] && this.#toConference(rows[0]);
  }

  /** Newest start first. */
  async list(
    filter: ConferenceListFilter = {},
  ): Promise<{ conferences: Conference[]; total: number }> {
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown) => {
      params.push(value);
      return `$${params.length}::${typeof value === 'number' ? 'integer' : 'timestamptz'}`;
    };
    if (filter.statuses?.length) {
      const wanted = new Set(filter.statuses);
      const over = wanted.has('scheduled') || wanted.has('ended');
      const now = over ? param(this.#now()) : '';
      const clauses: string[] = [];
      if (wanted.has('scheduled')) clauses.push(`(status = 'scheduled' AND ends_at > ${now})`);
      if (wanted.has('ended')) {
        clauses.push(`(status = 'ended' OR (status = 'scheduled' AND ends_at <= ${now}))`);
      }
      if (wanted.has('cancelled')) clauses.push(`status = 'cancelled'`);
      where.push(`(${clauses.join(' OR ')})`);
    }
    if (filter.from) where.push(`ends_at > ${param(filter.from)}`);
    if (filter.to) where.push(`starts_at < ${param(filter.to)}`);
    if (filter.invitingAny) {
      params.push([...filter.invitingAny]);
      where.push(`invited_units && $${params.length}::text[]`);
    }
    const condition = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const limit = param(filter.limit ?? 100);
    const offset = param(filter.offset ?? 0);
    const { rows } = await this.#sql.query<ConferenceRow & { total: number | string }>(
      `SELECT *, count(*) OVER () AS total FROM conferences ${condition}
       ORDER BY starts_at DESC, id LIMIT ${limit} OFFSET ${offset}`,
      params,
    );
    return {
      conferences: rows.map((row) => this.#toConference(row)),
      total: rows.length ? Number(rows[0]?.total) : 0,
    };
  }

  /**
   * Cancels a conference that has not ended: its join links stop working at once.
   * 404 CONFERENCE_NOT_FOUND, 409 CONFERENCE_CANCELLED, 409 CONFERENCE_ENDED.
   */
  async cancel(conferenceId: string, actor: string): Promise<Conference> {
    const conference = await this.#require(conferenceId);
    this.#assertNotCancelled(conference);
    this.#assertNotEnded(conference, 'cancelled');
    const { rows } = await this.#sql.query<ConferenceRow>(
      `UPDATE conferences SET status = 'cancelled', cancelled_at = $2, cancelled_by = $3
       WHERE id = $1 AND status = 'scheduled' RETURNING *`,
      [conferenceId, this.#now(), actor],
    );
    // Lost a race with another cancel: say so as the first check would have.
    if (!rows[0]) return this.cancel(conferenceId, actor);
    const cancelled = this.#toConference(rows[0]);
    this.emit('cancelled', cancelled);
    return cancelled;
  }

  /**
   * Ends a conference under way before its scheduled end: its join links stop working at once
   * (CONFERENCE_NOT_OPEN) and it lists as ended. One whose doors have not opened yet is
   * cancelled instead. 404 CONFERENCE_NOT_FOUND, 409 CONFERENCE_CANCELLED, 409 CONFERENCE_ENDED,
   * 409 CONFERENCE_NOT_STARTED.
   */
  async end(conferenceId: string, actor: string): Promise<Conference> {
    const conference = await this.#require(conferenceId);
    this.#assertNotCancelled(conference);
    this.#assertNotEnded(conference, 'ended');
    const now = this.#now();
    const opens = Date.parse(conference.startsAt) - this.#opensMinutesBefore * 60_000;
    if (now.getTime() < opens) {
      throw new ApiError(
        409,
        'CONFERENCE_NOT_STARTED',
        `conference ${conferenceId} has not opened yet (it opens at ${new Date(opens).toISOString()}); cancel it instead`,
      );
    }
    const { rows } = await this.#sql.query<ConferenceRow>(
      `UPDATE conferences SET status = 'ended', ended_at = $2, ended_by = $3
       WHERE id = $1 AND status = 'scheduled' AND ends_at > $2 RETURNING *`,
      [conferenceId, now, actor],
    );
    // Lost a race with a cancel or another end: say so as the first checks would have.
    if (!rows[0]) return this.end(conferenceId, actor);
    const ended = this.#toConference(rows[0]);
    this.emit('ended', ended);
    return ended;
  }

  /**
   * One join link per unit (chair unit first, then the invited), signed now; the same links
   * every time, since a token depends only on the conference, unit and end.
   * 404 CONFERENCE_NOT_FOUND, 409 CONFERENCE_CANCELLED.
   */
  async links(conferenceId: string): Promise<JoinLink[]> {
    const conference = await this.#require(conferenceId);
    this.#assertNotCancelled(conference);
    const tokens = await this.#joinTokens();
    const expiresAt = new Date(conference.endsAt);
    return linkedUnits(conference).map((unit) => {
      const token = tokens.sign(conference.id, unit, expiresAt);
      return {
        unit,
        unitName: this.#unitName(unit),
        role: roleOfUnit(conference, unit),
        token,
        path: `/conference/${conference.id}?t=${token}`,
        expiresAt: conference.endsAt,
      };
    });
  }

  /** Who joined and left, in the order they joined. 404 CONFERENCE_NOT_FOUND. */
  async attendance(conferenceId: string): Promise<AttendanceRecord[]> {
    await this.#require(conferenceId);
    const { rows } = await this.#sql.query<{
      peer_id: string;
      unit_code: string | null;
      user_id: string | null;
      display_name: string;
      role: ConferenceRole;
      joined_at: Date | string;
      left_at: Date | string | null;
      reason: string | null;
    }>(
      `SELECT peer_id, unit_code, user_id, display_name, role, joined_at, left_at, reason
       FROM conference_attendance WHERE conference_id = $1 ORDER BY joined_at, id`,
      [conferenceId],
    );
    return rows.map((r) => ({
      peerId: r.peer_id,
      unit: r.unit_code,
      userId: r.user_id,
      displayName: r.display_name,
      role: r.role,
      joinedAt: iso(r.joined_at),
      leftAt: r.left_at === null ? null : iso(r.left_at),
      reason: r.reason,
    }));
  }

  /**
   * Seats a unit's join link or a signed-in user. Throws (ApiError) 401 JOIN_TOKEN_INVALID,
   * 401 JOIN_TOKEN_EXPIRED, 403 CONFERENCE_FORBIDDEN, 404 CONFERENCE_NOT_FOUND,
   * 409 CONFERENCE_CANCELLED, 409 CONFERENCE_NOT_OPEN.
   */
  async admit(request: JoinRequest): Promise<Admission> {
    const conference = await this.#require(request.conferenceId);
    const now = this.#now();
    if (request.token !== undefined) {
      const claims = (await this.#joinTokens()).verify(conference.id, request.token);
      if (!claims || !linkedUnits(conference).includes(claims.unit)) {
        throw new ApiError(
          401,
          'JOIN_TOKEN_INVALID',
          `this join link is not valid for conference ${conference.id}; ask the organiser for the link of your unit`,
        );
      }
      this.#assertNotCancelled(conference);
      if (now.getTime() >= claims.expiresAt.getTime()) {
        throw new ApiError(
          401,
          'JOIN_TOKEN_EXPIRED',
          `this join link expired at ${claims.expiresAt.toISOString()}`,
        );
      }
      assertOpen(conference, now, this.#opensMinutesBefore);
      return {
        conference,
        role: roleOfUnit(conference, claims.unit),
        unit: claims.unit,
        userId: null,
        displayName: this.#unitName(claims.unit),
        expiresAt: minIso(claims.expiresAt, conference.endsAt),
      };
    }
    if (!request.user) {
      throw new ApiError(
        401,
        'JOIN_TOKEN_INVALID',
        'joining needs a join link (?t=) or a signed-in user',
      );
    }
    this.#assertNotCancelled(conference);
    const role = await roleOfUser({
      conference,
      user: request.user,
      asViewer: request.asViewer === true,
      units: this.#units,
      roomScopesOf: this.#roomScopesOf,
    });
    assertOpen(conference, now, this.#opensMinutesBefore);
    return {
      conference,
      role,
      unit: null,
      userId: request.user.id,
      displayName: request.user.name,
      expiresAt: conference.endsAt,
    };
  }

  /** Logs a peer joining (once per peer) or leaving (closes its row). */
  async recordAttendance(entry: AttendanceEntry): Promise<void> {
    if (!ROLES.includes(entry.role)) throw new Error(`unknown conference role "${entry.role}"`);
    const at = new Date(entry.at);
    if (Number.isNaN(at.getTime())) throw new Error(`attendance time "${entry.at}" is not a date`);
    if (entry.event === 'joined') {
      await this.#sql.query(
        `INSERT INTO conference_attendance (conference_id, peer_id, unit_code, user_id,
           display_name, role, joined_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (conference_id, peer_id) DO NOTHING`,
        [
          entry.conferenceId,
          entry.peerId,
          entry.unit,
          entry.userId,
          entry.displayName,
          entry.role,
          at,
        ],
      );
      return;
    }
    // A leave whose join was never logged still gets a row (joined = left), so nobody vanishes.
    await this.#sql.query(
      `INSERT INTO conference_attendance (conference_id, peer_id, unit_code, user_id,
         display_name, role, joined_at, left_at, reason)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8)
       ON CONFLICT (conference_id, peer_id) DO UPDATE
         SET left_at = EXCLUDED.left_at, reason = EXCLUDED.reason
         WHERE conference_attendance.left_at IS NULL`,
      [
        entry.conferenceId,
        entry.peerId,
        entry.unit,
        entry.userId,
        entry.displayName,
        entry.role,
        at,
        entry.reason ?? null,
      ],
    );
  }

  async #require(conferenceId: string): Promise<Conference> {
    const conference = await this.get(conferenceId);
    if (!conference) {
      throw new ApiError(404, 'CONFERENCE_NOT_FOUND', `no conference with id "${conferenceId}"`);
    }
    return conference;
  }

  #assertNotCancelled(conference: Conference): void {
    if (conference.status === 'cancelled') {
      throw new ApiError(
        409,
        'CONFERENCE_CANCELLED',
        `conference ${conference.id} ("${conference.title}") was cancelled`,
      );
    }
  }

  #assertNotEnded(conference: Conference, wanted: 'cancelled' | 'ended'): void {
    if (conference.status === 'ended') {
      throw new ApiError(
        409,
        'CONFERENCE_ENDED',
        `conference ${conference.id} ended at ${conference.endedAt ?? conference.endsAt}; only a conference that has not ended can be ${wanted}`,
      );
    }
  }

  #joinTokens(): Promise<JoinTokens> {
    this.#tokens ??= loadJoinLinkKey(this.#sql).then((key) => new JoinTokens(key));
    // A failed load (database down) is tried again next time rather than cached.
    this.#tokens.catch(() => {
      this.#tokens = undefined;
    });
    return this.#tokens;
  }

  #unitName(code: string): string {
    const unit = this.#units.get(code);
    return unit ? (unit.fullName ?? unit.name) : code;
  }

  #toConference(row: ConferenceRow): Conference {
    const endsAt = iso(row.ends_at);
    const over = row.status === 'scheduled' && Date.parse(endsAt) <= this.#now().getTime();
    return {
      id: row.id,
      title: row.title,
      chairUnit: row.chair_unit,
      invitedUnits: row.invited_units,
      speakerUnits: row.speaker_units,
      startsAt: iso(row.starts_at),
      endsAt,
      status: over ? 'ended' : row.status,
      alertId: row.alert_id,
      createdBy: row.created_by,
      createdAt: iso(row.created_at),
      endedAt: row.ended_at === null ? null : iso(row.ended_at),
      endedBy: row.ended_by,
    };
  }
}

function iso(value: Date | string): string {
  return new Date(value).toISOString();
}

function minIso(a: Date, b: string): string {
  return new Date(Math.min(a.getTime(), Date.parse(b))).toISOString();
}
