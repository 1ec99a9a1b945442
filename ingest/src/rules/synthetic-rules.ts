import type { AdminUnitTree } from '@ioc/core';
import type { DeviceCatalogue } from '@ioc/devices';
import type { RuleInput } from './rule.js';

/**
 * `count` valid rules spread over every numeric metric of the catalogue and over scopes (a
 * type, a type in a unit subtree, a sector, the whole province), mostly thresholds near the
 * top of each metric's range with a "for", some rates of change and missing-data rules: what
 * a province that has written many rules evaluates for each message. For the benchmark
 * (messages/s with N rules against none); the same inputs every time.
 */
export function syntheticRules(
  count: number,
  { catalogue, units }: { catalogue: DeviceCatalogue; units: AdminUnitTree },
): RuleInput[] {
  const targets = catalogue
    .types()
    .flatMap((type) =>
      type.metrics
        .filter((metric) => metric.kind !== 'boolean')
        .map((metric) => ({ type, metric })),
    );
  const areas = units.all().filter((unit) => unit.parentCode !== null);
  const rules: RuleInput[] = [];
  for (let i = 0; i < count; i++) {
    const { type, metric } = targets[i % targets.length] as (typeof targets)[number];
    const area = areas[i % Math.max(1, areas.length)];
    const min = metric.min ?? 0;
    const span = (metric.max ?? min + 100) - min;
    const shape = i % 4;
    const scope =
      shape === 0
        ? { type: type.id }
        : shape === 1 && area
          ? { type: type.id, unit: area.code }
          : shape === 2
            ? { sector: type.sector }
            : {};
    const id = `bench-${String(i).padStart(5, '0')}`;
    const name = { vi: `Quy tắc thử ${i}`, en: `Benchmark rule ${i}` };
    const pattern = i % 10;
    if (pattern < 7) {
      const threshold = round(min + span * (0.9 + (i % 7) / 100));
      rules.push({
        id,
        name,
        severity: 'warning',
        scope,
        condition: {
          kind: 'threshold',
          metric: metric.key,
          op: 'above',
          value: threshold,
          clear: round(threshold - span * 0.05),
          forS: 60,
        },
        message: {
          vi: '{metric} tại {device} là {value} {unit}, vượt ngưỡng {threshold}',
          en: '{metric} at {device} is {value} {unit}, above {threshold}',
        },
      });
    } else if (pattern < 9) {
      rules.push({
        id,
        name,
        severity: 'minor',
        scope,
        condition: {
          kind: 'rate',
          metric: metric.key,
          direction: 'rise',
          by: round(span * 0.5),
          windowS: 600,
        },
        message: {
          vi: '{metric} tại {device} tăng {delta} {unit} trong {window}',
          en: '{metric} at {device} rose {delta} {unit} within {window}',
        },
      });
    } else {
      rules.push({
        id,
        name,
        severity: 'major',
        scope,
        condition: { kind: 'missing-data', metric: metric.key, factor: 3 },
        message: {
          vi: '{device} không gửi {metric} trong {silence}',
          en: '{device} sent no {metric} for {silence}',
        },
      });
    }
  }
  return rules;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
