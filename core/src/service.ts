import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { LiveBus } from './bus.js';
import type { AppConfig } from './config/index.js';
import type { HealthRegistry } from './health.js';

/** What every running service hands back: a way to stop it and release everything it holds. */
export interface RunningService {
  stop(): Promise<void>;
}

/**
 * The shared dependencies a service receives from the process that hosts it.
 * Services register their health checks and metrics here instead of reaching into each other.
 */
export interface ServiceDeps {
  logger: Logger;
  health: HealthRegistry;
  metrics: Registry;
  bus: LiveBus;
}

/** Every service folder's entry exports a `start` of this shape. */
export type StartService<Extra = object, Result extends RunningService = RunningService> = (
  config: AppConfig,
  deps: ServiceDeps & Extra,
) => Promise<Result>;
