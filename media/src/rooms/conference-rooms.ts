import type { Conference } from '../conferences/conference.js';
import {
  ConferenceRoom,
  type ConferenceRoomOptions,
  type RoomCloseReason,
} from './conference-room.js';

export type ConferenceRoomsOptions = Omit<ConferenceRoomOptions, 'conference'>;

/**
 * The live rooms by conference id: a room opens on the first join and is forgotten when it
 * closes, so that the next join (after a worker died, say) opens a fresh one on a live worker.
 */
export class ConferenceRooms {
  readonly #options: ConferenceRoomsOptions;
  readonly #rooms = new Map<string, ConferenceRoom>();
  readonly #opening = new Map<string, Promise<ConferenceRoom>>();
  #closed = false;

  constructor(options: ConferenceRoomsOptions) {
    this.#options = options;
  }

  get(conferenceId: string): ConferenceRoom | undefined {
    return this.#rooms.get(conferenceId);
  }

  get size(): number {
    return this.#rooms.size;
  }

  /** Peers seated across every live room (for `/metrics`). */
  get peerCount(): number {
    let peers = 0;
    for (const room of this.#rooms.values()) peers += room.peerCount;
    return peers;
  }

  /** The conference's room, opened now if it has none (joins arriving together share one). */
  async open(conference: Conference): Promise<ConferenceRoom> {
    if (this.#closed) throw new Error('conference rooms are closed');
    const live = this.#rooms.get(conference.id);
    if (live && !live.closed) {
      live.updateConference(conference);
      return live;
    }
    let opening = this.#opening.get(conference.id);
    if (!opening) {
      opening = ConferenceRoom.create({ ...this.#options, conference })
        .then((room) => {
          this.#rooms.set(conference.id, room);
          room.once('close', () => {
            if (this.#rooms.get(conference.id) === room) this.#rooms.delete(conference.id);
          });
          return room;
        })
        .finally(() => this.#opening.delete(conference.id));
      this.#opening.set(conference.id, opening);
    }
    return opening;
  }

  /** Ends a conference's room now (cancelled or ended early); false when it has none. */
  end(
    conferenceId: string,
    reason: Extract<RoomCloseReason, 'conference-ended' | 'cancelled'>,
  ): boolean {
    const room = this.#rooms.get(conferenceId);
    if (!room) return false;
    room.close(reason);
    return true;
  }

  /** Closes every room (peers are told to reconnect) and opens no more. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled(this.#opening.values());
    for (const room of [...this.#rooms.values()]) room.close('server-stopping');
  }
}
