import { appendFile, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { InfluxStore } from '@ioc/core';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SpoolBatchInfo, TelemetrySpool, type TelemetrySpoolOptions } from './spool.js';
import { countPoints, TestInflux, tempDir, testLogger } from './test-support.js';

let influx: TestInflux;
let store: InfluxStore;

beforeAll(async () => {
  influx = await TestInflux.start();
  store = await influx.connect('ioc_spool_test');
});

afterAll(async () => {
  await store?.close();
  await influx?.stop();
});

const BASE = Date.UTC(2026, 10, 1);
/** Line i of a device: one point per ms, field v = i. */
const lines = (device: string, from: number, count: number) =>
  Array.from(
    { length: count },
    (_, k) => `telemetry,device=${device} v=${from + k} ${BASE + from + k}`,
  );

async function openSpool(dir: string, extra: Partial<TelemetrySpoolOptions> = {}) {
  const metrics = new Registry();
  const spool = await TelemetrySpool.open({
    dir,
    influx: store,
    logger: testLogger(),
    metrics,
    batchLines: 1000,
    retryDelayMs: { min: 20, max: 200 },
    ...extra,
  });
  const batches: SpoolBatchInfo[] = [];
  spool.on('written', (batch) => batches.push(batch));
  return { spool, metrics, batches };
}

/** Batches must follow each other without gap or overlap, starting at `from`. */
function expectContiguous(batches: SpoolBatchInfo[], from: number, total: number) {
  let next = from;
  for (const batch of batches) {
    expect(batch.firstSeq).toBe(next);
    next += batch.lines;
  }
  expect(next - from).toBe(total);
}

async function segmentBytes(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir)) {
    if (name.endsWith('.lp')) total += (await stat(join(dir, name))).size;
  }
  return total;
}

describe('TelemetrySpool', () => {
  it('writes appended lines to InfluxDB in order and in batches, then deletes used segments', async () => {
    const dir = await tempDir();
    const { spool, metrics, batches } = await openSpool(dir, { segmentBytes: 64 * 1024 });
    await Promise.all([spool.append(lines('s1', 0, 2500)), spool.append(lines('s1', 2500, 2500))]);
    await spool.drained();
    expect(await countPoints(store, 'v', 's1')).toBe(5000);
    expectContiguous(batches, 0, 5000);
    expect(Math.max(...batches.map((b) => b.lines))).toBeLessThanOrEqual(1000);
    expect(await metrics.getSingleMetricAsString('ioc_ingest_points_written_total')).toMatch(
      / 5000$/m,
    );
    expect(spool.health()).toEqual({ status: 'up' });
    // Several segments were written (64 KiB each); all but the open one are gone.
    expect((await readdir(dir)).filter((n) => n.endsWith('.lp'))).toHaveLength(1);
    expect(await readFile(join(dir, 'committed'), 'utf8')).toBe('5000\n');
    await spool.close();
  });

  it('refuses lines with a newline and appends after close', async () => {
    const { spool } = await openSpool(await tempDir());
    await expect(spool.append(['a v=1 1\nb v=2 2'])).rejects.toThrow('contain no newline');
    await spool.close();
    await expect(spool.append(lines('s0', 0, 1))).rejects.toThrow('the telemetry spool is closed');
  });

  it('keeps a growing backlog on disk while InfluxDB is down and drains it in order after', async () => {
    const dir = await tempDir();
    const { spool, metrics, batches } = await openSpool(dir, { maxBacklogBytes: 100_000 });
    await spool.append(lines('s2', 0, 500));
    await spool.drained();
    await influx.stop();
    try {
      let previous = await segmentBytes(dir);
      for (let round = 1; round <= 5; round++) {
        await spool.append(lines('s2', round * 1000, 1000));
        const bytes = await segmentBytes(dir);
        expect(bytes).toBeGreaterThan(previous);
        previous = bytes;
      }
      expect(spool.pendingLines).toBe(5000);
      expect(spool.pendingBytes).toBeGreaterThan(100_000);
      const health = spool.health();
      expect(health.status).toBe('down');
      expect(health.reason).toMatch(/^spool backlog .* exceeds 97\.7 KiB: 5000 lines/);
      expect(await metrics.getSingleMetricAsString('ioc_ingest_spool_pending_lines')).toMatch(
        / 5000$/m,
      );
      // The writer keeps trying while InfluxDB is away.
      await new Promise<void>((resolve) => {
        const poll = () =>
          void metrics
            .getSingleMetricAsString('ioc_ingest_spool_write_errors_total')
            .then((text) => {
              if (/ [1-9]\d*$/m.test(text)) resolve();
              else setTimeout(poll, 20);
            });
        poll();
      });
    } finally {
      await influx.resume();
    }
    await spool.drained();
    expectContiguous(batches, 0, 5500);
    expect(await countPoints(store, 'v', 's2')).toBe(5500);
    expect(spool.health()).toEqual({ status: 'up' });
    await spool.close();
  });

  it('replays unconfirmed lines after a restart, without duplicates', async () => {
    const dir = await tempDir();
    const first = await openSpool(dir);
    await first.spool.append(lines('s3', 0, 1500));
    await first.spool.drained();
    await influx.stop();
    try {
      await first.spool.append(lines('s3', 1500, 2500));
      expect(first.spool.pendingLines).toBe(2500);
      await first.spool.close();
    } finally {
      await influx.resume();
    }
    const second = await openSpool(dir);
    expect(second.spool.nextSeq).toBe(4000);
    await second.spool.drained();
    expectContiguous(second.batches, 1500, 2500);
    expect(await countPoints(store, 'v', 's3')).toBe(4000);
    await second.spool.close();

    // A lost offset (crash before it was saved) replays everything: still no duplicates.
    await writeFile(join(dir, 'committed'), '0\n');
    const third = await openSpool(dir);
    await third.spool.drained();
    expect(await countPoints(store, 'v', 's3')).toBe(4000);
    await third.spool.close();
  });

  it('cuts a torn last line left by a crash and goes on appending after it', async () => {
    const dir = await tempDir();
    const first = await openSpool(dir);
    await first.spool.append(lines('s4', 0, 10));
    await first.spool.drained();
    await first.spool.close();
    const [segment] = (await readdir(dir)).filter((n) => n.endsWith('.lp'));
    await appendFile(join(dir, segment as string), 'telemetry,device=s4 v=9');
    const second = await openSpool(dir);
    expect(second.spool.pendingLines).toBe(0);
    await second.spool.append(lines('s4', 10, 5));
    await second.spool.drained();
    expectContiguous(second.batches, 10, 5);
    expect(await countPoints(store, 'v', 's4')).toBe(15);
    await second.spool.close();
  });

  it('skips a batch InfluxDB refuses as invalid instead of blocking behind it', async () => {
    const { spool, metrics } = await openSpool(await tempDir(), { batchLines: 2 });
    const refused: string[] = [];
    spool.on('refused', (batch) => refused.push(batch.error));
    // Field v is a float in this shard already (earlier tests), so a string v conflicts.
    await spool.append([`telemetry,device=s5 v="text" ${BASE}`, `telemetry,device=s5 w=1 ${BASE}`]);
    await spool.append(lines('s5', 0, 3));
    await spool.drained();
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatch(/HTTP 400/);
    expect(await metrics.getSingleMetricAsString('ioc_ingest_spool_refused_lines_total')).toMatch(
      / 2$/m,
    );
    expect(await countPoints(store, 'v', 's5')).toBe(3);
    // InfluxDB kept the valid line of the refused batch.
    expect(await countPoints(store, 'w', 's5')).toBe(1);
    await spool.close();
  });
});
