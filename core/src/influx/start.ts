import type { Logger } from 'pino';
import type { AppConfig } from '../config/index.js';
import { errorMessage, StartupError } from '../errors.js';
import { InfluxStore } from './store.js';
import { InfluxSupervisor } from './supervisor.js';

export interface RunningInflux {
  store: InfluxStore;
  /** Present when the IOC runs its own influxd (no `influx.url` configured). */
  supervisor?: InfluxSupervisor;
  /** Closes the store, then stops the managed influxd if there is one. */
  stop(): Promise<void>;
}

/**
 * Connects the IOC to InfluxDB: to `influx.url` when set (nothing is spawned), otherwise to a
 * project-local influxd that is started and supervised here.
 */
export async function startInflux(config: AppConfig, logger: Logger): Promise<RunningInflux> {
  const { url, token, database, org, managed } = config.influx;
  if (url) {
    const store = await InfluxStore.connect({ url, token, database, org, logger }).catch(
      (err: unknown) => {
        throw new StartupError(
          `cannot connect to InfluxDB at ${url} (INFLUX_URL): ${oneLine(errorMessage(err))}; start that server or unset INFLUX_URL to let the IOC run its own influxd`,
          'INFLUX_UNREACHABLE',
        );
      },
    );
    return { store, stop: () => store.close() };
  }

  const supervisor = new InfluxSupervisor({ dataDir: config.dataDir, ...managed, logger });
  await supervisor.start();
  let store: InfluxStore;
  try {
    store = await InfluxStore.connect({ url: supervisor.url, token: '', database, org, logger });
  } catch (err) {
    await supervisor.stop();
    throw new StartupError(
      `the managed influxd at ${supervisor.url} started but refused the IOC: ${oneLine(errorMessage(err))}`,
      'INFLUX_UNREACHABLE',
    );
  }
  return {
    store,
    supervisor,
    async stop() {
      await store.close();
      await supervisor.stop();
    },
  };
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
