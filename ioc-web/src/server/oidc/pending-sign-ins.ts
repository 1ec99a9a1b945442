import { randomSecret } from '@ioc/core';

/** What a sign-in started at the SSO must be finished with (never leaves the server). */
export interface PendingSignIn {
  state: string;
  nonce: string;
  codeVerifier: string;
  redirectUrl: string;
  /** Where in the app to land afterwards (a local path). */
  returnTo: string;
}

/**
 * Sign-ins between the redirect to the SSO and its callback, kept in memory under a random
 * id that only the browser's short-lived cookie holds. Each is used once; after `ttlMs` it is
 * gone (the person simply starts again). Bounded, so a flood of login starts cannot grow it.
 */
export class PendingSignIns {
  readonly #entries = new Map<string, { value: PendingSignIn; expiresAt: number }>();

  constructor(
    readonly ttlMs = 10 * 60_000,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  put(value: PendingSignIn): string {
    this.#purgeExpired();
    if (this.#entries.size >= this.maxEntries) {
      // The oldest is dropped: Map iteration follows insertion order.
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    const id = randomSecret();
    this.#entries.set(id, { value, expiresAt: this.now() + this.ttlMs });
    return id;
  }

  /** The sign-in under `id`, removed so it cannot be replayed; undefined if unknown or expired. */
  take(id: string): PendingSignIn | undefined {
    const entry = this.#entries.get(id);
    this.#entries.delete(id);
    if (!entry || entry.expiresAt <= this.now()) return undefined;
    return entry.value;
  }

  get size(): number {
    return this.#entries.size;
  }

  #purgeExpired(): void {
    const now = this.now();
    for (const [id, entry] of this.#entries) {
      if (entry.expiresAt > now) break; // insertion order = expiry order
      this.#entries.delete(id);
    }
  }
}
