import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MachineFacts } from './machine.js';

/** One side of a comparison: the median of the measured rounds. */
export interface Measurement {
  /** What was measured, e.g. "InfluxStore.writePoints". */
  label: string;
  /** Median over the rounds, in the benchmark's unit. */
  value: number;
  /** Every round's figure, in the order they ran. */
  rounds: number[];
}

export interface BenchmarkResult {
  id: string;
  title: string;
  /** Unit of `value`, e.g. "points/s". */
  unit: string;
  /** Set for costs (CPU, bytes, latency): there a ratio below 1 is the good side. */
  lowerIsBetter?: boolean;
  /** The load's shape (sizes, counts, rounds), to compare runs with each other. */
  parameters: Record<string, number>;
  /** The IOC's own path. */
  subject: Measurement;
  /** The reference measured in the same run; null when it could not run (see notes). */
  baseline: Measurement | null;
  /** subject / baseline: above 1 the IOC is faster (with lowerIsBetter: costs more). */
  ratio: number | null;
  /** Load shape and anything a reader needs to trust the figures (losses, skipped parts). */
  notes: string[];
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  durationS: number;
  machine: MachineFacts;
  results: BenchmarkResult[];
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export function measurement(label: string, rounds: number[]): Measurement {
  return { label, value: Math.round(median(rounds)), rounds: rounds.map(Math.round) };
}

export function ratioOf(subject: Measurement, baseline: Measurement | null): number | null {
  if (!baseline || !(baseline.value > 0)) return null;
  return Math.round((subject.value / baseline.value) * 100) / 100;
}

const number = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** A Markdown page: machine facts, one table row per benchmark, then the notes. */
export function renderMarkdown(report: BenchReport): string {
  const { machine } = report;
  const lines = [
    `# IOC benchmarks, ${report.startedAt}`,
    '',
    `Machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ` +
      `${machine.os}; Node.js ${machine.node}; influxd ${machine.influxd ?? 'not installed'}; ` +
      `mosquitto ${machine.mosquitto ?? 'not installed'}; load average ${machine.loadAverage} at start. Each figure is the median of ` +
      'several rounds; ratio = IOC / baseline (above 1: the IOC is faster, except on rows marked ' +
      '"lower is better", which measure a cost).',
    '',
    '| benchmark | IOC | baseline | ratio |',
    '|---|---|---|---|',
  ];
  for (const result of report.results) {
    const subject = `${cell(result.subject.label)}: **${number.format(result.subject.value)} ${result.unit}**`;
    const baseline = result.baseline
      ? `${cell(result.baseline.label)}: ${number.format(result.baseline.value)} ${result.unit}`
      : 'not measured (see notes)';
    const ratio =
      result.ratio === null
        ? 'n/a'
        : `${result.ratio.toFixed(2)}x${result.lowerIsBetter ? ' (lower is better)' : ''}`;
    lines.push(`| ${cell(result.title)} | ${subject} | ${baseline} | ${ratio} |`);
  }
  for (const result of report.results) {
    lines.push('', `**${result.title}**`, '');
    for (const note of result.notes) lines.push(`- ${note}`);
  }
  lines.push('', `Run took ${report.durationS} s.`, '');
  return lines.join('\n');
}

/** Writes `bench-<timestamp>.json|.md` and `latest.json|.md`; returns the timestamped paths. */
export async function writeReport(dir: string, report: BenchReport): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const stamp = `${report.startedAt.slice(0, 19).replace(/:/g, '-')}Z`;
  const json = `${JSON.stringify(report, null, 2)}\n`;
  const markdown = renderMarkdown(report);
  const files: [string, string][] = [
    [`bench-${stamp}.json`, json],
    [`bench-${stamp}.md`, markdown],
    ['latest.json', json],
    ['latest.md', markdown],
  ];
  for (const [name, text] of files) await writeFile(join(dir, name), text);
  return files.slice(0, 2).map(([name]) => join(dir, name));
}
