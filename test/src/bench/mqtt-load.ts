import { Worker } from 'node:worker_threads';

/** One MQTT login: a device (publisher) or the counting subscriber. */
export interface MqttLogin {
  username: string;
  password: string;
}

/**
 * What the publishers send: JSON padded to a size (broker benchmarks), or the five metrics of
 * an `air-quality` station (ingest benchmark: every value passes validation). Both carry a
 * device timestamp `ts` in ms that is unique per device and never behind the publish time,
 * so the ingest benchmark can read publish→stored latency from the stored points.
 */
export type LoadPayload = { kind: 'padded'; bytes: number } | { kind: 'air-quality' };

/** The load, identical for every broker it runs against. */
export interface MqttLoad {
  url: string;
  /** One publisher per device, each on `ioc/v1/devices/<username>/telemetry`. */
  devices: MqttLogin[];
  /** Subscribes to every device's telemetry and counts; none: the PUBACKs end the run. */
  subscriber?: MqttLogin;
  messagesPerPublisher: number;
  payload: LoadPayload;
  /** Unacknowledged QoS1 publishes each publisher keeps in flight. */
  window: number;
  /** Publishes per second over all publishers; unset: as fast as PUBACKs allow. */
  ratePerSecond?: number;
  /** How long the subscriber waits for stragglers once every publish is acknowledged. */
  idleTimeoutMs: number;
}

export interface MqttLoadResult {
  sent: number;
  acked: number;
  /** Messages the subscriber received; equals `acked` when the load has no subscriber. */
  delivered: number;
  /** Wall-clock ms (performance.timeOrigin + now(), comparable between threads). */
  firstPublishAt: number;
  lastAckAt: number;
  /** From the first publish to the last delivery (or, without subscriber, the last PUBACK). */
  elapsedMs: number;
  /** Share of the time each client thread's event loop was busy (near 1: it limits the rate). */
  publishersBusy: number;
  subscriberBusy: number;
}

/** What the worker threads report (mqtt-load-worker.ts). */
export type LoadMessage =
  | { type: 'ready' }
  | { type: 'published'; firstPublishAt: number; lastAckAt: number; acked: number; busy: number }
  | { type: 'received'; delivered: number; lastDeliveryAt: number; busy: number }
  | { type: 'failed'; message: string };

export type LoadRole = 'publishers' | 'subscriber';

/**
 * Runs the load with the subscriber and the publishers in two worker threads, so neither the
 * clients nor the broker (aedes runs on the main thread) wait on each other's event loop.
 */
export async function runMqttLoad(load: MqttLoad): Promise<MqttLoadResult> {
  const subscriber = load.subscriber ? new LoadWorker('subscriber', load) : undefined;
  let publishers: LoadWorker | undefined;
  try {
    await subscriber?.next('ready');
    publishers = new LoadWorker('publishers', load);
    const published = await publishers.next('published');
    subscriber?.post('published');
    const received = await subscriber?.next('received');
    const end = received ? received.lastDeliveryAt : published.lastAckAt;
    return {
      sent: load.devices.length * load.messagesPerPublisher,
      acked: published.acked,
      delivered: received ? received.delivered : published.acked,
      firstPublishAt: published.firstPublishAt,
      lastAckAt: published.lastAckAt,
      elapsedMs: Math.max(0, end - published.firstPublishAt),
      publishersBusy: published.busy,
      subscriberBusy: received?.busy ?? 0,
    };
  } finally {
    await Promise.all([subscriber?.stop(), publishers?.stop()]);
  }
}

/** One client thread: waits for its reports in order; an error or early exit rejects. */
class LoadWorker {
  readonly #worker: Worker;
  readonly #inbox: LoadMessage[] = [];
  #wake: (() => void) | undefined;
  #failure: Error | undefined;

  constructor(role: LoadRole, load: MqttLoad) {
    this.#worker = new Worker(new URL('./mqtt-load-worker.js', import.meta.url), {
      workerData: { role, load },
    });
    this.#worker.on('message', (message: LoadMessage) => {
      this.#inbox.push(message);
      this.#wake?.();
    });
    this.#worker.once('error', (err) => this.#fail(err));
    this.#worker.once('exit', (code) => this.#fail(new Error(`${role} thread exited (${code})`)));
  }

  async next<T extends LoadMessage['type']>(type: T): Promise<Extract<LoadMessage, { type: T }>> {
    for (;;) {
      const message = this.#inbox.shift();
      if (message?.type === 'failed') throw new Error(`MQTT load failed: ${message.message}`);
      if (message?.type === type) return message as Extract<LoadMessage, { type: T }>;
      if (message) throw new Error(`MQTT load: expected "${type}", got "${message.type}"`);
      if (this.#failure) throw this.#failure;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  post(message: 'published'): void {
    this.#worker.postMessage(message);
  }

  async stop(): Promise<void> {
    await this.#worker.terminate();
  }

  #fail(err: Error): void {
    this.#failure ??= err;
    this.#wake?.();
  }
}
