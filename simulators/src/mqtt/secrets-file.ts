import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@ioc/core';
import { StartupError } from '@ioc/core';

export const DEMO_SECRETS_FILE = 'demo-devices.json';

interface SecretsDocument {
  note: string;
  devices: Record<string, string>;
}

/**
 * The demo devices' secrets, kept so that later starts log in without provisioning again:
 * `<dataDir>/demo-devices.json`, readable by the owner only. Losing it is harmless: the
 * fleet replaces the secrets of the devices it no longer knows.
 */
export class DemoSecretsFile {
  readonly path: string;

  constructor(readonly dataDir: string) {
    this.path = join(dataDir, DEMO_SECRETS_FILE);
  }

  /** Device id → secret; empty when the file is missing or unreadable (logged). */
  async read(logger?: Logger): Promise<Map<string, string>> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw new StartupError(
        `cannot read ${this.path} (${(err as Error).message}); fix its permissions or delete it`,
        'SIMULATOR_FAILED',
      );
    }
    try {
      const doc = JSON.parse(text) as Partial<SecretsDocument>;
      const entries = Object.entries(doc.devices ?? {}).filter(
        (e): e is [string, string] => typeof e[1] === 'string' && e[1].length > 0,
      );
      return new Map(entries);
    } catch (err) {
      logger?.warn(
        { file: this.path, err },
        'demo device secrets file is not valid JSON; the demo devices get new secrets',
      );
      return new Map();
    }
  }

  /** Replaces the file atomically (temp file + rename), mode 0600. */
  async write(secrets: ReadonlyMap<string, string>): Promise<void> {
    await mkdir(this.dataDir, { recursive: true });
    const doc: SecretsDocument = {
      note: 'Secrets of the demo field devices (ioc start --demo). Keep private; delete to re-key them.',
      devices: Object.fromEntries([...secrets].sort(([a], [b]) => a.localeCompare(b))),
    };
    const temp = `${this.path}.${process.pid}.tmp`;
    await writeFile(temp, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600 });
    await chmod(temp, 0o600); // the umask may have narrowed it; never wider
    await rename(temp, this.path);
  }
}
