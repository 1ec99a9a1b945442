import { type InfluxStore, type KpiObservation, LiveBus } from '@ioc/core';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { KpiCatalogue } from './catalogue.js';
import { KpiService, MAX_KPI_BATCH } from './kpi-service.js';
import { localDateOf } from './local-day.js';
import { smallProvince, TestInflux, testLogger } from './test-support.js';

let influx: TestInflux;
let store: InfluxStore;
let kpi: KpiService;
let metrics: Registry;
const bus = new LiveBus();
const observed: KpiObservation[][] = [];
bus.subscribe('kpi.observed', (event) => observed.push(event.observations));

beforeAll(async () => {
  influx = await TestInflux.start();
  store = await influx.connect('ioc_kpi_test');
  metrics = new Registry();
  kpi = new KpiService({
    influx: store,
    catalogue: await KpiCatalogue.load(),
    units: smallProvince(),
    bus,
    logger: testLogger(),
    metrics,
  });
});

afterAll(async () => {
  await store?.close();
  await influx?.stop();
});

async function stored(code: string, unit?: string): Promise<Array<[number, number]>> {
  const [series] = await store.query(
    `SELECT "value" FROM kpi WHERE "kpi" = $code${unit ? ' AND "unit" = $unit' : ''}`,
    unit ? { code, unit } : { code },
  );
  return (series?.values ?? []) as Array<[number, number]>;
}

describe('KPI submissions', () => {
  it('stores the good rows and names each bad one by index and reason', async () => {
    const tomorrow = localDateOf(Date.now() + 2 * 86_400_000);
    const good = { kpi: 'dossiers_received', unit: 'C11', date: '2025-01-06', value: 14 };
    const report = await kpi.submit([
      good,
      { kpi: 'dossiers_recieved', unit: 'C11', date: '2025-01-06', value: 1 },
      { kpi: 'dossiers_received', unit: 'X99', date: '2025-01-06', value: 1 },
      { kpi: 'dossiers_received', unit: 'C12', date: '2025-01-06', value: '12' },
      { kpi: 'dossiers_received', unit: 'C12', date: '2025-01-06', value: -1 },
      { kpi: 'dossiers_received', unit: 'C12', date: '2025-01-06', value: 2.5 },
      { kpi: 'on_time_rate', unit: 'C12', date: '2025-01-06', value: 90 },
      { kpi: 'dossiers_received', unit: 'C12', date: '2025-02-30', value: 1 },
      { kpi: 'dossiers_received', unit: 'C12', date: tomorrow, value: 1 },
      { kpi: 'dossiers_received', unit: 'C12', date: '2025-01-06', ts: 1736100000000, value: 1 },
      { kpi: 'dossiers_received', unit: 'C12', value: 1 },
      { kpi: 'dossiers_received', unit: 'C12', date: '2025-01-06', value: 1, note: 'x' },
      { kpi: 'dossiers_received', unit: 'C12', sector: 'fishing', date: '2025-01-06', value: 1 },
      { ...good, value: 15 },
      null,
      { kpi: 'satisfaction_score', unit: 'C12', date: '2025-01-06', value: 101 },
      { kpi: 'dossiers_received', unit: 'C12', ts: '2025-01-06 10:00', value: 1 },
      { kpi: 'dossiers_received', unit: 'C21', ts: '2025-01-06T10:00:00+07:00', value: 3 },
    ]);
    expect(report.accepted).toBe(2);
    expect(report.rejected).toBe(16);
    expect(report.errors.map((e) => [e.index, e.code])).toEqual([
      [1, 'KPI_UNKNOWN'],
      [2, 'UNIT_UNKNOWN'],
      [3, 'VALUE_INVALID'],
      [4, 'VALUE_INVALID'],
      [5, 'VALUE_INVALID'],
      [6, 'KPI_DERIVED'],
      [7, 'DATE_INVALID'],
      [8, 'DATE_INVALID'],
      [9, 'DATE_INVALID'],
      [10, 'DATE_INVALID'],
      [11, 'ROW_INVALID'],
      [12, 'SECTOR_UNKNOWN'],
      [13, 'ROW_DUPLICATE'],
      [14, 'ROW_INVALID'],
      [15, 'VALUE_INVALID'],
      [16, 'DATE_INVALID'],
    ]);
    const messages = Object.fromEntries(report.errors.map((e) => [e.index, e.message]));
    expect(messages[1]).toContain('"dossiers_recieved" is not a KPI');
    expect(messages[2]).toContain('"X99" is not an administrative unit of dataset kpi-test');
    expect(messages[6]).toContain('computed from dossiers_on_time, dossiers_late');
    expect(messages[11]).toContain('unknown field "note"');
    expect(messages[13]).toContain('repeats row 0');
    expect(messages[15]).toContain('at most 100');

    // Only the good rows reached InfluxDB: the date one at local midnight, the ts one as sent.
    expect(await stored('dossiers_received', 'C11')).toEqual([
      [Date.parse('2025-01-05T17:00:00Z'), 14],
    ]);
    expect(await stored('dossiers_received', 'C21')).toEqual([
      [Date.parse('2025-01-06T03:00:00Z'), 3],
    ]);
    expect(await stored('dossiers_received', 'C12')).toEqual([]);
    // The stored rows first; then the ratio they are a part of (online filing, nothing filed
    // online yet), for each commune and the units above it.
    expect(observed.at(-2)).toEqual([
      {
        kpi: 'dossiers_received',
        unit: 'C11',
        sector: 'public-services',
        date: '2025-01-06',
        ts: '2025-01-05T17:00:00.000Z',
        value: 14,
      },
      {
        kpi: 'dossiers_received',
        unit: 'C21',
        sector: 'public-services',
        date: '2025-01-06',
        ts: '2025-01-06T03:00:00.000Z',
        value: 3,
      },
    ]);
    expect(observed.at(-1)?.map((o) => [o.kpi, o.unit, o.sector, o.date, o.value])).toEqual([
      ['online_filing_rate', 'C11', null, '2025-01-06', 0],
      ['online_filing_rate', 'D1', null, '2025-01-06', 0],
      ['online_filing_rate', 'P1', null, '2025-01-06', 0],
      ['online_filing_rate', 'C21', null, '2025-01-06', 0],
      ['online_filing_rate', 'D2', null, '2025-01-06', 0],
    ]);
    const rejected = await metrics.getSingleMetric('ioc_kpi_observations_rejected_total')?.get();
    expect(rejected?.values.find((v) => v.labels.code === 'DATE_INVALID')?.value).toBe(5);
  });

  it('overwrites on re-send instead of adding points, and stores the target', async () => {
    const rows = [
      { kpi: 'dossiers_late', unit: 'C12', date: '2025-01-07', value: 3 },
      { kpi: 'dossiers_late', unit: 'C12', date: '2025-01-08', value: 4 },
    ];
    await kpi.submit(rows);
    expect(await stored('dossiers_late', 'C12')).toHaveLength(2);
    const again = await kpi.submit([rows[0], { ...rows[1], value: 1 }]);
    expect(again).toMatchObject({ accepted: 2, rejected: 0, dates: { first: '2025-01-07' } });
    expect((await stored('dossiers_late', 'C12')).map(([, value]) => value)).toEqual([3, 1]);

    await kpi.submit([{ kpi: 'satisfaction_score', unit: 'C12', date: '2025-01-07', value: 88 }]);
    const [series] = await store.query(
      `SELECT "value", "target" FROM kpi WHERE "kpi" = 'satisfaction_score'`,
    );
    expect(series?.values).toEqual([[Date.parse('2025-01-06T17:00:00Z'), 88, 90]]);
  });

  it('refuses a batch over the limit as a whole', async () => {
    const rows = Array.from({ length: MAX_KPI_BATCH + 1 }, () => ({}));
    await expect(kpi.submit(rows)).rejects.toMatchObject({
      statusCode: 413,
      code: 'KPI_BATCH_TOO_LARGE',
    });
  });

  it('answers 503 and stores nothing while InfluxDB is down; the same batch goes in later', async () => {
    const rows = [{ kpi: 'dossiers_online', unit: 'C11', date: '2025-01-09', value: 7 }];
    const before = observed.length;
    await influx.stop();
    try {
      await expect(kpi.submit(rows)).rejects.toMatchObject({
        statusCode: 503,
        code: 'KPI_STORE_UNAVAILABLE',
      });
      expect(observed).toHaveLength(before);
    } finally {
      await influx.resume();
    }
    expect(await kpi.submit(rows)).toMatchObject({ accepted: 1 });
    expect(await stored('dossiers_online', 'C11')).toEqual([
      [Date.parse('2025-01-08T17:00:00Z'), 7],
    ]);
  });
});

// Hand-computed roll-ups on the small province (P1 → D1 {C11, C12}, D2 {C21} + D2's own).
describe('KPI roll-ups', () => {
  beforeAll(async () => {
    const day = (date: string) => ({ date });
    const report = await kpi.submit([
      // Monday 03/03/2025
      { kpi: 'dossiers_on_time', unit: 'C11', ...day('2025-03-03'), value: 10 },
      {
        kpi: 'dossiers_on_time',
        unit: 'C11',
        sector: 'environment',
        ...day('2025-03-03'),
        value: 2,
      },
      { kpi: 'dossiers_on_time', unit: 'C12', ...day('2025-03-03'), value: 5 },
      { kpi: 'dossiers_on_time', unit: 'C21', ...day('2025-03-03'), value: 8 },
      { kpi: 'dossiers_on_time', unit: 'D2', ...day('2025-03-03'), value: 4 },
      { kpi: 'dossiers_late', unit: 'C11', ...day('2025-03-03'), value: 0 },
      { kpi: 'dossiers_late', unit: 'C11', sector: 'environment', ...day('2025-03-03'), value: 3 },
      { kpi: 'dossiers_late', unit: 'C12', ...day('2025-03-03'), value: 5 },
      { kpi: 'dossiers_late', unit: 'C21', ...day('2025-03-03'), value: 2 },
      { kpi: 'dossiers_late', unit: 'D2', ...day('2025-03-03'), value: 0 },
      { kpi: 'dossiers_in_progress', unit: 'C11', ...day('2025-03-03'), value: 20 },
      { kpi: 'dossiers_overdue', unit: 'C11', ...day('2025-03-03'), value: 2 },
      { kpi: 'dossiers_overdue', unit: 'C12', ...day('2025-03-03'), value: 1 },
      { kpi: 'satisfaction_score', unit: 'C11', ...day('2025-03-03'), value: 90 },
      { kpi: 'satisfaction_score', unit: 'C12', ...day('2025-03-03'), value: 80 },
      { kpi: 'satisfaction_score', unit: 'C21', ...day('2025-03-03'), value: 70 },
      // Tuesday 04/03/2025: a stock reported at midnight, then again later in the day
      { kpi: 'dossiers_on_time', unit: 'C11', ...day('2025-03-04'), value: 6 },
      { kpi: 'dossiers_late', unit: 'C11', ...day('2025-03-04'), value: 4 },
      { kpi: 'dossiers_in_progress', unit: 'C11', ...day('2025-03-04'), value: 25 },
      { kpi: 'dossiers_in_progress', unit: 'C11', ts: '2025-03-04T09:00:00+07:00', value: 27 },
      { kpi: 'dossiers_overdue', unit: 'C21', ...day('2025-03-04'), value: 3 },
      // Monday 10/03/2025, the next week
      { kpi: 'dossiers_on_time', unit: 'C12', ...day('2025-03-10'), value: 9 },
      { kpi: 'dossiers_late', unit: 'C12', ...day('2025-03-10'), value: 1 },
    ]);
    expect(report.rejected).toBe(0);
  });

  const march = { from: '2025-03-03', to: '2025-03-10' };

  it('sums a flow over the subtree, sectors together or one sector', async () => {
    const series = (unit: string, sector?: string) =>
      kpi.series({ kpi: 'dossiers_on_time', unit, ...march, sector });
    expect((await series('C11')).points).toEqual([
      { date: '2025-03-03', value: 12 },
      { date: '2025-03-04', value: 6 },
    ]);
    expect((await series('D1')).points.map((p) => p.value)).toEqual([17, 6, 9]);
    expect((await series('D2')).points).toEqual([{ date: '2025-03-03', value: 12 }]);
    const province = await series('P1');
    expect(province.points.map((p) => [p.date, p.value])).toEqual([
      ['2025-03-03', 29],
      ['2025-03-04', 6],
      ['2025-03-10', 9],
    ]);
    expect(province).toMatchObject({ unit: 'P1', sector: null, every: '1d', to: '2025-03-10' });
    expect((await series('P1', 'environment')).points).toEqual([{ date: '2025-03-03', value: 2 }]);
  });

  it('divides the rolled-up sums for a ratio, never averaging the ratios', async () => {
    const onTime = (unit: string) => kpi.series({ kpi: 'on_time_rate', unit, ...march });
    const c11 = await onTime('C11');
    expect(c11.points[0]).toEqual({
      date: '2025-03-03',
      value: 80,
      numerator: 12,
      denominator: 15,
    });
    expect((await onTime('D1')).points[0]?.value).toBeCloseTo((17 / 25) * 100, 10);
    expect((await onTime('D2')).points[0]?.value).toBeCloseTo((12 / 14) * 100, 10);
    const province = await onTime('P1');
    // The communes' own rates are 80, 50 and 80: their mean (70) is not the province's rate.
    expect(province.points[0]?.value).toBeCloseTo((29 / 39) * 100, 10);
    expect(province.points.map((p) => p.value)).toEqual([
      (29 / 39) * 100,
      60, // 6 / (6 + 4)
      90, // 9 / (9 + 1)
    ]);
    expect(province.latest).toMatchObject({ date: '2025-03-10', value: 90 });
    expect(province).toMatchObject({ target: 95, direction: 'higher', meetsTarget: false });
  });

  it('takes the last figure of a stock per series before adding units up', async () => {
    const inProgress = await kpi.series({ kpi: 'dossiers_in_progress', unit: 'P1', ...march });
    expect(inProgress.points).toEqual([
      { date: '2025-03-03', value: 20 },
      { date: '2025-03-04', value: 27 },
    ]);
    const overdueRate = await kpi.series({ kpi: 'overdue_rate', unit: 'P1', ...march });
    expect(overdueRate.points).toEqual([
      { date: '2025-03-03', value: (3 / 23) * 100, numerator: 3, denominator: 23 },
      { date: '2025-03-04', value: 10, numerator: 3, denominator: 30 },
    ]);
    expect(overdueRate.meetsTarget).toBe(false); // lower is better, target 5
  });

  it('folds days into weeks and months (flows add up, stocks keep the last day)', async () => {
    const weekly = await kpi.series({ kpi: 'on_time_rate', unit: 'P1', ...march, every: '1w' });
    expect(weekly.points).toEqual([
      { date: '2025-03-03', value: (35 / 49) * 100, numerator: 35, denominator: 49 },
      { date: '2025-03-10', value: 90, numerator: 9, denominator: 10 },
    ]);
    expect(weekly.to).toBe('2025-03-16');
    const monthly = await kpi.series({
      kpi: 'dossiers_in_progress',
      unit: 'D1',
      ...march,
      every: '1mo',
    });
    expect(monthly).toMatchObject({ from: '2025-03-01', to: '2025-03-31' });
    expect(monthly.points).toEqual([{ date: '2025-03-01', value: 27 }]);
  });

  it('averages a mean KPI over the points of the subtree', async () => {
    const score = (unit: string) => kpi.series({ kpi: 'satisfaction_score', unit, ...march });
    expect((await score('D1')).points).toEqual([{ date: '2025-03-03', value: 85 }]);
    expect((await score('P1')).points).toEqual([{ date: '2025-03-03', value: 80 }]);
    expect((await score('P1')).meetsTarget).toBe(false);
  });

  it('breaks a unit down by child in one read, its own figures in the total only', async () => {
    const breakdown = await kpi.breakdown({
      kpi: 'on_time_rate',
      unit: 'P1',
      from: '2025-03-03',
      to: '2025-03-03',
    });
    expect(breakdown.total).toMatchObject({ numerator: 29, denominator: 39 });
    expect(breakdown.children).toEqual([
      { unit: 'D1', name: 'Đơn vị D1', value: 68, numerator: 17, denominator: 25 },
      {
        unit: 'D2',
        name: 'Đơn vị D2',
        value: (12 / 14) * 100,
        numerator: 12,
        denominator: 14,
      },
    ]);
    const d2 = await kpi.breakdown({ kpi: 'dossiers_on_time', unit: 'D2', ...march });
    expect(d2.total).toEqual({ value: 12 });
    expect(d2.children).toEqual([{ unit: 'C21', name: 'Đơn vị C21', value: 8 }]);
    const stock = await kpi.breakdown({ kpi: 'dossiers_in_progress', unit: 'P1', ...march });
    expect(stock.children.map((c) => [c.unit, c.value])).toEqual([
      ['D1', 27],
      ['D2', null],
    ]);
  });

  it('answers 404 for an unknown KPI or unit and 400 for an unknown sector', async () => {
    await expect(kpi.series({ kpi: 'nope', unit: 'P1' })).rejects.toMatchObject({
      statusCode: 404,
      code: 'KPI_NOT_FOUND',
    });
    await expect(kpi.series({ kpi: 'on_time_rate', unit: 'X' })).rejects.toMatchObject({
      statusCode: 404,
      code: 'UNIT_NOT_FOUND',
    });
    await expect(
      kpi.breakdown({ kpi: 'on_time_rate', unit: 'P1', sector: 'fishing' }),
    ).rejects.toMatchObject({ statusCode: 400, code: 'INVALID_QUERY' });
    // The default unit is the tree's root; a period without data has no points.
    const empty = await kpi.series({ kpi: 'on_time_rate', from: '2024-01-01', to: '2024-01-31' });
    expect(empty).toMatchObject({ unit: 'P1', points: [], latest: null, meetsTarget: null });
  });
});

// The ratios a submission changes, announced for the rule engine and walls (issue 4).
describe('ratios announced after a submission', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  const day = '2025-06-02';
  const ts = '2025-06-01T17:00:00.000Z'; // local midnight of 2025-06-02
  const part = (kpi: string, unit: string, value: number, sector?: string) => ({
    kpi,
    unit,
    date: day,
    value,
    ...(sector ? { sector } : {}),
  });
  const summary = (observations: KpiObservation[] | undefined) =>
    observations?.map((o) => [o.kpi, o.unit, o.sector, o.date, o.ts, o.value]);

  it('derives the ratios of a commune and of every unit above it, all sectors together, in one read per kind of part', async () => {
    await kpi.submit([
      part('dossiers_on_time', 'C12', 19),
      part('dossiers_late', 'C12', 1),
      part('dossiers_in_progress', 'C12', 10),
      part('dossiers_overdue', 'C12', 0),
      part('dossiers_on_time', 'C21', 8),
      part('dossiers_late', 'C21', 2),
      part('dossiers_on_time', 'D2', 4),
      part('dossiers_late', 'D2', 0),
    ]);
    const query = vi.spyOn(store, 'query');
    const before = observed.length;
    const report = await kpi.submit([
      part('dossiers_on_time', 'C11', 7),
      part('dossiers_on_time', 'C11', 2, 'environment'),
      part('dossiers_late', 'C11', 3),
      part('dossiers_late', 'C11', 0, 'environment'),
      part('dossiers_in_progress', 'C11', 20),
      part('dossiers_overdue', 'C11', 5),
    ]);
    expect(report.accepted).toBe(6);
    // One event with the stored rows, one with the ratios they change.
    expect(observed).toHaveLength(before + 2);
    expect(observed.at(-2)?.every((o) => o.sector !== null)).toBe(true);
    expect(summary(observed.at(-1))).toEqual([
      // C11: 9 on time of 12 resolved (both sectors).
      ['on_time_rate', 'C11', null, day, ts, 75],
      // D1 = C11 + C12: 28 of 32.
      ['on_time_rate', 'D1', null, day, ts, 87.5],
      // P1 = D1 + C21 + D2's own: 40 of 46 (the mean of the units' rates would differ).
      ['on_time_rate', 'P1', null, day, ts, (40 / 46) * 100],
      // C11: 5 overdue of 25 open; D1 and P1 add C12's 10 open, none overdue.
      ['overdue_rate', 'C11', null, day, ts, 20],
      ['overdue_rate', 'D1', null, day, ts, (5 / 35) * 100],
      ['overdue_rate', 'P1', null, day, ts, (5 / 35) * 100],
    ]);
    // Flows and stocks: one grouped query each, whatever the number of units and rows.
    expect(query).toHaveBeenCalledTimes(2);

    // The same figures as a read of the API gives.
    const read = await kpi.series({ kpi: 'on_time_rate', unit: 'P1', from: day, to: day });
    expect(read.latest?.value).toBe((40 / 46) * 100);
  });

  it('derives only the newest day of a backfill, reading that one day', async () => {
    const days = Array.from({ length: 30 }, (_, i) => `2025-07-${String(i + 1).padStart(2, '0')}`);
    const rows = days.flatMap((date, i) => [
      { kpi: 'dossiers_on_time', unit: 'C21', date, value: 10 + i },
      { kpi: 'dossiers_late', unit: 'C21', date, value: 1 },
    ]);
    const query = vi.spyOn(store, 'query');
    await kpi.submit(rows.reverse()); // order in the batch does not matter
    expect(summary(observed.at(-1))).toEqual([
      ['on_time_rate', 'C21', null, '2025-07-30', '2025-07-29T17:00:00.000Z', (39 / 40) * 100],
      ['on_time_rate', 'D2', null, '2025-07-30', '2025-07-29T17:00:00.000Z', (39 / 40) * 100],
      ['on_time_rate', 'P1', null, '2025-07-30', '2025-07-29T17:00:00.000Z', (39 / 40) * 100],
    ]);
    expect(query).toHaveBeenCalledTimes(1);
    expect(query.mock.calls[0]?.[1]).toEqual({
      from: '2025-07-29T17:00:00.000Z',
      to: '2025-07-30T17:00:00.000Z',
    });
  });

  it('reads nothing for a batch without ratio parts, and announces no ratio without a denominator', async () => {
    const query = vi.spyOn(store, 'query');
    let before = observed.length;
    await kpi.submit([{ kpi: 'satisfaction_score', unit: 'C21', date: '2025-08-01', value: 91 }]);
    expect(query).not.toHaveBeenCalled();
    expect(observed).toHaveLength(before + 1);

    before = observed.length;
    await kpi.submit([
      { kpi: 'dossiers_on_time', unit: 'C21', date: '2025-08-02', value: 0 },
      { kpi: 'dossiers_late', unit: 'C21', date: '2025-08-02', value: 0 },
    ]);
    expect(query).toHaveBeenCalledTimes(1);
    expect(observed).toHaveLength(before + 1); // the stored rows only: 0 of 0 is no rate
  });

  it('still stores and announces the rows when the ratios cannot be read', async () => {
    vi.spyOn(store, 'query').mockRejectedValueOnce(new Error('influxd went away'));
    const before = observed.length;
    const report = await kpi.submit([
      { kpi: 'dossiers_on_time', unit: 'C12', date: '2025-08-03', value: 4 },
    ]);
    expect(report).toMatchObject({ accepted: 1, rejected: 0 });
    expect(observed).toHaveLength(before + 1);
    expect(await stored('dossiers_on_time', 'C12')).toContainEqual([
      Date.parse('2025-08-02T17:00:00Z'),
      4,
    ]);
  });
});
