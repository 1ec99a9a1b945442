import type { Clock, ClockTimer } from '../clock.js';
import type { NotificationEvent } from './types.js';

/** A delivery in memory while it is pending. */
export interface QueuedDelivery {
  id: string;
  subscriptionId: string;
  alertId: string;
  change: NotificationEvent['change'];
  /** The exact JSON every attempt sends. */
  body: string;
  /** Attempts made so far. */
  attempts: number;
  createdAt: number;
  /** False when its row could not be written: attempts are then not recorded either. */
  persisted: boolean;
}

export interface DeliveryLaneOptions {
  /** Most deliveries queued, in flight and waiting for a retry together. */
  maxPending: number;
  clock: Clock;
  /**
   * Makes one attempt and records it; calls `retry(ms)` to have the delivery tried again
   * `ms` later (before telling observers, so that they find the retry already scheduled).
   * Should not throw (a throw counts as finished).
   */
  attempt: (delivery: QueuedDelivery, retry: (delayMs: number) => void) => Promise<void>;
}

/**
 * The deliveries of one subscription: one attempt in flight at a time, in arrival order,
 * while deliveries waiting for a retry hold no slot. Each subscription has its own lane,
 * so a slow or dead endpoint delays only its own notifications, and the lane's bound keeps
 * the memory a dead endpoint can cost fixed.
 */
export class DeliveryLane {
  readonly #options: DeliveryLaneOptions;
  readonly #ready: QueuedDelivery[] = [];
  readonly #waiting = new Map<QueuedDelivery, ClockTimer>();
  #inFlight: QueuedDelivery | undefined;
  #draining: Promise<void> | undefined;
  #closed = false;

  constructor(options: DeliveryLaneOptions) {
    this.#options = options;
  }

  /** Deliveries queued, in flight or waiting for a retry. */
  get size(): number {
    return this.#ready.length + this.#waiting.size + (this.#inFlight ? 1 : 0);
  }

  get full(): boolean {
    return this.size >= this.#options.maxPending;
  }

  /** Takes a delivery, first attempt after `delayMs`; false when full or closed. */
  offer(delivery: QueuedDelivery, delayMs = 0): boolean {
    if (this.#closed || this.full) return false;
    this.#admit(delivery, delayMs);
    return true;
  }

  /** Removes every delivery not in flight (the subscription was disabled or deleted). */
  cancel(): QueuedDelivery[] {
    const removed = [...this.#ready.splice(0), ...this.#waiting.keys()];
    for (const timer of this.#waiting.values()) timer.cancel();
    this.#waiting.clear();
    return removed;
  }

  /** Resolves when nothing is in flight or ready (deliveries waiting for a retry may remain). */
  async drained(): Promise<void> {
    while (this.#draining) await this.#draining;
  }

  /** Stops taking and retrying deliveries; resolves once the attempt in flight has ended. */
  async close(): Promise<void> {
    this.#closed = true;
    this.cancel();
    await this.#draining;
  }

  #admit(delivery: QueuedDelivery, delayMs: number): void {
    if (delayMs <= 0) {
      this.#ready.push(delivery);
      this.#draining ??= this.#drain();
      return;
    }
    const timer = this.#options.clock.setTimer(() => {
      if (!this.#waiting.delete(delivery) || this.#closed) return;
      this.#admit(delivery, 0);
    }, delayMs);
    this.#waiting.set(delivery, timer);
  }

  async #drain(): Promise<void> {
    for (;;) {
      const delivery = this.#closed ? undefined : this.#ready.shift();
      if (!delivery) break;
      this.#inFlight = delivery;
      try {
        await this.#options.attempt(delivery, (delayMs) => {
          if (!this.#closed) this.#admit(delivery, delayMs);
        });
      } catch {
        // `attempt` records and logs its own failures; a throw must not stop the lane.
      }
      this.#inFlight = undefined;
    }
    this.#draining = undefined;
  }
}
