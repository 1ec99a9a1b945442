import type { AlertChangeKind, AlertSeverity } from '@ioc/core';

/** Text in Vietnamese (first) and English. */
export interface Bilingual {
  vi: string;
  en: string;
}

export const SEVERITY_TEXT: Record<AlertSeverity, Bilingual> = {
  critical: { vi: 'Nghiêm trọng', en: 'Critical' },
  major: { vi: 'Cao', en: 'Major' },
  minor: { vi: 'Thấp', en: 'Minor' },
  warning: { vi: 'Cảnh báo', en: 'Warning' },
  info: { vi: 'Thông tin', en: 'Info' },
};

export const CHANGE_TEXT: Record<AlertChangeKind | 'test', Bilingual> = {
  raised: { vi: 'Cảnh báo mới', en: 'New alert' },
  retriggered: { vi: 'Cảnh báo lặp lại', en: 'Alert re-triggered' },
  acknowledged: { vi: 'Cảnh báo đã được tiếp nhận', en: 'Alert acknowledged' },
  assigned: { vi: 'Cảnh báo đã được phân công', en: 'Alert assigned' },
  commented: { vi: 'Cảnh báo có ý kiến mới', en: 'Alert commented' },
  resolved: { vi: 'Cảnh báo đã được xử lý', en: 'Alert resolved' },
  cleared: { vi: 'Cảnh báo đã tự hết', en: 'Alert cleared' },
  escalated: { vi: 'Cảnh báo chưa được tiếp nhận, đã chuyển cấp', en: 'Alert escalated' },
  grouped: { vi: 'Cảnh báo đã được gộp nhóm', en: 'Alert grouped' },
  test: { vi: 'Thông báo thử', en: 'Test notification' },
};

export const DISPLAY_TIME_ZONE = 'Asia/Ho_Chi_Minh';

const PARTS = new Intl.DateTimeFormat('en-GB', {
  timeZone: DISPLAY_TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

/** An instant as `dd/MM/yyyy HH:mm` in Vietnam time; the input as is when it is not a time. */
export function formatVietnamTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const part = Object.fromEntries(PARTS.formatToParts(date).map((p) => [p.type, p.value]));
  return `${part.day}/${part.month}/${part.year} ${part.hour}:${part.minute}`;
}
