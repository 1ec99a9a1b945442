/**
 * Environment variables that override configuration keys. Values are strings; numbers and
 * booleans are converted by the schema's type when the config is loaded.
 */
export const ENV_KEYS: Record<string, string> = {
  IOC_DATA_DIR: 'dataDir',
  IOC_DEMO: 'demo',
  IOC_LOG_LEVEL: 'log.level',
  IOC_WEB_HOST: 'web.host',
  IOC_WEB_PORT: 'web.port',
  IOC_PUBLIC_URL: 'web.publicUrl',
  IOC_WEB_TLS_CERT: 'web.tls.certFile',
  IOC_WEB_TLS_KEY: 'web.tls.keyFile',
  IOC_MQTT_HOST: 'mqtt.host',
  IOC_MQTT_PORT: 'mqtt.port',
  INFLUX_URL: 'influx.url',
  INFLUX_TOKEN: 'influx.token',
  INFLUX_DB: 'influx.database',
  INFLUX_ORG: 'influx.org',
  IOC_INFLUX_HOST: 'influx.managed.host',
  IOC_INFLUX_PORT: 'influx.managed.port',
  IOC_INFLUX_RPC_PORT: 'influx.managed.rpcPort',
  IOC_INFLUXD_BIN: 'influx.managed.binary',
  DATABASE_URL: 'sql.url',
  IOC_MEDIA_WORKERS: 'media.workers',
  IOC_MEDIA_LISTEN_IP: 'media.listenIp',
  IOC_MEDIA_ANNOUNCED_ADDRESS: 'media.announcedAddress',
  IOC_MEDIA_PORT: 'media.port',
  IOC_OPCUA_SIM_HOST: 'simulators.opcua.host',
  IOC_OPCUA_SIM_PORT: 'simulators.opcua.port',
  IOC_OPCUA_SIM_PASSWORD: 'simulators.opcua.password',
  IOC_UNITS_DATASET: 'units.dataset',
  IOC_ADMIN_PASSWORD: 'auth.adminPassword',
};
