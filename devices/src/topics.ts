/**
 * The device side of the MQTT contract (ARCHITECTURE.md): every device lives under
 * `ioc/v1/devices/{deviceId}/{channel}`.
 */
export const TOPIC_ROOT = 'ioc/v1/devices';

export const DEVICE_CHANNELS = ['telemetry', 'status', 'commands', 'errors'] as const;
export type DeviceChannel = (typeof DEVICE_CHANNELS)[number];

/** Device ids: 1-64 characters of letters, digits, '.', '_' or '-' (no MQTT wildcards or '/'). */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

export function isDeviceId(value: string): boolean {
  return DEVICE_ID_PATTERN.test(value);
}

export function deviceTopic(deviceId: string, channel: DeviceChannel): string {
  if (!isDeviceId(deviceId)) throw new Error(`invalid device id "${deviceId}"`);
  return `${TOPIC_ROOT}/${deviceId}/${channel}`;
}

/** Subscription filter for one channel of every device, e.g. all telemetry. */
export function allDevicesTopic(channel: DeviceChannel): string {
  return `${TOPIC_ROOT}/+/${channel}`;
}

/** Splits a device topic into its device id and channel; undefined for any other topic. */
export function parseDeviceTopic(
  topic: string,
): { deviceId: string; channel: DeviceChannel } | undefined {
  const parts = topic.split('/');
  if (parts.length !== 5 || `${parts[0]}/${parts[1]}/${parts[2]}` !== TOPIC_ROOT) return undefined;
  const [, , , deviceId, channel] = parts as [string, string, string, string, string];
  if (!isDeviceId(deviceId) || !(DEVICE_CHANNELS as readonly string[]).includes(channel)) {
    return undefined;
  }
  return { deviceId, channel: channel as DeviceChannel };
}
