import { readFile } from 'node:fs/promises';
import { loadUnitTree } from '@ioc/core';
import { loadDeviceCatalogue } from '@ioc/devices';
import { DEMO_DEVICE_TYPES } from '@ioc/simulators';
import { describe, expect, it } from 'vitest';
import { KpiCatalogue } from '../kpi/index.js';
import { renderAlertMessage } from './alert-message.js';
import type { Rule } from './rule.js';
import { checkRuleInput } from './rule-check.js';
import { DEMO_RULES_FILE } from './rules-file.js';

const [units, catalogue, kpis, file] = await Promise.all([
  loadUnitTree('da-nang-2025'),
  loadDeviceCatalogue(),
  KpiCatalogue.load(),
  readFile(DEMO_RULES_FILE, 'utf8'),
]);
const entries = (JSON.parse(file) as { rules: Array<Record<string, unknown>> }).rules;
const checked = entries.map((entry) =>
  checkRuleInput(entry, { catalogue, units, kpis: { has: (code) => !!kpis.get(code) } }),
);
const rules = checked.flatMap((c) => (c.ok ? [c.rule] : []));

describe('the demo rules (ingest/data/demo-rules.json)', () => {
  it('are all valid against the device catalogue, the unit tree and the KPI catalogue', () => {
    expect(checked.filter((c) => !c.ok)).toEqual([]);
    expect(new Set(entries.map((e) => e.id)).size).toBe(entries.length);
    expect(entries.every((e) => typeof e.id === 'string')).toBe(true);
  });

  it('watch every demo device type, the PLC ones too, for going offline', () => {
    const offline = rules.filter((r) => r.condition.kind === 'offline').map((r) => r.scope.type);
    for (const type of [...DEMO_DEVICE_TYPES, 'pump-station', 'sluice-gate']) {
      expect(offline).toContain(type);
    }
  });

  it('keep each threshold inside its metric range, with the clear level on the safe side', () => {
    for (const rule of rules) {
      if (rule.condition.kind !== 'threshold') continue;
      const metric = catalogue.metric(rule.scope.type as string, rule.condition.metric);
      expect(metric, rule.id).toBeDefined();
      expect(rule.condition.value).toBeGreaterThan(metric?.min ?? Number.NEGATIVE_INFINITY);
      expect(rule.condition.value).toBeLessThan(metric?.max ?? Number.POSITIVE_INFINITY);
      expect(rule.condition.clear, rule.id).toBeLessThan(rule.condition.value);
      expect(rule.condition.forS, rule.id).toBeGreaterThan(0);
    }
  });

  it('escalate the water level through three alert levels', () => {
    const levels = rules
      .filter((r) => r.condition.kind === 'threshold' && r.condition.metric === 'level_cm')
      .map((r) => [r.severity, r.condition.kind === 'threshold' && r.condition.value]);
    expect(levels).toEqual([
      ['warning', 280],
      ['major', 320],
      ['critical', 360],
    ]);
  });

  it('write Vietnamese with its diacritics, in NFC', () => {
    for (const rule of rules) {
      expect(rule.message.vi.normalize('NFC')).toBe(rule.message.vi);
      expect(rule.name.vi, rule.id).toMatch(/[^\u0020-\u007e]/);
    }
    const rule = rules.find((r) => r.id === 'water-level-alert-ii') as Rule;
    const ward = units.children('48')[0];
    const text = renderAlertMessage(
      { ...rule, enabled: true } as Rule,
      {
        deviceId: 'wl-hoa-xuan-01',
        type: 'water-level',
        unit: ward?.code ?? null,
        sector: 'environment',
        metric: 'level_cm',
        value: 331.5,
      },
      'Trạm đo mực nước Hoà Xuân 01',
      { catalogue, units },
    );
    expect(text.vi).toBe(
      `Mực nước tại Trạm đo mực nước Hoà Xuân 01 (${ward?.name}) là 331,5 cm, vượt mức báo động II (320 cm)`,
    );
    expect(text.en).toMatch(/^Water level at .* is 331\.5 cm, above alert level II \(320 cm\)$/);
  });
});
