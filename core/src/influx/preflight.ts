import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { StartupError } from '../errors.js';

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
