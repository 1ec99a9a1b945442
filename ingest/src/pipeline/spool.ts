import { EventEmitter } from 'node:events';
import {
  type FileHandle,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { type ComponentHealth, errorMessage, InfluxError, type Logger } from '@ioc/core';
import { Counter, Gauge, type Registry } from 'prom-client';

/** Where the spool sends its lines: InfluxStore.writeLines. */
export interface LineWriter {
  writeLines(lines: readonly string[]): Promise<void>;
}

export interface TelemetrySpoolOptions {
  /** The spool's own directory, e.g. `<dataDir>/spool`; created when missing. */
  dir: string;
  influx: LineWriter;
  logger: Logger;
  /** Where the spool's metrics are registered (removed again on close). */
  metrics?: Registry;
  /** Lines per InfluxDB write; default 5000. */
  batchLines?: number;
  /** A segment file is closed and a new one started past this size; default 16 MiB. */
  segmentBytes?: number;
  /** Health turns 'down' when the backlog on disk exceeds this; default 1 GiB. */
  maxBacklogBytes?: number;
  /** Backoff between failed writes: doubles from min to max; default 200 ms to 10 s. */
  retryDelayMs?: { min: number; max: number };
  /** fdatasync each group commit (default true); false only for throw-away data. */
  fsync?: boolean;
}

export interface SpoolBatchInfo {
  /** Sequence number of the batch's first line; lines are numbered from 0 in append order. */
  firstSeq: number;
  lines: number;
}

export interface TelemetrySpoolEvents {
  /** InfluxDB confirmed a batch; batches come in sequence order. */
  written: [batch: SpoolBatchInfo];
  /** InfluxDB refused a batch as invalid (HTTP 400/422); its valid lines were still stored. */
  refused: [batch: SpoolBatchInfo & { error: string }];
  /** Everything appended so far is in InfluxDB. */
  drained: [];
}

interface Segment {
  firstSeq: number;
  path: string;
  /** Durable bytes (whole lines only). */
  size: number;
  lines: number;
}

interface Batch extends SpoolBatchInfo {
  texts: string[];
  bytes: number;
}

const SEGMENT_SUFFIX = '.lp';
const COMMITTED_FILE = 'committed';
const READ_BYTES = 4 * 1024 * 1024;

/**
 * A durable, append-only spool of line protocol between ingest and InfluxDB.
 *
 * On disk: segment files `<first seq>.lp` of newline-terminated lines, numbered by a
 * global line sequence, and a `committed` file holding the sequence number of the first
 * line InfluxDB has not confirmed yet.
 *
 * Appends use group commit: lines appended while a write+fdatasync is under way are
 * written and synced together by the next one, so `append()` resolves once its lines are
 * on disk without a sync per call. One writer loop reads the segments in order, sends
 * batches of `batchLines` to InfluxDB and advances `committed` only after InfluxDB
 * confirmed; it retries with backoff while InfluxDB is down, so the backlog grows on disk
 * while memory holds at most one batch. `committed` is replaced atomically but not synced:
 * after a crash the spool may resend lines InfluxDB already has, which is harmless because
 * a point with the same series and timestamp overwrites itself. Segments are deleted once
 * every line in them is confirmed. A torn last line (crash during an append, never
 * acknowledged) is cut off on open.
 */
export class TelemetrySpool extends EventEmitter<TelemetrySpoolEvents> {
  readonly dir: string;
  readonly #influx: LineWriter;
  readonly #logger: Logger;
  readonly #metrics: Registry | undefined;
  readonly #batchLines: number;
  readonly #segmentBytes: number;
  readonly #maxBacklogBytes: number;
  readonly #retry: { min: number; max: number };
  readonly #fsync: boolean;

  readonly #segments: Segment[] = [];
  #appendHandle: FileHandle | undefined;
  #readHandle: { segment: Segment; handle: FileHandle } | undefined;
  #nextSeq = 0;
  #committedSeq = 0;
  /** Byte offset of the first unconfirmed line in segments[0]. */
  #readOffset = 0;
  #pendingBytes = 0;
  /** (last seq + 1, time) of appended lines, one entry per second: the lag metric. */
  readonly #appendTimes: { endSeq: number; at: number }[] = [];

  #queued: string[] = [];
  #queuedLines = 0;
  #waiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  #committing: Promise<void> | undefined;

  #closing = false;
  #writerLoop: Promise<void> | undefined;
  #wakeWriter: (() => void) | undefined;
  #failingSince: number | undefined;
  #lastError: string | undefined;

  readonly #written: Counter;
  readonly #writeErrors: Counter;
  readonly #refusedLines: Counter;

  private constructor(options: TelemetrySpoolOptions) {
    super();
    this.dir = options.dir;
    this.#influx = options.influx;
    this.#logger = options.logger.child({ component: 'spool' });
    this.#metrics = options.metrics;
    this.#batchLines = options.batchLines ?? 5000;
    this.#segmentBytes = options.segmentBytes ?? 16 * 1024 * 1024;
    this.#maxBacklogBytes = options.maxBacklogBytes ?? 1024 * 1024 * 1024;
    this.#retry = options.retryDelayMs ?? { min: 200, max: 10_000 };
    this.#fsync = options.fsync ?? true;
    const registers = this.#metrics ? [this.#metrics] : [];
    this.#written = new Counter({
      name: 'ioc_ingest_points_written_total',
      help: 'Telemetry lines InfluxDB confirmed',
      registers,
    });
    this.#writeErrors = new Counter({
      name: 'ioc_ingest_spool_write_errors_total',
      help: 'Failed InfluxDB writes from the spool (each retried)',
      registers,
    });
    this.#refusedLines = new Counter({
      name: 'ioc_ingest_spool_refused_lines_total',
      help: 'Spooled lines in batches InfluxDB refused as invalid (not retried)',
      registers,
    });
    const spool = this;
    new Gauge({
      name: 'ioc_ingest_spool_pending_bytes',
      help: 'Bytes in the spool not yet confirmed by InfluxDB',
      registers,
      collect() {
        this.set(spool.pendingBytes);
      },
    });
    new Gauge({
      name: 'ioc_ingest_spool_pending_lines',
      help: 'Lines in the spool not yet confirmed by InfluxDB',
      registers,
      collect() {
        this.set(spool.pendingLines);
      },
    });
    new Gauge({
      name: 'ioc_ingest_spool_lag_seconds',
      help: 'Age of the oldest line not yet confirmed by InfluxDB (1 s resolution)',
      registers,
      collect() {
        this.set(spool.lagSeconds);
      },
    });
  }

  /** Opens (or creates) the spool in `options.dir`, recovers its state and starts writing. */
  static async open(options: TelemetrySpoolOptions): Promise<TelemetrySpool> {
    const spool = new TelemetrySpool(options);
    try {
      await spool.#recover();
    } catch (err) {
      spool.#unregisterMetrics();
      await spool.#appendHandle?.close();
      throw err;
    }
    spool.#writerLoop = spool.#runWriter();
    return spool;
  }

  get pendingLines(): number {
    return this.#nextSeq - this.#committedSeq;
  }

  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  get lagSeconds(): number {
    const oldest = this.#appendTimes[0];
    return oldest && this.pendingLines > 0 ? Math.max(0, (Date.now() - oldest.at) / 1000) : 0;
  }

  /** Sequence number the next appended line gets. */
  get nextSeq(): number {
    return this.#nextSeq;
  }

  /**
   * Appends lines (line protocol without newlines) and resolves once they are durable on
   * disk. Rejects when the spool is closed or the disk write fails.
   */
  append(lines: readonly string[]): Promise<void> {
    if (this.#closing) return Promise.reject(new Error('the telemetry spool is closed'));
    if (lines.length === 0) return Promise.resolve();
    for (const line of lines) {
      if (line.length === 0 || line.includes('\n')) {
        return Promise.reject(
          new TypeError('spool lines must be non-empty and contain no newline'),
        );
      }
    }
    this.#queued.push(`${lines.join('\n')}\n`);
    this.#queuedLines += lines.length;
    const done = new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    this.#startCommit();
    return done;
  }

  #startCommit(): void {
    if (this.#committing) return;
    this.#committing = this.#commitQueued().finally(() => {
      this.#committing = undefined;
      // Appends that came after the loop's last look at the queue.
      if (this.#queued.length > 0) this.#startCommit();
    });
  }

  /** Resolves once every line appended so far is confirmed by InfluxDB. */
  drained(): Promise<void> {
    if (this.pendingLines === 0 && this.#queuedLines === 0) return Promise.resolve();
    return new Promise((resolve) => this.once('drained', resolve));
  }

  /** 'up' (with the backlog as reason) unless the backlog exceeds maxBacklogBytes. */
  health(): ComponentHealth {
    const pending = this.pendingLines;
    if (pending === 0) return { status: 'up' };
    const backlog = `${pending} lines (${formatBytes(this.#pendingBytes)}) waiting for InfluxDB, oldest ${Math.round(this.lagSeconds)} s`;
    const failing = this.#lastError ? `; last write error: ${this.#lastError}` : '';
    if (this.#pendingBytes > this.#maxBacklogBytes) {
      return {
        status: 'down',
        reason: `spool backlog ${formatBytes(this.#pendingBytes)} exceeds ${formatBytes(this.#maxBacklogBytes)}: ${backlog}${failing}`,
      };
    }
    return { status: 'up', reason: `${backlog}${failing}` };
  }

  /**
   * Finishes the appends under way, stops the writer after its current attempt and closes
   * the files. Unconfirmed lines stay on disk for the next open.
   */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    while (this.#committing) await this.#committing;
    this.#wakeWriter?.();
    await this.#writerLoop;
    await this.#appendHandle?.close();
    await this.#readHandle?.handle.close();
    this.#appendHandle = undefined;
    this.#readHandle = undefined;
    this.#unregisterMetrics();
  }

  async #commitQueued(): Promise<void> {
    while (this.#queued.length > 0) {
      const text = this.#queued.join('');
      const lines = this.#queuedLines;
      const waiters = this.#waiters;
      this.#queued = [];
      this.#queuedLines = 0;
      this.#waiters = [];
      try {
        await this.#writeDurable(Buffer.from(text, 'utf8'), lines);
        for (const waiter of waiters) waiter.resolve();
      } catch (err) {
        this.#logger.error({ err: errorMessage(err) }, 'cannot write to the telemetry spool');
        const error = new Error(`cannot write to the telemetry spool: ${errorMessage(err)}`);
        for (const waiter of waiters) waiter.reject(error);
      }
    }
  }

  async #writeDurable(data: Buffer, lines: number): Promise<void> {
    let segment = this.#segments.at(-1);
    if (!segment || (segment.size > 0 && segment.size + data.length > this.#segmentBytes)) {
      segment = await this.#startSegment();
    }
    const handle = this.#appendHandle as FileHandle;
    try {
      let written = 0;
      while (written < data.length) {
        const { bytesWritten } = await handle.write(data, written, data.length - written);
        written += bytesWritten;
      }
      if (this.#fsync) await handle.datasync();
    } catch (err) {
      // Cut a partial write so the next append does not continue a broken line.
      await handle.truncate(segment.size).catch(() => {});
      throw err;
    }
    segment.size += data.length;
    segment.lines += lines;
    this.#nextSeq += lines;
    this.#pendingBytes += data.length;
    this.#noteAppendTime(this.#nextSeq, Date.now());
    this.#wakeWriter?.();
  }

  async #startSegment(): Promise<Segment> {
    await this.#appendHandle?.close();
    const segment: Segment = {
      firstSeq: this.#nextSeq,
      path: join(this.dir, segmentName(this.#nextSeq)),
      size: 0,
      lines: 0,
    };
    this.#appendHandle = await open(segment.path, 'a');
    if (this.#fsync) await syncDirectory(this.dir);
    this.#segments.push(segment);
    return segment;
  }

  #noteAppendTime(endSeq: number, at: number): void {
    const last = this.#appendTimes.at(-1);
    if (last && at - last.at < 1000) last.endSeq = endSeq;
    else this.#appendTimes.push({ endSeq, at });
  }

  async #runWriter(): Promise<void> {
    while (!this.#closing) {
      const batch = await this.#readBatch();
      if (!batch) {
        // Lines made durable while the read was under way: read again instead of waiting.
        if (this.pendingLines > 0) continue;
        await new Promise<void>((resolve) => {
          this.#wakeWriter = resolve;
        });
        this.#wakeWriter = undefined;
        continue;
      }
      if (!(await this.#send(batch))) return;
      await this.#confirm(batch);
    }
  }

  /** Sends a batch until InfluxDB takes or refuses it; false when closed meanwhile. */
  async #send(batch: Batch): Promise<boolean> {
    let delay = this.#retry.min;
    for (;;) {
      try {
        await this.#influx.writeLines(batch.texts);
        if (this.#failingSince !== undefined) {
          this.#logger.info(
            { downForMs: Date.now() - this.#failingSince, pendingLines: this.pendingLines },
            'InfluxDB writes resumed; draining the spool',
          );
        }
        this.#failingSince = undefined;
        this.#lastError = undefined;
        this.#written.inc(batch.lines);
        this.emit('written', { firstSeq: batch.firstSeq, lines: batch.lines });
        return true;
      } catch (err) {
        const message = errorMessage(err);
        if (err instanceof InfluxError && (err.statusCode === 400 || err.statusCode === 422)) {
          // Retrying an invalid batch would block the spool for ever; InfluxDB stored its valid lines.
          this.#logger.error(
            { err: message, firstSeq: batch.firstSeq, lines: batch.lines },
            'InfluxDB refused spooled lines as invalid; skipping them',
          );
          this.#refusedLines.inc(batch.lines);
          this.emit('refused', { firstSeq: batch.firstSeq, lines: batch.lines, error: message });
          return true;
        }
        this.#writeErrors.inc();
        this.#lastError = message;
        if (this.#failingSince === undefined) {
          this.#failingSince = Date.now();
          this.#logger.warn(
            { err: message, pendingLines: this.pendingLines },
            'InfluxDB write failed; keeping telemetry in the spool and retrying',
          );
        }
        if (this.#closing) return false;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          this.#wakeWriter = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.#wakeWriter = undefined;
        if (this.#closing) return false;
        delay = Math.min(delay * 2, this.#retry.max);
      }
    }
  }

  /** The next lines after the confirmed position, at most batchLines; undefined when none. */
  async #readBatch(): Promise<Batch | undefined> {
    for (;;) {
      const segment = this.#segments[0];
      if (!segment) return undefined;
      if (this.#readOffset >= segment.size) {
        if (this.#segments.length === 1) return undefined;
        await this.#dropFirstSegment();
        continue;
      }
      const handle = await this.#readHandleFor(segment);
      const length = Math.min(segment.size - this.#readOffset, READ_BYTES);
      const buffer = Buffer.allocUnsafe(length);
      const { bytesRead } = await handle.read(buffer, 0, length, this.#readOffset);
      const texts: string[] = [];
      let start = 0;
      while (texts.length < this.#batchLines) {
        const end = buffer.indexOf(10, start);
        if (end === -1 || end >= bytesRead) break;
        texts.push(buffer.toString('utf8', start, end));
        start = end + 1;
      }
      if (texts.length === 0) {
        throw new Error(`spool segment ${segment.path} has a line longer than ${READ_BYTES} bytes`);
      }
      return {
        firstSeq: this.#committedSeq,
        lines: texts.length,
        texts,
        bytes: start,
      };
    }
  }

  async #confirm(batch: Batch): Promise<void> {
    this.#committedSeq += batch.lines;
    this.#readOffset += batch.bytes;
    this.#pendingBytes -= batch.bytes;
    while ((this.#appendTimes[0]?.endSeq ?? Infinity) <= this.#committedSeq)
      this.#appendTimes.shift();
    const temp = join(this.dir, `${COMMITTED_FILE}.tmp`);
    await writeFile(temp, `${this.#committedSeq}\n`);
    await rename(temp, join(this.dir, COMMITTED_FILE));
    const first = this.#segments[0];
    if (first && this.#readOffset >= first.size && this.#segments.length > 1) {
      await this.#dropFirstSegment();
    }
    if (this.pendingLines === 0) this.emit('drained');
  }

  async #dropFirstSegment(): Promise<void> {
    const segment = this.#segments.shift() as Segment;
    if (this.#readHandle?.segment === segment) {
      await this.#readHandle.handle.close();
      this.#readHandle = undefined;
    }
    this.#readOffset = 0;
    await rm(segment.path, { force: true });
  }

  async #readHandleFor(segment: Segment): Promise<FileHandle> {
    if (this.#readHandle?.segment === segment) return this.#readHandle.handle;
    await this.#readHandle?.handle.close();
    const handle = await open(segment.path, 'r');
    this.#readHandle = { segment, handle };
    return handle;
  }

  /** Rebuilds the state from the files: segments, the confirmed position, torn tails. */
  async #recover(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    let committed = await readCommitted(join(this.dir, COMMITTED_FILE));
    const names = (await readdir(this.dir)).filter((name) => /^\d{16}\.lp$/.test(name)).sort();
    const found = names.map((name) => ({
      firstSeq: Number(name.slice(0, -SEGMENT_SUFFIX.length)),
      path: join(this.dir, name),
    }));
    for (const [i, { firstSeq, path }] of found.entries()) {
      const next = found[i + 1];
      // Every line of this segment is confirmed: a leftover of a crash before its deletion.
      if (next && next.firstSeq <= committed) {
        await rm(path, { force: true });
        continue;
      }
      const info = await stat(path);
      let size = info.size;
      let lines = next ? next.firstSeq - firstSeq : 0;
      if (!next) {
        const text = await readFile(path);
        size = text.lastIndexOf(10) + 1;
        if (size < text.length) {
          this.#logger.warn(
            { segment: path, bytes: text.length - size },
            'cutting an unfinished line off the spool (a crash during an append)',
          );
          const handle = await open(path, 'r+');
          await handle.truncate(size);
          await handle.close();
        }
        lines = countNewlines(text, size);
      }
      this.#segments.push({ firstSeq, path, size, lines });
      this.#appendTimes.push({ endSeq: firstSeq + lines, at: info.mtimeMs });
    }
    const first = this.#segments[0];
    const last = this.#segments.at(-1);
    this.#nextSeq = last ? last.firstSeq + last.lines : committed;
    if (first && committed < first.firstSeq) committed = first.firstSeq;
    if (committed > this.#nextSeq) {
      this.#logger.warn(
        { committed, nextSeq: this.#nextSeq },
        'spool offset is past its last line (segments were removed); starting after them',
      );
      committed = this.#nextSeq;
    }
    this.#committedSeq = committed;
    if (first) {
      this.#readOffset = await byteOffsetOfLine(first.path, committed - first.firstSeq);
    }
    this.#pendingBytes = this.#segments.reduce((sum, s) => sum + s.size, 0) - this.#readOffset;
    if (last) this.#appendHandle = await open(last.path, 'a');
    if (this.pendingLines > 0) {
      this.#logger.info(
        { pendingLines: this.pendingLines, pendingBytes: this.#pendingBytes },
        'replaying telemetry InfluxDB has not confirmed',
      );
    }
  }

  #unregisterMetrics(): void {
    if (!this.#metrics) return;
    for (const name of [
      'ioc_ingest_points_written_total',
      'ioc_ingest_spool_write_errors_total',
      'ioc_ingest_spool_refused_lines_total',
      'ioc_ingest_spool_pending_bytes',
      'ioc_ingest_spool_pending_lines',
      'ioc_ingest_spool_lag_seconds',
    ]) {
      this.#metrics.removeSingleMetric(name);
    }
  }
}

function segmentName(firstSeq: number): string {
  return `${String(firstSeq).padStart(16, '0')}${SEGMENT_SUFFIX}`;
}

async function readCommitted(path: string): Promise<number> {
  try {
    const value = Number((await readFile(path, 'utf8')).trim());
    return Number.isSafeInteger(value) && value >= 0 ? value : 0;
  } catch {
    return 0;
  }
}

function countNewlines(buffer: Buffer, end: number): number {
  let count = 0;
  for (let i = buffer.indexOf(10); i !== -1 && i < end; i = buffer.indexOf(10, i + 1)) count++;
  return count;
}

async function byteOffsetOfLine(path: string, line: number): Promise<number> {
  if (line === 0) return 0;
  const text = await readFile(path);
  let offset = 0;
  for (let i = 0; i < line; i++) {
    const end = text.indexOf(10, offset);
    if (end === -1) return text.length;
    offset = end + 1;
  }
  return offset;
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
