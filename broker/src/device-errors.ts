import type { Logger } from '@ioc/core';
import { deviceTopic } from '@ioc/devices';

export type DeviceErrorCode =
  | 'FORBIDDEN_TOPIC'
  | 'PAYLOAD_TOO_LARGE'
  | 'RATE_LIMITED'
  | 'INFLIGHT_LIMIT';

/** The JSON a device reads on `ioc/v1/devices/{id}/errors` (ARCHITECTURE.md). */
export interface DeviceErrorMessage {
  code: DeviceErrorCode;
  message: string;
  topic: string;
  receivedAt: string;
}

interface Suppression {
  sentAt: number;
  suppressed: number;
}

/**
 * Tells a device why the broker rejected one of its messages, on the device's `errors`
 * topic, and logs it. At most one message per device and code per `intervalMs`, so a
 * device flooding the broker is not answered with a flood: the next report counts the
 * rejections that were not reported.
 */
export class DeviceErrorReporter {
  readonly #recent = new Map<string, Map<DeviceErrorCode, Suppression>>();

  constructor(
    private readonly publish: (topic: string, payload: Buffer) => void,
    private readonly logger: Logger,
    private readonly intervalMs = 1000,
  ) {}

  report(
    deviceId: string,
    error: { code: DeviceErrorCode; message: string; topic: string },
    now = Date.now(),
  ): void {
    let byCode = this.#recent.get(deviceId);
    if (!byCode) {
      byCode = new Map();
      this.#recent.set(deviceId, byCode);
    }
    const last = byCode.get(error.code);
    if (last && now - last.sentAt < this.intervalMs) {
      last.suppressed += 1;
      return;
    }
    const suppressed = last?.suppressed ?? 0;
    byCode.set(error.code, { sentAt: now, suppressed: 0 });
    const message =
      suppressed > 0
        ? `${error.message} (${suppressed} more rejected with ${error.code} since the last report)`
        : error.message;
    this.logger.warn(
      { deviceId, code: error.code, topic: error.topic, reason: error.message, suppressed },
      'mqtt message from device rejected',
    );
    const body: DeviceErrorMessage = {
      code: error.code,
      message,
      topic: error.topic,
      receivedAt: new Date(now).toISOString(),
    };
    this.publish(deviceTopic(deviceId, 'errors'), Buffer.from(JSON.stringify(body)));
  }

  /** Drops what is remembered about a device (it went offline). */
  forget(deviceId: string): void {
    this.#recent.delete(deviceId);
  }
}
