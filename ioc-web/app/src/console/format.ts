// Console formatting: times as dd/MM/yyyy HH:mm in Viet Nam time, and people-readable text
// for errors the server sends (its code translated when the catalogue knows it).
import { ApiError, NetworkError } from '../api/client';
import { formatDateTime } from '../i18n/datetime';
import type { Messages } from '../i18n/vi';

/** dd/MM/yyyy HH:mm, 24 h, Asia/Ho_Chi_Minh; empty for a missing or unreadable instant. */
export function formatMinute(iso: string | null | undefined): string {
  if (!iso) return '';
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? formatDateTime(new Date(ms)).slice(0, 16) : '';
}

export function formatMinuteOf(date: Date): string {
  return formatDateTime(date).slice(0, 16);
}

/** A number as people read it in the chosen language (Vietnamese: 1.234,5). */
export function formatNumber(value: number, language: 'vi' | 'en'): string {
  return value.toLocaleString(language === 'vi' ? 'vi-VN' : 'en-GB', {
    maximumFractionDigits: 2,
  });
}

/**
 * What went wrong, for a banner: the translated text of the server's code when known,
 * else its own message, always with status and code so support can find it in the logs.
 */
export function errorText(
  t: Messages,
  error: unknown,
  known: Readonly<Record<string, string>> = {},
): string {
  if (error instanceof ApiError) {
    const head =
      known[error.code] ?? (error.status === 403 ? t.console.error.forbidden : undefined);
    const detail = `${t.console.error.server(error.status, error.code)}: ${error.message}`;
    return head ? `${head} ${detail}` : detail;
  }
  if (error instanceof NetworkError) return t.console.error.network;
  return error instanceof Error ? error.message : String(error);
}
