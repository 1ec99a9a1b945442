/** The active speaker and who spoke before, most recent first (what last-N ranks by). */
export class SpeakerHistory {
  readonly #capacity: number;
  #active: string | null = null;
  #recent: string[] = [];

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get active(): string | null {
    return this.#active;
  }

  get recent(): readonly string[] {
    return this.#recent;
  }

  /** Records the dominant speaker; false when it already was the active one. */
  spoke(peerId: string): boolean {
    if (peerId === this.#active) return false;
    this.#active = peerId;
    this.#recent = [peerId, ...this.#recent.filter((id) => id !== peerId)].slice(0, this.#capacity);
    return true;
  }

  /** Forgets a peer that left; true when it was the active speaker (now nobody is). */
  forget(peerId: string): boolean {
    this.#recent = this.#recent.filter((id) => id !== peerId);
    if (this.#active !== peerId) return false;
    this.#active = null;
    return true;
  }
}
