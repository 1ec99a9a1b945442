import { Counter, type Registry } from 'prom-client';

export type AclAction = 'publish' | 'subscribe';
export type LimitName = 'payload_size' | 'packet_size' | 'rate' | 'inflight';
export type LoginFailure =
  | 'anonymous'
  | 'bad_credentials'
  | 'refused'
  | 'identifier_rejected'
  | 'untrusted_certificate'
  | 'throttled';

/**
 * The broker's counters (Prometheus). They sit on the registry while the broker runs;
 * their values survive a stop and start.
 */
export class BrokerMetrics {
  readonly #aclDenied = new Counter({
    name: 'ioc_mqtt_acl_denied_total',
    help: 'MQTT publishes and subscriptions refused by the topic ACL',
    labelNames: ['action'],
    registers: [],
  });
  readonly #limitRejected = new Counter({
    name: 'ioc_mqtt_limit_rejected_total',
    help: 'MQTT messages or connections refused by a broker limit',
    labelNames: ['limit'],
    registers: [],
  });
  readonly #authFailures = new Counter({
    name: 'ioc_mqtt_auth_failures_total',
    help: 'MQTT logins refused, by reason (throttled = refused without asking the registry)',
    labelNames: ['reason'],
    registers: [],
  });
  readonly #all: ReadonlyArray<readonly [string, Counter<string>]> = [
    ['ioc_mqtt_acl_denied_total', this.#aclDenied],
    ['ioc_mqtt_limit_rejected_total', this.#limitRejected],
    ['ioc_mqtt_auth_failures_total', this.#authFailures],
  ];

  constructor(readonly registry: Registry) {}

  register(): void {
    for (const [name, counter] of this.#all) {
      if (!this.registry.getSingleMetric(name)) this.registry.registerMetric(counter);
    }
  }

  unregister(): void {
    for (const [name] of this.#all) this.registry.removeSingleMetric(name);
  }

  countAclDenial(action: AclAction): void {
    this.#aclDenied.inc({ action });
  }

  countLimitRejection(limit: LimitName): void {
    this.#limitRejected.inc({ limit });
  }

  countLoginFailure(reason: LoginFailure): void {
    this.#authFailures.inc({ reason });
  }
}
