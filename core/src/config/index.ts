export { ENV_KEYS } from './env.js';
export { type DeepPartial, type LoadConfigOptions, loadConfig } from './load.js';
export { type AppConfig, ConfigSchema } from './schema.js';
