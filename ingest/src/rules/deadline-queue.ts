import type { Clock, ClockTimer } from '../clock.js';

/** Something with one deadline at a time; the queue keeps the bookkeeping fields. */
export interface Scheduled {
  /** When it falls due (epoch ms); undefined when nothing is scheduled. */
  deadline: number | undefined;
  /** The time of its live entry in the queue (owned by the queue). */
  queuedAt: number | undefined;
}

interface Entry<T> {
  at: number;
  /** Queue order: items due at the same time come up first in, first out. */
  seq: number;
  item: T;
}

function before<T>(a: Entry<T>, b: Entry<T>): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/**
 * Many deadlines on one timer. Moving a deadline later costs nothing but an assignment (the
 * queued entry finds the new time when it comes up and re-queues itself), which keeps the hot
 * path cheap: a missing-data rule pushes a device's deadline back on every report.
 */
export class DeadlineQueue<T extends Scheduled> {
  readonly #clock: Clock;
  readonly #onDue: (item: T, now: number) => void;
  readonly #heap: Entry<T>[] = [];
  #timer: ClockTimer | undefined;
  #armedAt: number | undefined;
  #seq = 0;
  #closed = false;

  constructor(clock: Clock, onDue: (item: T, now: number) => void) {
    this.#clock = clock;
    this.#onDue = onDue;
  }

  /** Sets the item's deadline (replacing any earlier or later one). */
  schedule(item: T, at: number): void {
    item.deadline = at;
    if (item.queuedAt === undefined || at < item.queuedAt) {
      item.queuedAt = at;
      this.#push({ at, seq: this.#seq++, item });
      this.#arm();
    }
  }

  cancel(item: T): void {
    item.deadline = undefined;
  }

  /** Entries queued, including stale ones not yet dropped. */
  get size(): number {
    return this.#heap.length;
  }

  close(): void {
    this.#closed = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#heap.length = 0;
  }

  #run(): void {
    const now = this.#clock.now();
    for (let top = this.#heap[0]; top && top.at <= now; top = this.#heap[0]) {
      this.#pop();
      const { item } = top;
      if (item.queuedAt !== top.at) continue; // superseded by an earlier entry
      item.queuedAt = undefined;
      const deadline = item.deadline;
      if (deadline === undefined) continue;
      if (deadline > now) {
        item.queuedAt = deadline;
        this.#push({ at: deadline, seq: this.#seq++, item });
        continue;
      }
      item.deadline = undefined;
      this.#onDue(item, now);
      if (this.#closed) return;
    }
    this.#arm();
  }

  #arm(): void {
    if (this.#closed) return;
    const top = this.#heap[0];
    if (top?.at === this.#armedAt) return;
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#armedAt = top?.at;
    if (!top) return;
    this.#timer = this.#clock.setTimer(() => {
      this.#timer = undefined;
      this.#armedAt = undefined;
      this.#run();
    }, top.at - this.#clock.now());
  }

  #push(entry: Entry<T>): void {
    const heap = this.#heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(entry, heap[parent] as Entry<T>)) break;
      heap[i] = heap[parent] as Entry<T>;
      i = parent;
    }
    heap[i] = entry;
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop();
    if (!last || heap.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child =
        right < heap.length && before(heap[right] as Entry<T>, heap[left] as Entry<T>)
          ? right
          : left;
      if (!before(heap[child] as Entry<T>, last)) break;
      heap[i] = heap[child] as Entry<T>;
      i = child;
    }
    heap[i] = last;
  }
}
