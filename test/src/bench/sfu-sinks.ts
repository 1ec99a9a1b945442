import { Worker } from 'node:worker_threads';
import type { SinkCounts, SinksCommand, SinksMessage } from './sfu-sinks-worker.js';

export type { SinkCounts } from './sfu-sinks-worker.js';

/**
 * UDP sinks standing in for commune endpoints: sockets on 127.0.0.1 in a worker thread
 * (`sfu-sinks-worker.ts`), counting the RTP and RTCP packets a PlainTransport sends them.
 */
export class UdpSinks {
  readonly #worker: Worker;
  readonly ports: number[] = [];

  private constructor(worker: Worker) {
    this.#worker = worker;
  }

  static start(): UdpSinks {
    return new UdpSinks(new Worker(new URL('./sfu-sinks-worker.js', import.meta.url)));
  }

  /** Opens `count` more sinks; resolves with their ports. */
  async open(count: number): Promise<number[]> {
    const reply = await this.#ask({ kind: 'open', count }, 'opened');
    this.ports.push(...reply.ports);
    return reply.ports;
  }

  /** Zeroes every sink's counters and restarts the clock of `counts()`. */
  reset(): void {
    this.#worker.postMessage({ kind: 'reset' } satisfies SinksCommand);
  }

  /** What each sink received since the last reset, and how long that was. */
  async counts(): Promise<{ sinks: SinkCounts[]; seconds: number }> {
    return this.#ask({ kind: 'report' }, 'counts');
  }

  async close(): Promise<void> {
    const exited = new Promise((resolve) => this.#worker.once('exit', resolve));
    this.#worker.postMessage({ kind: 'close' } satisfies SinksCommand);
    const timer = setTimeout(() => void this.#worker.terminate(), 5_000);
    await exited;
    clearTimeout(timer);
  }

  #ask<K extends SinksMessage['kind']>(
    command: SinksCommand,
    kind: K,
  ): Promise<Extract<SinksMessage, { kind: K }>> {
    return new Promise((resolve, reject) => {
      const onMessage = (message: SinksMessage) => {
        if (message.kind === 'failed') {
          done();
          reject(new Error(`UDP sinks: ${message.message}`));
        } else if (message.kind === kind) {
          done();
          resolve(message as Extract<SinksMessage, { kind: K }>);
        }
      };
      const onError = (err: Error) => {
        done();
        reject(err);
      };
      const done = () => {
        this.#worker.off('message', onMessage);
        this.#worker.off('error', onError);
      };
      this.#worker.on('message', onMessage);
      this.#worker.on('error', onError);
      this.#worker.postMessage(command);
    });
  }
}
