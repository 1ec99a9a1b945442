// The shared domain every service builds on. Services import only from here.

export * from './auth/index.js';
export * from './bus.js';
export * from './config/index.js';
export * from './errors.js';
export * from './health.js';
export * from './influx/index.js';
export * from './logger.js';
export * from './ports.js';
export * from './service.js';
export * from './sql/index.js';
export * from './units/index.js';
