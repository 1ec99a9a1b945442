import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { StartupError } from '../errors.js';
import { hostPort } from './influxd-config.js';

/** The executable a command name resolves to (like `which`), or undefined. */
export async function findExecutable(command: string): Promise<string | undefined> {
  const candidates = command.includes('/')
    ? [isAbsolute(command) ? command : resolve(command)]
    : (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir || '.', command));
  for (const candidate of candidates) {
    try {
      await access(candidate, constants.X_OK);
      if ((await stat(candidate)).isFile()) return candidate;
    } catch {
      // not here: try the next directory
    }
  }
  return undefined;
}

export async function requireInfluxd(command: string): Promise<string> {
  const found = await findExecutable(command);
  if (found) return found;
  const where = command.includes('/')
    ? `looked for "${command}" (influx.managed.binary / IOC_INFLUXD_BIN)`
    : `looked for "${command}" on PATH`;
  throw new StartupError(
    `influxd not found (${where}); install it with \`apt-get install influxdb\` or set INFLUX_URL to an external server`,
    'INFLUXD_NOT_FOUND',
  );
}

export interface PortSetting {
  host: string;
  port: number;
  /** Configuration key and environment variable that set this port, named in the error. */
  key: string;
  envVar: string;
}

/** Fails with a one-line StartupError unless host:port can be bound right now. */
export async function assertPortFree({ host, port, key, envVar }: PortSetting): Promise<void> {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new StartupError(
      `${key} must be a fixed port between 1 and 65535, got ${port}; set ${envVar}`,
      'INFLUXD_PORT_INVALID',
    );
  }
  await new Promise<void>((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        reject(
          new StartupError(
            `port ${port} on ${host} (${key}) is already in use; stop the other process or set ${envVar}`,
            'INFLUXD_PORT_IN_USE',
          ),
        );
      } else {
        reject(
          new StartupError(
            `cannot listen on ${hostPort(host, port)} (${key}): ${err.code ?? err.message}; set IOC_INFLUX_HOST to an address of this machine or change ${envVar}`,
            'INFLUXD_PORT_UNAVAILABLE',
          ),
        );
      }
    });
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolvePromise()));
  });
}
