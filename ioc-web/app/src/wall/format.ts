// Numbers and times on the wall: per language (12,5 in Vietnamese, 12.5 in English), times
// always in Viet Nam's time zone.
import type { Language } from '../i18n/i18n';

const numberFormats: Record<Language, Intl.NumberFormat> = {
  vi: new Intl.NumberFormat('vi-VN', { maximumFractionDigits: 1 }),
  en: new Intl.NumberFormat('en-GB', { maximumFractionDigits: 1 }),
};

export function formatNumber(value: number, language: Language): string {
  return numberFormats[language].format(value);
}

/** A value with its unit of measure: "94,6%" or "90 điểm". */
export function withUnit(value: number, unit: string, language: Language): string {
  const number = formatNumber(value, language);
  if (unit === '') return number;
  return unit === '%' ? `${number}%` : `${number} ${unit}`;
}

const shortTime = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Asia/Ho_Chi_Minh',
  day: '2-digit',
  month: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

/** "14:05 21/11": when an alert was raised, compact for a list. */
export function formatShortTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const p: Record<string, string> = {};
  for (const { type, value } of shortTime.formatToParts(date)) p[type] = value;
  return `${p.hour}:${p.minute} ${p.day}/${p.month}`;
}
