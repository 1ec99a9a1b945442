import type { ServerVersion } from './server-version.js';

/**
 * The `Authorization` header for a configured token: `user:password` (the 1.x form) goes as
 * HTTP Basic, which every 1.x accepts; other tokens go as `Token` (2.x, 3.x, 1.8+) or, before
 * 1.8, as a `Bearer` JWT.
 */
export function authorizationHeader(token: string, version: ServerVersion): string | undefined {
  if (!token) return undefined;
  if (token.includes(':')) return `Basic ${Buffer.from(token, 'utf8').toString('base64')}`;
  if (version.major === 1 && version.minor < 8) return `Bearer ${token}`;
  return `Token ${token}`;
}
