import { isIP } from 'node:net';
import { type AppConfig, assertPortFree, StartupError } from '@ioc/core';

/**
 * Checks the media settings before any worker is spawned: a usable listen address, a port
 * range that fits, and every worker's port free on UDP and TCP. Throws one-line
 * StartupErrors that name the setting to change.
 */
export async function assertMediaCanListen(
  media: AppConfig['media'],
  workers: number,
): Promise<void> {
  if (isIP(media.listenIp) === 0) {
    throw new StartupError(
      `media.listenIp = "${media.listenIp}" is not an IP address; set IOC_MEDIA_LISTEN_IP to one (e.g. 0.0.0.0 or 127.0.0.1)`,
      'CONFIG_INVALID',
    );
  }
  if (media.port === 0) return; // each worker picks a free port
  const last = media.port + workers - 1;
  if (last > 65535) {
    throw new StartupError(
      `media.port ${media.port} leaves no room for ${workers} workers (ports up to ${last}); set IOC_MEDIA_PORT lower or IOC_MEDIA_WORKERS smaller`,
      'CONFIG_INVALID',
    );
  }
  for (let i = 0; i < workers; i++) {
    const key = i === 0 ? 'media.port' : `media.port + ${i}`;
    await assertPortFree(
      { host: media.listenIp, port: media.port + i, key, env: 'IOC_MEDIA_PORT' },
      ['udp', 'tcp'],
    );
  }
}
