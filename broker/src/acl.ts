import { type DeviceChannel, deviceTopic, parseDeviceTopic } from '@ioc/devices';
import type { MqttIdentity } from './identity.js';

/** The one prefix internal services may use (topics and subscription filters). */
export const SERVICE_TOPIC_PREFIX = 'ioc/v1/';

/** A device publishes its readings and its status (incl. its last will); nothing else. */
export const DEVICE_PUBLISH_CHANNELS: readonly DeviceChannel[] = ['telemetry', 'status'];
/** A device reads its commands and why its messages were rejected; nothing else. */
export const DEVICE_SUBSCRIBE_CHANNELS: readonly DeviceChannel[] = ['commands', 'errors'];

export type AclDecision = { allowed: true } | { allowed: false; reason: string };

const ALLOWED: AclDecision = { allowed: true };

/** May this client publish to `topic`? */
export function checkPublish(identity: MqttIdentity, topic: string): AclDecision {
  if (isReserved(topic)) return denied(`${topic.split('/')[0]} topics are reserved for the broker`);
  if (identity.kind === 'service') return checkServiceTopic(topic);
  const own = parseDeviceTopic(topic);
  if (own?.deviceId === identity.deviceId && DEVICE_PUBLISH_CHANNELS.includes(own.channel)) {
    return ALLOWED;
  }
  return denied(
    `device "${identity.deviceId}" may publish only to ${ownTopics(identity.deviceId, DEVICE_PUBLISH_CHANNELS)}`,
  );
}

/** May this client subscribe to `filter`? Devices get exact topics, never wildcards. */
export function checkSubscribe(identity: MqttIdentity, filter: string): AclDecision {
  if (isReserved(filter)) {
    return denied(`${filter.split('/')[0]} topics are reserved for the broker`);
  }
  if (identity.kind === 'service') return checkServiceTopic(filter);
  const allowed = DEVICE_SUBSCRIBE_CHANNELS.map((c) => deviceTopic(identity.deviceId, c));
  if (allowed.includes(filter)) return ALLOWED;
  const wildcard = filter.includes('+') || filter.includes('#') ? ' (no wildcards)' : '';
  return denied(
    `device "${identity.deviceId}" may subscribe only to ${ownTopics(identity.deviceId, DEVICE_SUBSCRIBE_CHANNELS)}${wildcard}`,
  );
}

function checkServiceTopic(topic: string): AclDecision {
  return topic.startsWith(SERVICE_TOPIC_PREFIX)
    ? ALLOWED
    : denied(`services may use only topics under ${SERVICE_TOPIC_PREFIX}`);
}

/** `$SYS/...` belongs to the broker; MQTT gives every `$` topic to the server. */
function isReserved(topic: string): boolean {
  return topic.startsWith('$');
}

function ownTopics(deviceId: string, channels: readonly DeviceChannel[]): string {
  return channels.map((c) => deviceTopic(deviceId, c)).join(' and ');
}

function denied(reason: string): AclDecision {
  return { allowed: false, reason };
}
