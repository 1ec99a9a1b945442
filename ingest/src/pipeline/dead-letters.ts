import type { Logger, SqlExecutor } from '@ioc/core';
import { errorMessage } from '@ioc/core';
import { Counter, type Registry } from 'prom-client';

/** One refused message (or value) for the `dead_letters` table. */
export interface DeadLetter {
  receivedAt: Date;
  deviceId: string;
  topic?: string;
  code: string;
  message: string;
  metric?: string;
  payload?: Buffer;
  source: 'mqtt' | 'opcua';
}

export interface DeadLetterLogOptions {
  sql: SqlExecutor;
  logger: Logger;
  metrics?: Registry;
  /** Payload bytes kept per row; default 4096. */
  maxPayloadBytes?: number;
  /** Rows per INSERT; default 200. */
  batchSize?: number;
  /** Most rows waiting to be inserted; more are dropped (and counted). Default 5000. */
  maxQueued?: number;
  /** Wait before inserting a partial batch, in ms; default 500. */
  flushDelayMs?: number;
}

const COLUMNS = 9;

/**
 * Writes dead letters in batches, one INSERT at a time, from a bounded queue: a flood of bad
 * data costs at most one statement per batch and never holds up the pipeline; past the
 * queue limit rows are dropped and counted in `ioc_ingest_dead_letters_dropped_total`.
 */
export class DeadLetterLog {
  readonly #sql: SqlExecutor;
  readonly #logger: Logger;
  readonly #metrics: Registry | undefined;
  readonly #maxPayloadBytes: number;
  readonly #batchSize: number;
  readonly #maxQueued: number;
  readonly #flushDelayMs: number;
  #queue: DeadLetter[] = [];
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;
  readonly #stored: Counter;
  readonly #dropped: Counter;

  constructor(options: DeadLetterLogOptions) {
    this.#sql = options.sql;
    this.#logger = options.logger;
    this.#metrics = options.metrics;
    this.#maxPayloadBytes = options.maxPayloadBytes ?? 4096;
    this.#batchSize = options.batchSize ?? 200;
    this.#maxQueued = options.maxQueued ?? 5000;
    this.#flushDelayMs = options.flushDelayMs ?? 500;
    const registers = this.#metrics ? [this.#metrics] : [];
    this.#stored = new Counter({
      name: 'ioc_ingest_dead_letters_total',
      help: 'Dead letters stored in SQL',
      registers,
    });
    this.#dropped = new Counter({
      name: 'ioc_ingest_dead_letters_dropped_total',
      help: 'Dead letters dropped: queue full or the insert failed',
      registers,
    });
  }

  /** Queues a dead letter; never blocks and never throws. */
  record(letter: DeadLetter): void {
    if (this.#queue.length >= this.#maxQueued) {
      this.#dropped.inc();
      return;
    }
    this.#queue.push(letter);
    if (this.#queue.length >= this.#batchSize) this.#startFlush();
    else this.#timer ??= setTimeout(() => this.#startFlush(), this.#flushDelayMs);
  }

  /** Inserts everything queued so far; resolves when done. */
  async flush(): Promise<void> {
    while (this.#queue.length > 0 || this.#flushing) {
      this.#startFlush();
      await this.#flushing;
    }
  }

  /** Flushes and stops the timer. */
  async close(): Promise<void> {
    await this.flush();
    clearTimeout(this.#timer);
    this.#metrics?.removeSingleMetric('ioc_ingest_dead_letters_total');
    this.#metrics?.removeSingleMetric('ioc_ingest_dead_letters_dropped_total');
  }

  #startFlush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#flushing) return;
    this.#flushing = this.#insertQueued().finally(() => {
      this.#flushing = undefined;
      // Rows queued after the loop's last look at the queue.
      if (this.#queue.length > 0) this.#startFlush();
    });
  }

  async #insertQueued(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#batchSize);
      const params: unknown[] = [];
      const rows = batch.map((letter, i) => {
        const payload = letter.payload;
        params.push(
          letter.receivedAt,
          letter.deviceId,
          letter.topic ?? null,
          letter.code,
          letter.message,
          letter.metric ?? null,
          payload ? payload.subarray(0, this.#maxPayloadBytes) : null,
          payload?.length ?? 0,
          letter.source,
        );
        const base = i * COLUMNS;
        return `(${Array.from({ length: COLUMNS }, (_, c) => `$${base + c + 1}`).join(', ')})`;
      });
      try {
        await this.#sql.query(
          `INSERT INTO dead_letters (received_at, device_id, topic, code, message, metric, payload, payload_bytes, source) VALUES ${rows.join(', ')}`,
          params,
        );
        this.#stored.inc(batch.length);
      } catch (err) {
        this.#dropped.inc(batch.length);
        this.#logger.error(
          { err: errorMessage(err), rows: batch.length },
          'cannot store dead letters; dropping them',
        );
      }
    }
  }
}
