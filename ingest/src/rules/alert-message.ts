import type { AdminUnitTree } from '@ioc/core';
import { type DeviceCatalogue, SECTORS } from '@ioc/devices';
import type { Rule } from './rule.js';
import type { SourceDetail } from './rule-state-store.js';
import {
  type BilingualText,
  formatDuration,
  renderTemplate,
  SEVERITY_NAMES,
  type TemplateValue,
} from './template.js';

export interface AlertMessageContext {
  catalogue: DeviceCatalogue;
  units: AdminUnitTree;
}

/**
 * The rule's message template rendered in both languages for one source: device, place,
 * sector and metric by their names from the catalogue and the unit tree.
 */
export function renderAlertMessage(
  rule: Rule,
  detail: SourceDetail,
  deviceName: string | null,
  { catalogue, units }: AlertMessageContext,
): BilingualText {
  const condition = rule.condition;
  const type = detail.type !== null ? catalogue.get(detail.type) : undefined;
  const metric =
    detail.type !== null && detail.metric !== null
      ? catalogue.metric(detail.type, detail.metric)
      : undefined;
  const unit = detail.unit !== null ? units.get(detail.unit) : undefined;
  const values: Record<string, TemplateValue> = {
    rule: rule.name,
    severity: SEVERITY_NAMES[rule.severity],
    area: unit ? { vi: unit.name, en: unit.nameEn ?? unit.name } : detail.unit,
    areaCode: detail.unit,
    sector:
      detail.sector !== null && Object.hasOwn(SECTORS, detail.sector)
        ? SECTORS[detail.sector as keyof typeof SECTORS]
        : detail.sector,
    device: detail.deviceId,
    deviceName: deviceName ?? detail.deviceId,
    type: type ? type.name : detail.type,
    metric: metric ? metric.name : detail.metric,
    value: detail.value,
    unit: metric?.unitDisplay ?? '',
  };
  switch (condition.kind) {
    case 'threshold':
      values.threshold = condition.value;
      values.clear = condition.clear ?? condition.value;
      break;
    case 'rate':
      values.change = condition.by;
      values.delta = detail.delta;
      values.window = formatDuration(condition.windowS);
      break;
    case 'missing-data':
      values.silence =
        type !== undefined
          ? formatDuration((condition.factor ?? 1) * type.reportIntervalS)
          : undefined;
      break;
    case 'kpi':
      values.kpi = condition.kpi;
      values.target = condition.target;
      break;
  }
  return {
    vi: renderTemplate(rule.message.vi, values, 'vi'),
    en: renderTemplate(rule.message.en, values, 'en'),
  };
}
