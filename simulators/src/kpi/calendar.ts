// Local days in Asia/Ho_Chi_Minh (UTC+7 all year, no daylight saving) and the holidays that
// empty the one-stop offices.

const OFFSET_MS = 7 * 3_600_000;
const DAY_MS = 86_400_000;

/** The local day (`yyyy-MM-dd`) an instant falls on. */
export function localDateOf(ms: number): string {
  return new Date(ms + OFFSET_MS).toISOString().slice(0, 10);
}

/** Minutes since local midnight. */
export function localMinutesOf(ms: number): number {
  return Math.floor(((ms + OFFSET_MS) % DAY_MS) / 60_000);
}

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
}

/** 0 = Sunday … 6 = Saturday. */
export function weekdayOf(date: string): number {
  return new Date(`${date}T00:00:00Z`).getUTCDay();
}

/** Day of the year, 1-based. */
export function dayOfYear(date: string): number {
  return daysBetween(`${date.slice(0, 4)}-01-01`, date) + 1;
}

// First day of the lunar new year (Tết Nguyên Đán) in Việt Nam.
const TET: Record<number, string> = {
  2020: '2020-01-25',
  2021: '2021-02-12',
  2022: '2022-02-01',
  2023: '2023-01-22',
  2024: '2024-02-10',
  2025: '2025-01-29',
  2026: '2026-02-17',
  2027: '2027-02-06',
  2028: '2028-01-26',
  2029: '2029-02-13',
  2030: '2030-02-03',
  2031: '2031-01-23',
  2032: '2032-02-11',
};

/** Tết of the year `date` falls in (an approximation outside 2020-2032). */
export function tetOf(year: number): string {
  return TET[year] ?? `${year}-02-01`;
}

// Solar public holidays: New Year, Reunification Day, Labour Day, National Day (two days).
const FIXED_HOLIDAYS = new Set(['01-01', '04-30', '05-01', '09-01', '09-02']);

export function isFixedHoliday(date: string): boolean {
  return FIXED_HOLIDAYS.has(date.slice(5));
}
