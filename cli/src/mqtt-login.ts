import type { MqttAuthenticator } from '@ioc/broker';
import type { DeviceRegistry } from '@ioc/devices';
import type { ServiceCredentials } from './service-credentials.js';

/**
 * Who may connect to the broker: field devices (device id + secret from the registry, or a
 * TLS client certificate whose CN is the device id) and internal services (per-process
 * secret, or an API token with the `service`/`admin` role).
 */
export function mqttLogin(
  services: ServiceCredentials,
  devices: DeviceRegistry,
): MqttAuthenticator {
  return async (username, password, connection) => {
    if (connection.certificateCn) {
      const device = await devices.get(connection.certificateCn);
      if (!device) return undefined;
      if (device.revokedAt) return { kind: 'refused', reason: 'device revoked' };
      if (!device.enabled) return { kind: 'refused', reason: 'device disabled' };
      return { kind: 'device', deviceId: device.id };
    }
    if (username.startsWith('svc:') || password.startsWith('ioc_')) {
      const principal = await services.authenticate(username, password);
      return principal && { kind: 'service', name: principal.name };
    }
    const login = await devices.checkLogin(username, password);
    if (login.status === 'ok') return { kind: 'device', deviceId: login.device.id };
    if (login.status === 'refused') return { kind: 'refused', reason: `device ${login.reason}` };
    return undefined;
  };
}
