// The device contract shared by the broker, ingest, the web server and the simulators.
// The catalogue of device types and the registry arrive with the IoT platform issue.
export * from './topics.js';
