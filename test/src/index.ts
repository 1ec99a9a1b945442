// Helpers shared by the cross-service tests and the benchmarks.
export { chromiumPath, launchChromium } from './browser.js';
export { freePort } from './free-port.js';
export * from './ioc-server.js';
export { startThrowawayPostgres, type ThrowawayPostgres } from './postgres.js';
