/** Why all or part of a telemetry message was refused; sent to the device and dead-lettered. */
export type RejectionCode =
  | 'MALFORMED_JSON'
  | 'UNSUPPORTED_SHAPE'
  | 'PAYLOAD_TOO_LARGE'
  | 'BAD_TIMESTAMP'
  | 'UNKNOWN_DEVICE'
  | 'DEVICE_REVOKED'
  | 'DEVICE_DISABLED'
  | 'UNKNOWN_DEVICE_TYPE'
  | 'UNKNOWN_METRIC'
  | 'WRONG_TYPE'
  | 'OUT_OF_RANGE'
  | 'NOT_FINITE'
  | 'TIMESTAMP_IN_FUTURE'
  | 'TIMESTAMP_TOO_OLD';

export interface Rejection {
  code: RejectionCode;
  /** One sentence a device maker can act on. */
  message: string;
  /** The metric concerned, when the rejection is about one value. */
  metric?: string;
}
