import { safeEqual, sha256 } from '@ioc/core';

/**
 * Remembers device secrets that passed the scrypt check, so that a reconnect storm (every
 * device of the province after a broker restart) costs a sha256 per device instead of
 * tens of milliseconds of CPU each. Entries are keyed by the stored hash too: rotating a
 * secret, in this process or another, changes that hash and the old entry stops matching.
 * Device secrets are 192 random bits, so a sha256 of one is as good as the secret's hash.
 */
export class VerifiedSecrets {
  readonly #entries = new Map<string, { storedHash: string; digest: string }>();

  constructor(private readonly capacity = 100_000) {}

  matches(id: string, storedHash: string, secret: string): boolean {
    const entry = this.#entries.get(id);
    return (
      entry !== undefined &&
      entry.storedHash === storedHash &&
      safeEqual(entry.digest, sha256(secret))
    );
  }

  remember(id: string, storedHash: string, secret: string): void {
    // Map keeps insertion order: deleting first makes this the newest, the first the oldest.
    this.#entries.delete(id);
    this.#entries.set(id, { storedHash, digest: sha256(secret) });
    if (this.#entries.size > this.capacity) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
  }

  forget(id: string): void {
    this.#entries.delete(id);
  }
}
