import type { ConditionKind } from './rule.js';

export type Language = 'vi' | 'en';

/** Text given in both languages; the template of each language takes its own. */
export interface BilingualText {
  vi: string;
  en: string;
}

/** A placeholder's value: numbers are formatted per language, null renders as "—". */
export type TemplateValue = string | number | boolean | BilingualText | null | undefined;

const COMMON = ['rule', 'severity', 'area', 'areaCode', 'sector'] as const;
const DEVICE = ['device', 'deviceName', 'type'] as const;

/** The placeholders a message template of each condition kind may use. */
export const PLACEHOLDERS: Record<ConditionKind, readonly string[]> = {
  threshold: [...COMMON, ...DEVICE, 'metric', 'value', 'unit', 'threshold', 'clear'],
  rate: [...COMMON, ...DEVICE, 'metric', 'value', 'unit', 'change', 'delta', 'window'],
  'missing-data': [...COMMON, ...DEVICE, 'metric', 'silence'],
  offline: [...COMMON, ...DEVICE],
  kpi: [...COMMON, 'kpi', 'value', 'target'],
};

const PLACEHOLDER = /\{([A-Za-z][A-Za-z0-9]*)\}/g;

/** The placeholder names a template uses, in order of appearance (repeats kept once). */
export function placeholdersOf(template: string): string[] {
  return [...new Set(Array.from(template.matchAll(PLACEHOLDER), (match) => match[1] as string))];
}

const NUMBER_FORMATS: Record<Language, Intl.NumberFormat> = {
  vi: new Intl.NumberFormat('vi-VN', { maximumFractionDigits: 2 }),
  en: new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 }),
};

const BOOLEANS: Record<Language, [string, string]> = {
  vi: ['có', 'không'],
  en: ['yes', 'no'],
};

/**
 * Fills `{name}` placeholders with `values` in one language: numbers as that language
 * writes them (12,5 in Vietnamese, 12.5 in English), bilingual values in that language,
 * missing values as "—". The result is Unicode NFC.
 */
export function renderTemplate(
  template: string,
  values: Record<string, TemplateValue>,
  language: Language,
): string {
  return template
    .replace(PLACEHOLDER, (whole, name: string) => {
      if (!Object.hasOwn(values, name)) return whole;
      return formatValue(values[name], language);
    })
    .normalize('NFC');
}

function formatValue(value: TemplateValue, language: Language): string {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'number') return NUMBER_FORMATS[language].format(value);
  if (typeof value === 'boolean') return BOOLEANS[language][value ? 0 : 1];
  if (typeof value === 'string') return value;
  return value[language];
}

const DURATION_UNITS: Record<Language, Array<[seconds: number, label: string]>> = {
  vi: [
    [86_400, 'ngày'],
    [3600, 'giờ'],
    [60, 'phút'],
    [1, 'giây'],
  ],
  en: [
    [86_400, 'd'],
    [3600, 'h'],
    [60, 'min'],
    [1, 's'],
  ],
};

/** "1 giờ 30 phút" / "1 h 30 min": the two largest whole units of a duration in seconds. */
export function formatDuration(seconds: number): BilingualText {
  const text = (language: Language) => {
    let rest = Math.max(0, Math.round(seconds));
    const parts: string[] = [];
    for (const [size, label] of DURATION_UNITS[language]) {
      if (rest >= size && parts.length < 2) {
        parts.push(`${Math.floor(rest / size)} ${label}`);
        rest %= size;
      }
    }
    return parts.length > 0 ? parts.join(' ') : `0 ${language === 'vi' ? 'giây' : 's'}`;
  };
  return { vi: text('vi'), en: text('en') };
}

/** Severity names as the wall shows them (glossary: nghiêm trọng, cao, trung bình...). */
export const SEVERITY_NAMES: Record<string, BilingualText> = {
  critical: { vi: 'nghiêm trọng', en: 'critical' },
  major: { vi: 'cao', en: 'major' },
  minor: { vi: 'trung bình', en: 'minor' },
  warning: { vi: 'thấp', en: 'warning' },
  info: { vi: 'thông tin', en: 'info' },
};
