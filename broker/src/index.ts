import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { AppConfig, ServiceDeps } from '@ioc/core';
import { listenFailure, StartupError } from '@ioc/core';
import { Gauge } from 'prom-client';
import type { MqttAuthenticator } from './identity.js';
import {
  MqttBroker,
  type MqttBrokerOptions,
  MqttListenError,
  type MqttTlsOptions,
} from './mqtt-broker.js';
import { DevicePresence } from './presence.js';

export { type AclDecision, checkPublish, checkSubscribe } from './acl.js';
export type { DeviceErrorCode, DeviceErrorMessage } from './device-errors.js';
export { FrameLimitedConnection, MqttFrameScanner, PacketTooLargeError } from './frame-limit.js';
export type {
  MqttAuthenticator,
  MqttConnectionInfo,
  MqttIdentity,
  MqttRefusal,
} from './identity.js';
export { LoginThrottle, type LoginThrottleOptions } from './login-throttle.js';
export {
  DEFAULT_LIMITS,
  MqttBroker,
  type MqttBrokerEvents,
  type MqttBrokerOptions,
  type MqttLimits,
  MqttListenError,
  type MqttTlsOptions,
} from './mqtt-broker.js';
export { DevicePresence, type DevicePresenceState } from './presence.js';

export interface BrokerDeps extends ServiceDeps {
  authenticate: MqttAuthenticator;
  /** Stores telemetry before it is acknowledged (see MqttBrokerOptions.telemetrySink). */
  telemetrySink?: MqttBrokerOptions['telemetrySink'];
}

export interface RunningBroker {
  broker: MqttBroker;
  presence: DevicePresence;
  stop(): Promise<void>;
}

/**
 * Starts the MQTT broker: TCP, TLS when `mqtt.tls` is configured (WebSocket is attached to
 * the web server later), device presence on the live bus, health and metrics.
 */
export async function start(config: AppConfig, deps: BrokerDeps): Promise<RunningBroker> {
  const logger = deps.logger.child({ component: 'broker' });
  const { mqtt } = config;
  const broker = new MqttBroker({
    host: mqtt.host,
    port: mqtt.port,
    logger,
    authenticate: deps.authenticate,
    tls: readTls(config),
    limits: {
      maxPayloadBytes: mqtt.maxPayloadBytes,
      maxInflight: mqtt.maxInflight,
      deviceRatePerSecond: mqtt.deviceRatePerSecond,
    },
    metrics: deps.metrics,
    telemetrySink: deps.telemetrySink,
  });
  const presence = new DevicePresence(broker, deps.bus, deps.metrics);
  try {
    await broker.start();
  } catch (err) {
    await broker.stop();
    presence.close();
    throw toStartupError(err, config);
  }

  deps.health.register('broker', () =>
    broker.listening
      ? {
          status: 'up',
          reason: `${broker.connectedClients} clients connected, ${presence.onlineCount} devices online`,
        }
      : { status: 'down', reason: 'MQTT listener is closed' },
  );
  new Gauge({
    name: 'ioc_mqtt_connected_clients',
    help: 'MQTT clients currently connected to the broker',
    registers: [deps.metrics],
    collect() {
      this.set(broker.connectedClients);
    },
  });

  return {
    broker,
    presence,
    async stop() {
      deps.health.unregister('broker');
      deps.metrics.removeSingleMetric('ioc_mqtt_connected_clients');
      await broker.stop();
      presence.close();
    },
  };
}

function readTls(config: AppConfig): MqttTlsOptions | undefined {
  const tls = config.mqtt.tls;
  if (!tls) return undefined;
  try {
    const files = {
      cert: readFileSync(tls.certFile),
      key: readFileSync(tls.keyFile),
      ca: tls.caFile ? readFileSync(tls.caFile) : undefined,
    };
    createSecureContext(files); // a bad PEM or a key that does not match fails here, by name
    return { port: config.mqtt.tlsPort, ...files };
  } catch (err) {
    throw new StartupError(
      `cannot read the MQTT TLS certificate, key or CA (mqtt.tls): ${(err as Error).message}`,
      'CONFIG_INVALID',
    );
  }
}

function toStartupError(err: unknown, config: AppConfig): unknown {
  if (!(err instanceof MqttListenError)) return err;
  const tls = err.listener === 'tls';
  return listenFailure(err.cause, {
    host: config.mqtt.host,
    port: tls ? config.mqtt.tlsPort : config.mqtt.port,
    key: tls ? 'mqtt.tlsPort' : 'mqtt.port',
    env: tls ? 'IOC_MQTT_TLS_PORT' : 'IOC_MQTT_PORT',
  });
}
