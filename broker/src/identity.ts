/** Who an MQTT connection is, once authenticated: a field device or an internal service. */
export type MqttIdentity = { kind: 'device'; deviceId: string } | { kind: 'service'; name: string };

/**
 * A known client that must not connect (a revoked or disabled device): CONNACK 5
 * "not authorized". Return it only after the secret was checked, so that a guesser cannot
 * learn which device ids exist or are revoked.
 */
export interface MqttRefusal {
  kind: 'refused';
  reason: string;
}

/** What the broker knows about a connection when it asks who is logging in. */
export interface MqttConnectionInfo {
  /** MQTT client id; for a device it must equal the device id. */
  id: string;
  /** Remote address of the connection. */
  ip?: string;
  /**
   * Common name of a TLS client certificate that the broker verified against the configured
   * CA. When set, the client proved it is this device without a password: decide only
   * whether the device exists and may connect, and ignore `password`.
   */
  certificateCn?: string;
}

/**
 * Resolves MQTT credentials: an identity, a refusal (CONNACK 5), or undefined for an unknown
 * username or a wrong password (CONNACK 4). A rejected promise means the authority is
 * unavailable (CONNACK 3, the client retries later). With a client certificate, `username`
 * is the certificate's CN and `password` may be empty.
 */
export type MqttAuthenticator = (
  username: string,
  password: string,
  connection: MqttConnectionInfo,
) => Promise<MqttIdentity | MqttRefusal | undefined>;

/** A short label for logs and metrics: `device:<id>` or `service:<name>`. */
export function describeIdentity(identity: MqttIdentity): string {
  return identity.kind === 'device' ? `device:${identity.deviceId}` : `service:${identity.name}`;
}
