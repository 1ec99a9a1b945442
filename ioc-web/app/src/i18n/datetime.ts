// Every time in the IOC is shown in Viet Nam's time zone as dd/MM/yyyy HH:mm:ss (24 h),
// whatever the language, the browser's locale or the machine's own time zone.
const parts = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Asia/Ho_Chi_Minh',
  day: '2-digit',
  month: '2-digit',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

export function formatDateTime(date: Date): string {
  const p: Record<string, string> = {};
  for (const { type, value } of parts.formatToParts(date)) p[type] = value;
  return `${p.day}/${p.month}/${p.year} ${p.hour}:${p.minute}:${p.second}`;
}

export function formatTime(date: Date): string {
  return formatDateTime(date).slice(11);
}
