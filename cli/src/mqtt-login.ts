import type { MqttAuthenticator } from '@ioc/broker';
import type { ApiTokens } from '@ioc/core';
import type { DeviceRegistry } from '@ioc/devices';

/**
 * Who may connect to the broker: field devices (device id + secret from the registry, or a
 * TLS client certificate whose CN is the device id) and services (an API token with the
 * `service` or `admin` role as password: bridges, debugging). Services inside this process
 * do not need to connect: ingest receives telemetry from the broker directly.
 */
export function mqttLogin(tokens: ApiTokens, devices: DeviceRegistry): MqttAuthenticator {
  return async (username, password, connection) => {
    if (connection.certificateCn) {
      const device = await devices.get(connection.certificateCn);
      if (!device) return undefined;
      if (device.revokedAt) return { kind: 'refused', reason: 'device revoked' };
      if (!device.enabled) return { kind: 'refused', reason: 'device disabled' };
      return { kind: 'device', deviceId: device.id };
    }
    if (password.startsWith('ioc_')) {
      const principal = await tokens.resolve(password);
      const allowed = principal?.role === 'service' || principal?.role === 'admin';
      return allowed ? { kind: 'service', name: principal.name } : undefined;
    }
    const login = await devices.checkLogin(username, password);
    if (login.status === 'ok') return { kind: 'device', deviceId: login.device.id };
    if (login.status === 'refused') return { kind: 'refused', reason: `device ${login.reason}` };
    return undefined;
  };
}
