/**
 * One set of values from one device at one instant, as a source (MQTT, OPC-UA) hands it to
 * the ingest pipeline. The pipeline validates it against the device's type, enriches it with
 * registry metadata and stores it.
 */
export interface Reading {
  deviceId: string;
  /** Device time; the pipeline uses the receive time when absent. */
  ts?: Date;
  values: Record<string, number | boolean>;
  source: 'mqtt' | 'opcua';
  receivedAt: Date;
}
