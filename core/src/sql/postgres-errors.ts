import { StartupError } from '../errors.js';

/** Network failures: the server is not there (or not listening where the URL says). */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOENT', // unix socket path
]);

/**
 * `postgres://user@host:port/db`: the URL without its password and query string, fit for
 * logs and error messages.
 */
export function redactDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const user = parsed.username ? `${parsed.username}@` : '';
    const host = decodeURIComponent(parsed.hostname) || 'localhost';
    const port = parsed.port || '5432';
    return `${parsed.protocol}//${user}${host}:${port}${parsed.pathname}`;
  } catch {
    return '(an unparsable DATABASE_URL)';
  }
}

/**
 * Turns a failure to connect into one line saying what is wrong and what to do. The
 * password never appears in it, even where the driver quoted it.
 */
export function describeConnectError(err: unknown, url: string): StartupError {
  const where = redactDatabaseUrl(url);
  const e = err as { code?: string; message?: string; errors?: { code?: string }[] };
  const code = e.code ?? e.errors?.find((inner) => inner.code)?.code;
  const message = scrub(firstLine(e.message ?? String(err)), url);
  const parsed = safeUrl(url);
  const user = parsed ? decodeURIComponent(parsed.username) : '';
  const database = parsed ? decodeURIComponent(parsed.pathname.slice(1)) : '';

  if (code && UNREACHABLE.has(code)) {
    return new StartupError(
      `cannot reach PostgreSQL at ${where} (${code}); start it or fix DATABASE_URL`,
      'SQL_UNREACHABLE',
    );
  }
  if (/timeout/i.test(message)) {
    return new StartupError(
      `cannot reach PostgreSQL at ${where} (no answer in time); start it or fix DATABASE_URL`,
      'SQL_UNREACHABLE',
    );
  }
  if (code === '28P01') {
    return new StartupError(
      `PostgreSQL at ${where} refused user "${user}" with the given password; fix the user or password in DATABASE_URL`,
      'SQL_AUTH_FAILED',
    );
  }
  if (code === '28000') {
    return new StartupError(
      `PostgreSQL at ${where} refused the login (${message}); fix the user in DATABASE_URL or the server's pg_hba.conf`,
      'SQL_AUTH_FAILED',
    );
  }
  if (/client password must be a string|password must be a string/i.test(message)) {
    return new StartupError(
      `PostgreSQL at ${where} asks for a password and DATABASE_URL has none; use postgres://user:password@host/db`,
      'SQL_AUTH_FAILED',
    );
  }
  if (code === '3D000') {
    return new StartupError(
      `database "${database}" does not exist on PostgreSQL at ${where}; create it (createdb ${database}) or fix DATABASE_URL`,
      'SQL_DATABASE_MISSING',
    );
  }
  return new StartupError(
    `cannot open PostgreSQL at ${where} (${code ? `${code}: ` : ''}${message}); check the server and DATABASE_URL`,
    'SQL_OPEN_FAILED',
  );
}

function safeUrl(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? '';
}

/** Removes the password (raw and URL-decoded, user info or query) wherever it occurs. */
function scrub(text: string, url: string): string {
  const parsed = safeUrl(url);
  let out = text.replaceAll(url, redactDatabaseUrl(url));
  const secrets = [
    parsed?.password,
    parsed && decodeURIComponent(parsed.password),
    parsed?.searchParams.get('password'),
  ];
  for (const secret of secrets) if (secret) out = out.replaceAll(secret, '***');
  return out;
}
