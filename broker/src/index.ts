import type { AppConfig, ServiceDeps } from '@ioc/core';
import { listenFailure } from '@ioc/core';
import { Gauge } from 'prom-client';
import { type MqttAuthenticator, MqttBroker } from './mqtt-broker.js';

export { type MqttAuthenticator, MqttBroker, type MqttBrokerOptions } from './mqtt-broker.js';

export interface BrokerDeps extends ServiceDeps {
  authenticate: MqttAuthenticator;
}

export interface RunningBroker {
  broker: MqttBroker;
  stop(): Promise<void>;
}

/** Starts the MQTT broker (TCP listener now; WebSocket is attached to the web server later). */
export async function start(config: AppConfig, deps: BrokerDeps): Promise<RunningBroker> {
  const logger = deps.logger.child({ component: 'broker' });
  const broker = new MqttBroker({
    host: config.mqtt.host,
    port: config.mqtt.port,
    logger,
    authenticate: deps.authenticate,
  });
  try {
    await broker.start();
  } catch (err) {
    await broker.stop();
    throw listenFailure(err, {
      host: config.mqtt.host,
      port: config.mqtt.port,
      key: 'mqtt.port',
      env: 'IOC_MQTT_PORT',
    });
  }

  deps.health.register('broker', () =>
    broker.listening
      ? { status: 'up', reason: `${broker.connectedClients} clients connected` }
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
    async stop() {
      deps.health.unregister('broker');
      deps.metrics.removeSingleMetric('ioc_mqtt_connected_clients');
      await broker.stop();
    },
  };
}
