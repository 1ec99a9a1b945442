import { createHmac, timingSafeEqual } from 'node:crypto';

/** `X-IOC-Signature` value for a body: `sha256=<hex HMAC-SHA256 of the raw body bytes>`. */
export function signWebhookBody(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * What a receiver does with `X-IOC-Signature`: recompute over the raw bytes it received (not
 * re-serialised JSON) and compare in constant time.
 */
export function verifyWebhookSignature(
  secret: string,
  body: string | Buffer,
  header: string | undefined,
): boolean {
  if (!header) return false;
  const expected = Buffer.from(signWebhookBody(secret, body));
  const actual = Buffer.from(header);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
