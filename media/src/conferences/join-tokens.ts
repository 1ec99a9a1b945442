// Join-link tokens: stateless, one per invited unit of a conference. A token carries its unit and
// expiry in the clear and an HMAC-SHA256 over (conference id, unit, expiry) with a key kept in
// SQL, so every IOC process accepts the links any of them signed and no token is ever stored.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SqlExecutor } from '@ioc/core';

/** What a valid token says: the unit it speaks for and when it stops working. */
export interface JoinTokenClaims {
  unit: string;
  expiresAt: Date;
}

const VERSION = 'v1';
/** Bytes of HMAC-SHA256 output. */
const MAC_BYTES = 32;

/** Signs and checks join-link tokens with one key. */
export class JoinTokens {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length < 32) throw new Error('a join-link key needs at least 32 bytes');
    this.#key = key;
  }

  /** `<unit, base64url>.<expiry, epoch seconds base 36>.<mac, base64url>` */
  sign(conferenceId: string, unit: string, expiresAt: Date): string {
    const expiry = Math.floor(expiresAt.getTime() / 1000);
    const mac = this.#mac(conferenceId, unit, expiry);
    return `${Buffer.from(unit, 'utf8').toString('base64url')}.${expiry.toString(36)}.${mac.toString('base64url')}`;
  }

  /**
   * The token's claims when it was signed with this key for this conference; undefined when
   * it is malformed, tampered with, or belongs to another conference. Expiry is the caller's
   * to judge, so it can say "expired" rather than "invalid".
   */
  verify(conferenceId: string, token: string): JoinTokenClaims | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const [unitPart, expiryPart, macPart] = parts as [string, string, string];
    if (!/^[A-Za-z0-9_-]{1,200}$/.test(unitPart) || !/^[0-9a-z]{1,12}$/.test(expiryPart)) {
      return undefined;
    }
    if (!/^[A-Za-z0-9_-]{43}$/.test(macPart)) return undefined;
    const unit = Buffer.from(unitPart, 'base64url').toString('utf8');
    const expiry = Number.parseInt(expiryPart, 36);
    const given = Buffer.from(macPart, 'base64url');
    const expected = this.#mac(conferenceId, unit, expiry);
    if (given.length !== MAC_BYTES || !timingSafeEqual(given, expected)) return undefined;
    return { unit, expiresAt: new Date(expiry * 1000) };
  }

  #mac(conferenceId: string, unit: string, expiry: number): Buffer {
    // Length-prefixed fields: no two (id, unit, expiry) triples give the same input.
    const fields = [VERSION, conferenceId, unit, String(expiry)];
    const input = fields.map((f) => `${Buffer.byteLength(f)}:${f}`).join('|');
    return createHmac('sha256', this.#key).update(input).digest();
  }
}

/**
 * The join-link key from SQL, made on first use. Two processes racing here both end up with
 * the row that won the insert.
 */
export async function loadJoinLinkKey(sql: SqlExecutor): Promise<Buffer> {
  await sql.query(
    'INSERT INTO conference_link_key (id, secret) VALUES (1, $1) ON CONFLICT (id) DO NOTHING',
    [randomBytes(32).toString('base64url')],
  );
  const { rows } = await sql.query<{ secret: string }>(
    'SELECT secret FROM conference_link_key WHERE id = 1',
  );
  const secret = rows[0]?.secret;
  if (!secret) throw new Error('the conference join-link key is missing from SQL');
  return Buffer.from(secret, 'base64url');
}
