import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { StartupError } from './errors.js';

/** Where a port comes from, so a conflict message can say exactly what to change. */
export interface PortSetting {
  host: string;
  port: number;
  /** Config key, e.g. `web.port`. */
  key: string;
  /** Environment variable that sets it, e.g. `IOC_WEB_PORT`. */
  env: string;
}

export function portInUse(setting: PortSetting, protocol = 'tcp'): StartupError {
  const proto = protocol === 'tcp' ? '' : `${protocol} `;
  return new StartupError(
    `${proto}port ${setting.port} on ${setting.host} (${setting.key}) is already in use; ` +
      `stop the other process or set ${setting.env} to a free port`,
    'PORT_IN_USE',
  );
}

/** Turns a listen() failure into the one-line start-up error a person can act on. */
export function listenFailure(err: unknown, setting: PortSetting, protocol = 'tcp'): StartupError {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'EADDRINUSE') return portInUse(setting, protocol);
  if (code === 'EADDRNOTAVAIL') {
    return new StartupError(
      `cannot listen on ${setting.host}:${setting.port} (${setting.key}): no such address on this ` +
        'machine; fix the bind address',
      'BIND_FAILED',
    );
  }
  if (code === 'EACCES') {
    return new StartupError(
      `no permission to listen on port ${setting.port} (${setting.key}); use a port above 1023 ` +
        `or set ${setting.env}`,
      'BIND_FAILED',
    );
  }
  return new StartupError(
    `cannot listen on ${setting.host}:${setting.port} (${setting.key}): ${(err as Error)?.message}`,
    'BIND_FAILED',
  );
}

/**
 * Checks a port can be bound right now, so start-up fails before anything is spawned.
 * Port 0 (any free port) always passes.
 */
export async function assertPortFree(
  setting: PortSetting,
  protocols: Array<'tcp' | 'udp'> = ['tcp'],
): Promise<void> {
  if (setting.port === 0) return;
  for (const protocol of protocols) {
    try {
      if (protocol === 'tcp') await probeTcp(setting.host, setting.port);
      else await probeUdp(setting.host, setting.port);
    } catch (err) {
      throw listenFailure(err, setting, protocol);
    }
  }
}

function probeTcp(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve()));
  });
}

function probeUdp(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    socket.once('error', (err) => {
      socket.close();
      reject(err);
    });
    socket.bind({ address: host, port, exclusive: true }, () => socket.close(() => resolve()));
  });
}
