// Conference times as people type them: dd/MM/yyyy HH:mm, 24 h, in Viet Nam's time (UTC+7 all
// year, no daylight saving), whatever the browser's own time zone.
import { formatDateTime } from '../../i18n/datetime';

const VIET_NAM_OFFSET_MS = 7 * 3600_000;
const PATTERN = /^\s*(\d{1,2})\/(\d{1,2})\/(\d{4})\s+(\d{1,2}):(\d{2})\s*$/;

/** The instant `dd/MM/yyyy HH:mm` names in Asia/Ho_Chi_Minh, or undefined if it names none. */
export function parseLocalMinute(text: string): Date | undefined {
  const match = PATTERN.exec(text);
  if (!match) return undefined;
  const [day, month, year, hour, minute] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59) return undefined;
  const utc = Date.UTC(year, month - 1, day, hour, minute);
  // Date.UTC rolls 31/02 over into March: refuse instead of guessing.
  if (new Date(utc).getUTCDate() !== day) return undefined;
  return new Date(utc - VIET_NAM_OFFSET_MS);
}

/** `dd/MM/yyyy HH:mm` in Asia/Ho_Chi_Minh. */
export function formatLocalMinute(date: Date): string {
  return formatDateTime(date).slice(0, 16);
}
