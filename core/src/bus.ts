import { EventEmitter } from 'node:events';

/**
 * Events that cross service boundaries inside one process (and, later, through Redis
 * across processes). Each later issue adds its event types here.
 */
export interface LiveEvents {
  'service.status': { service: string; status: 'up' | 'down'; reason?: string };
  /** The hosting process received a stop signal; services stop expecting their children. */
  'process.stopping': { signal: string };
  /**
   * A device came online or went offline (broker). `at` is an ISO 8601 UTC time; `reason`
   * says why: `connect`, `disconnect` (clean MQTT DISCONNECT), `keepalive-timeout`,
   * `connection-lost`, `protocol-error` or `broker-stopping`.
   */
  'device.presence': {
    deviceId: string;
    state: 'online' | 'offline';
    at: string;
    reason: string;
  };
}

/** A typed in-memory publish/subscribe bus. */
export class LiveBus {
  readonly #emitter = new EventEmitter({ captureRejections: false });

  constructor() {
    this.#emitter.setMaxListeners(0);
  }

  publish<K extends keyof LiveEvents>(topic: K, event: LiveEvents[K]): void {
    this.#emitter.emit(topic, event);
  }

  subscribe<K extends keyof LiveEvents>(
    topic: K,
    listener: (event: LiveEvents[K]) => void,
  ): () => void {
    this.#emitter.on(topic, listener);
    return () => this.#emitter.off(topic, listener);
  }
}
