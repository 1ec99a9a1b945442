import { Worker } from 'node:worker_threads';

/** The load, identical for every broker: publishers fire QoS1 telemetry, one subscriber counts. */
export interface MqttLoad {
  url: string;
  /** Accepted by the broker for any `bench-dev-*` device and for `svc:bench`. */
  password: string;
  publishers: number;
  messagesPerPublisher: number;
  payloadBytes: number;
  /** Unacknowledged QoS1 publishes each publisher keeps in flight. */
  window: number;
  /** How long the subscriber waits for stragglers once every publish is acknowledged. */
  idleTimeoutMs: number;
}

export interface MqttLoadResult {
  sent: number;
  acked: number;
  delivered: number;
  /** From the first publish to the last delivery to the subscriber. */
  elapsedMs: number;
  /** Share of the time each client thread's event loop was busy (near 1: it limits the rate). */
  publishersBusy: number;
  subscriberBusy: number;
}

/** What the worker threads report (mqtt-load-worker.ts). */
export type LoadMessage =
  | { type: 'ready' }
  | { type: 'published'; firstPublishAt: number; acked: number; busy: number }
  | { type: 'received'; delivered: number; lastDeliveryAt: number; busy: number }
  | { type: 'failed'; message: string };

export type LoadRole = 'publishers' | 'subscriber';

/** The subscriber logs in as an internal service; the publishers as devices `bench-dev-NNNN`. */
export const SUBSCRIBER_USERNAME = 'svc:bench';

/**
 * Runs the load with the subscriber and the publishers in two worker threads, so neither the
 * clients nor the broker (aedes runs on the main thread) wait on each other's event loop.
 */
export async function runMqttLoad(load: MqttLoad): Promise<MqttLoadResult> {
  const subscriber = new LoadWorker('subscriber', load);
  let publishers: LoadWorker | undefined;
  try {
    await subscriber.next('ready');
    publishers = new LoadWorker('publishers', load);
    const published = await publishers.next('published');
    subscriber.post('published');
    const received = await subscriber.next('received');
    return {
      sent: load.publishers * load.messagesPerPublisher,
      acked: published.acked,
      delivered: received.delivered,
      elapsedMs: Math.max(0, received.lastDeliveryAt - published.firstPublishAt),
      publishersBusy: published.busy,
      subscriberBusy: received.busy,
    };
  } finally {
    await Promise.all([subscriber.stop(), publishers?.stop()]);
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
