export interface LoginThrottleOptions {
  /** Failed logins from one address, within `windowMs`, that trigger a block. */
  maxFailures: number;
  windowMs: number;
  /** How long an address is refused without asking the authenticator. */
  blockMs: number;
  /** Addresses tracked at most; the oldest are forgotten first (bounds memory under a scan). */
  maxAddresses: number;
}

export const DEFAULT_LOGIN_THROTTLE: LoginThrottleOptions = {
  maxFailures: 5,
  windowMs: 60_000,
  blockMs: 30_000,
  maxAddresses: 10_000,
};

interface AddressRecord {
  failures: number[];
  blockedUntil: number;
}

/**
 * Counts failed MQTT logins per remote address and blocks an address that fails too often,
 * so that password guessing costs the guesser time and the registry nothing. A success does
 * not clear the record: devices behind one NAT share an address with whoever is guessing.
 */
export class LoginThrottle {
  readonly options: LoginThrottleOptions;
  readonly #addresses = new Map<string, AddressRecord>();

  constructor(options: Partial<LoginThrottleOptions> = {}) {
    this.options = { ...DEFAULT_LOGIN_THROTTLE, ...options };
  }

  /** Milliseconds the address stays blocked, or 0 when it may try to log in. */
  blockedFor(address: string, now: number): number {
    const record = this.#addresses.get(address);
    return record && record.blockedUntil > now ? record.blockedUntil - now : 0;
  }

  /** Records a failed login; true when this failure starts a block. */
  recordFailure(address: string, now: number): boolean {
    const { maxFailures, windowMs, blockMs, maxAddresses } = this.options;
    let record = this.#addresses.get(address);
    if (record) {
      this.#addresses.delete(address); // re-inserted below: Map order is "least recently failed first"
    } else {
      record = { failures: [], blockedUntil: 0 };
    }
    record.failures = record.failures.filter((at) => now - at < windowMs);
    record.failures.push(now);
    let blocked = false;
    if (record.failures.length >= maxFailures) {
      record.blockedUntil = now + blockMs;
      record.failures = [];
      blocked = true;
    }
    this.#addresses.set(address, record);
    this.#forgetOldest(maxAddresses, now);
    return blocked;
  }

  get trackedAddresses(): number {
    return this.#addresses.size;
  }

  #forgetOldest(max: number, now: number): void {
    for (const [address, record] of this.#addresses) {
      if (this.#addresses.size <= max) return;
      // An address still blocked is kept if anything else can go first.
      if (record.blockedUntil > now && this.#addresses.size <= max * 2) continue;
      this.#addresses.delete(address);
    }
  }
}
