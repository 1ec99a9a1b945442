import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type AppConfig, StartupError } from '@ioc/core';

const run = promisify(execFile);

/**
 * The demo's MQTT over TLS: a self-signed certificate for 127.0.0.1/localhost, made once with
 * Debian's openssl under `<dataDir>/tls` (key 0600). Returns the config with `mqtt.tls` set;
 * a configured `mqtt.tls` is left as it is.
 */
export async function withDemoTls(config: AppConfig): Promise<AppConfig> {
  if (config.mqtt.tls) return config;
  const dir = join(config.dataDir, 'tls');
  const certFile = join(dir, 'demo-mqtt.crt');
  const keyFile = join(dir, 'demo-mqtt.key');
  if (!existsSync(certFile) || !existsSync(keyFile)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    try {
      await run('openssl', [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '825',
        '-subj',
        '/CN=IOC demo MQTT broker',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '-keyout',
        keyFile,
        '-out',
        certFile,
      ]);
    } catch (err) {
      throw new StartupError(
        `cannot make the demo TLS certificate with openssl (${(err as Error).message.split('\n')[0]}); ` +
          'install it with `apt-get install openssl` or set mqtt.tls',
        'DEMO_TLS_FAILED',
      );
    }
  }
  return { ...config, mqtt: { ...config.mqtt, tls: { certFile, keyFile } } };
}
