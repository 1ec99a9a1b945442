/**
 * Sectors (lĩnh vực): the second axis after the administrative unit. Every device, metric,
 * KPI, alert and room carries one; a department's operations room sees its sector.
 */
export const SECTORS = {
  environment: { vi: 'Tài nguyên và Môi trường', en: 'Natural resources and environment' },
  agriculture: { vi: 'Nông nghiệp và Thủy lợi', en: 'Agriculture and irrigation' },
  transport: { vi: 'Giao thông vận tải', en: 'Transport' },
  health: { vi: 'Y tế', en: 'Health' },
  construction: { vi: 'Xây dựng và Đô thị', en: 'Construction and urban development' },
  'it-infrastructure': { vi: 'Hạ tầng công nghệ thông tin', en: 'IT infrastructure' },
  'public-services': { vi: 'Dịch vụ hành chính công', en: 'Public administrative services' },
} as const satisfies Record<string, LocalizedText>;

export type Sector = keyof typeof SECTORS;

/** Text in Vietnamese (first) and English. */
export interface LocalizedText {
  readonly vi: string;
  readonly en: string;
}

export const SECTOR_IDS = Object.keys(SECTORS) as Sector[];

export function isSector(value: unknown): value is Sector {
  return typeof value === 'string' && Object.hasOwn(SECTORS, value);
}
