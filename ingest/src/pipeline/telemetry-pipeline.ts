import { EventEmitter } from 'node:events';
import { errorMessage, type Logger } from '@ioc/core';
import { type DeviceRegistry, deviceTopic } from '@ioc/devices';
import { Counter, type Registry } from 'prom-client';
import type { Reading } from '../reading.js';
import type { DeadLetterLog } from './dead-letters.js';
import { DeviceCache } from './device-cache.js';
import { parseTelemetryPayload } from './payload.js';
import type { Rejection } from './rejection.js';
import type { TelemetrySpool } from './spool.js';
import { type TelemetryPoint, toLineProtocol, toTelemetryPoint } from './telemetry-point.js';
import { DEFAULT_MAX_AGE_MS, DEFAULT_MAX_FUTURE_MS, validateReading } from './validator.js';

/** What a device is told on its `errors` topic. */
export interface TelemetryErrorReport {
  code: Rejection['code'];
  message: string;
  topic: string;
  /** ISO 8601. */
  receivedAt: string;
}

export interface TelemetryPipelineOptions {
  registry: DeviceRegistry;
  spool: TelemetrySpool;
  deadLetters: DeadLetterLog;
  logger: Logger;
  metrics?: Registry;
  /** Tells a device why (part of) its message was refused, e.g. on its `errors` topic. */
  reportError?: (deviceId: string, report: TelemetryErrorReport) => void;
  /** Largest MQTT payload accepted; default 64 KiB. */
  maxPayloadBytes?: number;
  /** Oldest accepted device time, as an age in ms; default 7 days. */
  maxAgeMs?: number;
  /** How long a registry lookup is trusted; default 30 s (events invalidate sooner). */
  deviceCacheTtlMs?: number;
}

/** The newest value of each metric of one device, with the instant it was measured. */
export interface LatestValues {
  deviceId: string;
  type: string;
  unit: string;
  sector: string;
  values: Record<string, { value: number | boolean; ts: number }>;
}

/** What became of one message or reading. */
export interface PipelineOutcome {
  /** Values stored durably in the spool. */
  accepted: number;
  rejections: Rejection[];
  /** False when accepted values could not be written to the spool (disk problem). */
  durable: boolean;
}

export interface TelemetryPipelineEvents {
  /** Points that are durable in the spool, for live views and rules. */
  accepted: [points: TelemetryPoint[]];
}

/**
 * parse → registry lookup → validate → enrich → durable spool → latest values. Rejections
 * go to the device (reportError), the dead-letter table and `ioc_ingest_rejected_total`;
 * the valid values of a message are stored all the same. Never throws on bad input.
 */
export class TelemetryPipeline extends EventEmitter<TelemetryPipelineEvents> {
  readonly #options: TelemetryPipelineOptions;
  readonly #devices: DeviceCache;
  readonly #latest = new Map<string, LatestValues>();
  readonly #maxPayloadBytes: number;
  readonly #maxAgeMs: number;
  readonly #accepted: Counter;
  readonly #rejected: Counter<'code'>;
  readonly #forgetLatest = (device: { id: string }) => this.#latest.delete(device.id);

  constructor(options: TelemetryPipelineOptions) {
    super();
    this.#options = options;
    this.#devices = new DeviceCache(options.registry, options.deviceCacheTtlMs ?? 30_000);
    this.#maxPayloadBytes = options.maxPayloadBytes ?? 64 * 1024;
    this.#maxAgeMs = options.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
    const registers = options.metrics ? [options.metrics] : [];
    this.#accepted = new Counter({
      name: 'ioc_ingest_values_accepted_total',
      help: 'Telemetry values accepted and spooled',
      registers,
    });
    this.#rejected = new Counter({
      name: 'ioc_ingest_rejected_total',
      help: 'Telemetry rejections by code (one per refused message or value)',
      labelNames: ['code'],
      registers,
    });
    options.registry.on('revoked', this.#forgetLatest);
  }

  /** A raw MQTT telemetry payload of `deviceId`. Resolves once accepted values are durable. */
  async handleMqtt(deviceId: string, payload: Buffer, receivedAt: Date): Promise<PipelineOutcome> {
    const parsed = parseTelemetryPayload(deviceId, payload, receivedAt, {
      maxBytes: this.#maxPayloadBytes,
    });
    const outcome = await this.#store(deviceId, parsed.readings);
    const rejections = [...parsed.rejections, ...outcome.rejections];
    if (rejections.length === 0) return outcome;
    const topic = deviceTopic(deviceId, 'telemetry');
    this.#reject(deviceId, rejections, { topic, receivedAt, payload, source: 'mqtt' });
    return { ...outcome, rejections };
  }

  /** A reading from any source (OPC-UA, MQTT already parsed). */
  async handleReading(reading: Reading, topic?: string): Promise<PipelineOutcome> {
    const outcome = await this.#store(reading.deviceId, [reading]);
    this.#reject(reading.deviceId, outcome.rejections, {
      topic:
        topic ??
        (reading.source === 'mqtt' ? deviceTopic(reading.deviceId, 'telemetry') : reading.source),
      receivedAt: reading.receivedAt,
      payload: Buffer.from(JSON.stringify({ ts: reading.ts, values: reading.values })),
      source: reading.source,
    });
    return outcome;
  }

  latest(deviceId: string): LatestValues | undefined {
    return this.#latest.get(deviceId);
  }

  latestAll(): LatestValues[] {
    return [...this.#latest.values()];
  }

  /** Stops listening to the registry and removes the metrics; the spool and log are the caller's. */
  close(): void {
    this.#devices.close();
    this.#options.registry.off('revoked', this.#forgetLatest);
    this.#options.metrics?.removeSingleMetric('ioc_ingest_values_accepted_total');
    this.#options.metrics?.removeSingleMetric('ioc_ingest_rejected_total');
  }

  async #store(deviceId: string, readings: Reading[]): Promise<PipelineOutcome> {
    const rejections: Rejection[] = [];
    if (readings.length === 0) return { accepted: 0, rejections, durable: true };
    let device: Awaited<ReturnType<DeviceCache['get']>>;
    try {
      device = await this.#devices.get(deviceId);
    } catch (err) {
      // The registry is unreachable: the data is not the device's fault, so no rejection.
      this.#options.logger.error(
        { err: errorMessage(err), deviceId },
        'device lookup failed; telemetry not stored',
      );
      return { accepted: 0, rejections, durable: false };
    }
    const now = Date.now();
    const points: TelemetryPoint[] = [];
    for (const reading of readings) {
      const result = validateReading(reading, device, this.#options.registry.catalogue, {
        now,
        maxAgeMs: this.#maxAgeMs,
        maxFutureMs: DEFAULT_MAX_FUTURE_MS,
      });
      rejections.push(...result.rejections);
      if (device && Object.keys(result.values).length > 0) {
        points.push(toTelemetryPoint(device, result.ts, result.values));
      }
    }
    const lines = points.map(toLineProtocol).filter((line): line is string => line !== undefined);
    if (lines.length === 0) return { accepted: 0, rejections, durable: true };
    try {
      await this.#options.spool.append(lines);
    } catch (err) {
      this.#options.logger.error(
        { err: errorMessage(err), deviceId },
        'telemetry not stored: spool write failed',
      );
      return { accepted: 0, rejections, durable: false };
    }
    const accepted = points.reduce((sum, p) => sum + Object.keys(p.fields).length, 0);
    this.#accepted.inc(accepted);
    for (const point of points) this.#remember(point);
    this.emit('accepted', points);
    return { accepted, rejections, durable: true };
  }

  #remember(point: TelemetryPoint): void {
    let latest = this.#latest.get(point.device);
    if (!latest) {
      latest = {
        deviceId: point.device,
        type: point.type,
        unit: point.unit,
        sector: point.sector,
        values: {},
      };
      this.#latest.set(point.device, latest);
    }
    for (const [metric, value] of Object.entries(point.fields)) {
      const current = latest.values[metric];
      // A replayed or late reading must not hide a newer one.
      if (!current || current.ts <= point.ts) latest.values[metric] = { value, ts: point.ts };
    }
  }

  #reject(
    deviceId: string,
    rejections: Rejection[],
    context: { topic: string; receivedAt: Date; payload: Buffer; source: Reading['source'] },
  ): void {
    for (const rejection of rejections) {
      this.#rejected.inc({ code: rejection.code });
      this.#options.deadLetters.record({
        receivedAt: context.receivedAt,
        deviceId,
        topic: context.topic,
        code: rejection.code,
        message: rejection.message,
        metric: rejection.metric,
        payload: context.payload,
        source: context.source,
      });
      try {
        this.#options.reportError?.(deviceId, {
          code: rejection.code,
          message: rejection.message,
          topic: context.topic,
          receivedAt: context.receivedAt.toISOString(),
        });
      } catch (err) {
        this.#options.logger.warn(
          { err: errorMessage(err), deviceId },
          'cannot report a telemetry error',
        );
      }
    }
  }
}
