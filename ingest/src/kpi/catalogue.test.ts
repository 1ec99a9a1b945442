import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KpiCatalogue, KpiDefinitionError } from './catalogue.js';
import { tempDir } from './test-support.js';

const count = (code: string, extra: Record<string, unknown> = {}) => ({
  code,
  name: { vi: code, en: code },
  unitOfMeasure: { vi: 'hồ sơ', en: 'dossiers' },
  direction: 'neutral',
  sector: 'public-services',
  category: 'one-stop',
  rollup: 'sum',
  time: 'sum',
  min: 0,
  integer: true,
  ...extra,
});

const ratio = (code: string, numerator: string[], denominator: string[]) => ({
  code,
  name: { vi: code, en: code },
  unitOfMeasure: { vi: '%', en: '%' },
  direction: 'higher',
  target: 95,
  sector: 'public-services',
  category: 'one-stop',
  rollup: 'ratio',
  numerator,
  denominator,
  scale: 100,
});

async function kpiFile(content: unknown): Promise<string> {
  const file = join(await tempDir(), 'kpis.json');
  await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

function problemsOf(make: () => unknown): string[] {
  try {
    make();
  } catch (err) {
    expect(err).toBeInstanceOf(KpiDefinitionError);
    expect((err as KpiDefinitionError).code).toBe('CONFIG_INVALID');
    return (err as KpiDefinitionError).problems;
  }
  throw new Error('expected KpiDefinitionError');
}

describe('KpiCatalogue', () => {
  it('ships the one-stop and online-service defaults', async () => {
    const catalogue = await KpiCatalogue.load();
    for (const code of [
      'dossiers_received',
      'dossiers_on_time',
      'dossiers_late',
      'dossiers_overdue',
      'dossiers_in_progress',
      'dossiers_online',
      'on_time_rate',
      'overdue_rate',
      'online_filing_rate',
      'services_total',
      'services_fully_online',
      'services_partly_online',
      'fully_online_share',
      'partly_online_share',
      'satisfaction_score',
    ]) {
      expect(catalogue.get(code), code).toBeDefined();
    }
    expect(catalogue.get('on_time_rate')).toMatchObject({
      name: { vi: 'Tỷ lệ hồ sơ giải quyết đúng hạn' },
      direction: 'higher',
      target: 95,
      rollup: 'ratio',
      scale: 100,
    });
    expect(catalogue.get('dossiers_overdue')).toMatchObject({ rollup: 'sum', time: 'last' });
    expect(catalogue.components('on_time_rate').map((d) => d.code)).toEqual([
      'dossiers_on_time',
      'dossiers_late',
    ]);
    expect(catalogue.components('dossiers_received').map((d) => d.code)).toEqual([
      'dossiers_received',
    ]);
    expect(catalogue.components('nope')).toEqual([]);
  });

  it('extends and overrides the defaults from ingest.kpiFile, or replaces them', async () => {
    const extended = await KpiCatalogue.load(
      await kpiFile({
        kpis: [
          count('land_dossiers', { sector: 'environment' }),
          { ...ratio('on_time_rate', ['dossiers_on_time'], ['dossiers_received']), target: 98 },
        ],
      }),
    );
    expect(extended.get('land_dossiers')?.sector).toBe('environment');
    expect(extended.get('on_time_rate')?.target).toBe(98);
    expect(extended.get('dossiers_late')).toBeDefined();

    const replaced = await KpiCatalogue.load(
      await kpiFile({ replaceDefaults: true, kpis: [count('only_one')] }),
    );
    expect(replaced.all().map((d) => d.code)).toEqual(['only_one']);
    expect(replaced.get('only_one')?.target).toBeNull(); // default filled in
  });

  it('names every problem: sector, rollup, dangling or non-sum ratio parts, duplicates', () => {
    const problems = problemsOf(
      () =>
        new KpiCatalogue([
          count('a', { sector: 'fishing' }),
          count('b', { rollup: 'median' }),
          count('c', { time: 'last', min: 5, max: 1 }),
          { ...count('m'), rollup: 'mean', time: 'mean' },
          ratio('r', ['ghost'], ['m']),
          count('c'),
          count('Bad Code'),
        ]),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/kpis\[0\] \(a\): sector "fishing" is not one of/),
        expect.stringMatching(/kpis\[1\] \(b\): rollup must be sum, mean or ratio; got "median"/),
        expect.stringMatching(/kpis\[2\] \(c\): min is above max/),
        expect.stringMatching(/r: numerator "ghost" is not a defined KPI/),
        expect.stringMatching(/r: denominator "m" must be a KPI with rollup "sum", not "mean"/),
        expect.stringMatching(/kpis\[5\] \(c\): code "c" is used twice/),
        expect.stringMatching(/kpis\[6\] \(Bad Code\)\/code: /),
      ]),
    );
    expect(problemsOf(() => new KpiCatalogue([{ ...count('x'), time: 'mean' }]))).toEqual([
      expect.stringMatching(/kpis\[0\] \(x\)\/time/),
    ]);
  });

  it('refuses a file that is not JSON or lacks "kpis", naming the file', async () => {
    const broken = await kpiFile('{ "kpis": [');
    await expect(KpiCatalogue.load(broken)).rejects.toThrow(
      new RegExp(`invalid KPI definitions \\(${broken}\\): cannot read it as JSON`),
    );
    await expect(KpiCatalogue.load(await kpiFile({ kpi: [] }))).rejects.toThrow(
      /expected \{"kpis": \[\.\.\.\]/,
    );
    await expect(KpiCatalogue.load('/nonexistent/kpis.json')).rejects.toBeInstanceOf(
      KpiDefinitionError,
    );
  });
});
