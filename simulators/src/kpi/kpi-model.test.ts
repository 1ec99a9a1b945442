import { type AdminUnitTree, loadUnitTree } from '@ioc/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { addDays } from './calendar.js';
import { DEMO_KPI_SECTORS, dayLoad, KpiDemoModel, type KpiDemoRow } from './kpi-model.js';

let units: AdminUnitTree;
let model: KpiDemoModel;

beforeAll(async () => {
  units = await loadUnitTree('da-nang-2025');
  model = new KpiDemoModel({ units, seed: 1 });
});

/** Sums of a KPI per key over days [from, from + days). */
function totals(
  rows: KpiDemoRow[],
  kpi: string,
  key: (row: KpiDemoRow) => string,
): Map<string, number> {
  const out = new Map<string, number>();
  for (const row of rows) {
    if (row.kpi === kpi) out.set(key(row), (out.get(key(row)) ?? 0) + row.value);
  }
  return out;
}

function days(from: string, count: number): KpiDemoRow[] {
  return Array.from({ length: count }, (_, i) => model.day(addDays(from, i))).flat();
}

describe('KpiDemoModel', () => {
  it('covers every commune, ward and special zone, the same way for the same seed', () => {
    expect(model.units).toHaveLength(94);
    expect(model.units).not.toContain('48');
    const monday = model.day('2025-10-06');
    expect(new Set(monday.map((r) => r.unit)).size).toBe(94);
    expect(new KpiDemoModel({ units, seed: 1 }).day('2025-10-06')).toEqual(monday);
    expect(new KpiDemoModel({ units, seed: 2 }).day('2025-10-06')).not.toEqual(monday);
    // Six dossier KPIs per sector, three service counts and (when people were served) a rating.
    const ward = model.unitDay('20194', '2025-10-06');
    expect(ward.length).toBeGreaterThanOrEqual(6 * Object.keys(DEMO_KPI_SECTORS).length + 3);
  });

  it('gives consistent figures: whole non-negative counts, online ≤ received, services add up', () => {
    const rows = days('2025-06-02', 14);
    const byKey = new Map(rows.map((r) => [`${r.kpi}|${r.unit}|${r.sector}|${r.date}`, r.value]));
    for (const row of rows) {
      expect(Number.isInteger(row.value) || row.kpi === 'satisfaction_score').toBe(true);
      expect(row.value).toBeGreaterThanOrEqual(0);
      const key = (kpi: string) => byKey.get(`${kpi}|${row.unit}|${row.sector}|${row.date}`) ?? 0;
      if (row.kpi === 'dossiers_online')
        expect(row.value).toBeLessThanOrEqual(key('dossiers_received'));
      if (row.kpi === 'services_total') {
        expect(key('services_fully_online') + key('services_partly_online')).toBeLessThanOrEqual(
          row.value,
        );
      }
      if (row.kpi === 'satisfaction_score') expect(row.value).toBeLessThanOrEqual(100);
    }
  });

  it('makes communes differ: some chronically late, the province near its 95 % target', () => {
    const rows = days('2025-03-03', 90);
    const onTime = totals(rows, 'dossiers_on_time', (r) => r.unit);
    const late = totals(rows, 'dossiers_late', (r) => r.unit);
    const rates = new Map<string, number>();
    for (const [unit, ok] of onTime) {
      const resolved = ok + (late.get(unit) ?? 0);
      if (resolved > 100) rates.set(unit, (100 * ok) / resolved);
    }
    expect(rates.size).toBeGreaterThan(80);
    const values = [...rates.values()];
    for (const rate of values) expect(rate).toBeGreaterThanOrEqual(0);
    for (const rate of values) expect(rate).toBeLessThanOrEqual(100);
    expect(Math.max(...values) - Math.min(...values)).toBeGreaterThan(10);
    const chronic = model.units.filter((u) => model.profile(u)?.chronicallyLate);
    expect(chronic.length).toBeGreaterThan(3);
    for (const unit of chronic) if (rates.has(unit)) expect(rates.get(unit)).toBeLessThan(92);
    const allOnTime = [...onTime.values()].reduce((a, b) => a + b, 0);
    const allLate = [...late.values()].reduce((a, b) => a + b, 0);
    const province = (100 * allOnTime) / (allOnTime + allLate);
    expect(province).toBeGreaterThan(88);
    expect(province).toBeLessThan(98);
    // Wards are busier than rural communes.
    const received = totals(rows, 'dossiers_received', (r) => r.unit);
    const mean = (type: string) => {
      const list = model.units.filter((u) => units.get(u)?.type === type);
      return list.reduce((sum, u) => sum + (received.get(u) ?? 0), 0) / list.length;
    };
    expect(mean('ward')).toBeGreaterThan(1.5 * mean('commune'));
  });

  it('makes sectors differ: land dossiers run late more often than civil-status ones', () => {
    const rows = days('2025-03-03', 60);
    const onTime = totals(rows, 'dossiers_on_time', (r) => r.sector);
    const late = totals(rows, 'dossiers_late', (r) => r.sector);
    const rate = (sector: string) =>
      (onTime.get(sector) ?? 0) / ((onTime.get(sector) ?? 0) + (late.get(sector) ?? 0));
    expect(rate('environment')).toBeLessThan(rate('public-services') - 0.04);
  });

  it('empties the desks on weekends and at Tết, and fills them before Tết', () => {
    const received = (date: string) =>
      model
        .day(date)
        .filter((r) => r.kpi === 'dossiers_received')
        .reduce((sum, r) => sum + r.value, 0);
    const monday = received('2025-10-06');
    expect(received('2025-10-05')).toBeLessThan(monday * 0.1); // Sunday
    expect(received('2025-10-04')).toBeLessThan(monday * 0.5); // Saturday
    expect(received('2026-02-17')).toBeLessThan(monday * 0.1); // Tết
    expect(dayLoad('2026-02-04')).toBeGreaterThan(dayLoad('2025-10-08')); // a Wednesday each
  });

  it('gives the flows so far during the day and the whole stocks', () => {
    const whole = model.unitDay('20194', '2025-10-06');
    const half = model.unitDay('20194', '2025-10-06', 0.5);
    for (const row of half) {
      const full = whole.find((w) => w.kpi === row.kpi && w.sector === row.sector)?.value ?? 0;
      if (['dossiers_overdue', 'dossiers_in_progress', 'services_total'].includes(row.kpi))
        expect(row.value).toBe(full);
      else if (row.kpi !== 'satisfaction_score') expect(row.value).toBeLessThanOrEqual(full);
    }
    const received = (rows: KpiDemoRow[]) =>
      rows.filter((r) => r.kpi === 'dossiers_received').reduce((s, r) => s + r.value, 0);
    expect(received(half)).toBeLessThan(received(whole));
  });
});
