import { ApiError, type SqlStore } from '@ioc/core';
import type { RoomScope } from '../access/access-scope.js';

/** One scene of a wall's rotation (see ioc-web/README.md, "Rooms"). */
export interface Scene {
  id: string;
  title: { vi: string; en: string };
  /** How long the scene stays on screen in kiosk rotation. */
  durationS: number;
  /** What the map shows: a unit to frame (default: the room's scope) and layer ids. */
  view: { unit?: string; layers: string[] };
}

export type RoomRole = 'operator' | 'viewer';

export interface Room {
  id: string;
  name: { vi: string; en: string };
  scope: RoomScope;
  scenes: Scene[];
  kiosk: { rotation: boolean };
  createdAt: string;
  updatedAt: string;
}

export interface RoomInput {
  id: string;
  name: { vi: string; en: string };
  scope: RoomScope;
  scenes: Scene[];
  kiosk: { rotation: boolean };
}

export interface RoomMember {
  userId: string;
  username: string;
  displayName: string | null;
  role: RoomRole;
  addedAt: string;
}

/** A user's membership with the room's scope: what access decisions are made from. */
export interface Membership {
  roomId: string;
  role: RoomRole;
  scope: RoomScope;
}

interface RoomRow {
  id: string;
  name_vi: string;
  name_en: string;
  scope_units: string[];
  scope_sectors: string[];
  scenes: Scene[] | string;
  rotation: boolean;
  created_at: Date | string;
  updated_at: Date | string;
}

/** Rooms and their members in SQL (core/migrations/0009_rooms.sql). Input is checked by the routes. */
export class RoomStore {
  readonly #sql: SqlStore;

  constructor(sql: SqlStore) {
    this.#sql = sql;
  }

  async list(): Promise<Room[]> {
    const { rows } = await this.#sql.query<RoomRow>('SELECT * FROM rooms ORDER BY id');
    return rows.map(toRoom);
  }

  async get(id: string): Promise<Room | undefined> {
    const { rows } = await this.#sql.query<RoomRow>('SELECT * FROM rooms WHERE id = $1', [id]);
    return rows[0] && toRoom(rows[0]);
  }

  /** Creates the room; 409 ROOM_EXISTS when the id is taken. */
  async create(input: RoomInput): Promise<Room> {
    const room = await this.#insert(input);
    if (!room) throw new ApiError(409, 'ROOM_EXISTS', `a room "${input.id}" already exists`);
    return room;
  }

  /** Creates the room unless one with its id exists; true when created (seeding). */
  async ensure(input: RoomInput): Promise<boolean> {
    return (await this.#insert(input)) !== undefined;
  }

  async update(id: string, input: Omit<RoomInput, 'id'>): Promise<Room | undefined> {
    const { rows } = await this.#sql.query<RoomRow>(
      `UPDATE rooms SET name_vi = $2, name_en = $3, scope_units = $4, scope_sectors = $5,
         scenes = $6, rotation = $7, updated_at = now()
       WHERE id = $1 RETURNING *`,
      [id, ...columns(input)],
    );
    return rows[0] && toRoom(rows[0]);
  }

  async remove(id: string): Promise<boolean> {
    const { rowCount } = await this.#sql.query('DELETE FROM rooms WHERE id = $1', [id]);
    return rowCount > 0;
  }

  async members(roomId: string): Promise<RoomMember[]> {
    const { rows } = await this.#sql.query<{
      user_id: string;
      username: string;
      display_name: string | null;
      room_role: RoomRole;
      added_at: Date | string;
    }>(
      `SELECT m.user_id, u.username, u.display_name, m.room_role, m.added_at
       FROM room_members m JOIN users u ON u.id = m.user_id
       WHERE m.room_id = $1 ORDER BY u.username`,
      [roomId],
    );
    return rows.map((r) => ({
      userId: r.user_id,
      username: r.username,
      displayName: r.display_name,
      role: r.room_role,
      addedAt: new Date(r.added_at).toISOString(),
    }));
  }

  /** Adds the user to the room or changes their room role. */
  async setMember(roomId: string, userId: string, role: RoomRole): Promise<void> {
    await this.#sql.query(
      `INSERT INTO room_members (room_id, user_id, room_role) VALUES ($1, $2, $3)
       ON CONFLICT (room_id, user_id) DO UPDATE SET room_role = EXCLUDED.room_role`,
      [roomId, userId, role],
    );
  }

  async removeMember(roomId: string, userId: string): Promise<boolean> {
    const { rowCount } = await this.#sql.query(
      'DELETE FROM room_members WHERE room_id = $1 AND user_id = $2',
      [roomId, userId],
    );
    return rowCount > 0;
  }

  /** The rooms a user belongs to, with their scopes: one query per scoped request. */
  async membershipsOf(userId: string): Promise<Membership[]> {
    const { rows } = await this.#sql.query<{
      room_id: string;
      room_role: RoomRole;
      scope_units: string[];
      scope_sectors: string[];
    }>(
      `SELECT m.room_id, m.room_role, r.scope_units, r.scope_sectors
       FROM room_members m JOIN rooms r ON r.id = m.room_id
       WHERE m.user_id = $1 ORDER BY m.room_id`,
      [userId],
    );
    return rows.map((r) => ({
      roomId: r.room_id,
      role: r.room_role,
      scope: { units: r.scope_units, sectors: r.scope_sectors },
    }));
  }

  /** Inserts the room; undefined when its id is taken. */
  async #insert(input: RoomInput): Promise<Room | undefined> {
    const { rows } = await this.#sql.query<RoomRow>(
      `INSERT INTO rooms (id, name_vi, name_en, scope_units, scope_sectors, scenes, rotation)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (id) DO NOTHING RETURNING *`,
      [input.id, ...columns(input)],
    );
    return rows[0] && toRoom(rows[0]);
  }
}

function columns(input: Omit<RoomInput, 'id'>): unknown[] {
  return [
    input.name.vi,
    input.name.en,
    [...input.scope.units],
    [...input.scope.sectors],
    JSON.stringify(input.scenes),
    input.kiosk.rotation,
  ];
}

function toRoom(row: RoomRow): Room {
  return {
    id: row.id,
    name: { vi: row.name_vi, en: row.name_en },
    scope: { units: row.scope_units, sectors: row.scope_sectors },
    scenes: typeof row.scenes === 'string' ? JSON.parse(row.scenes) : row.scenes,
    kiosk: { rotation: row.rotation },
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}
