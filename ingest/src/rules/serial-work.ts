/** Tasks run one after another in the order they were queued; a task's failure is reported. */
export class SerialWork {
  readonly #onError: (err: unknown) => void;
  #tail: Promise<void> = Promise.resolve();

  constructor(onError: (err: unknown) => void) {
    this.#onError = onError;
  }

  push(task: () => unknown): void {
    this.#tail = this.#tail.then(task).then(
      () => undefined,
      (err) => this.#onError(err),
    );
  }

  /** Resolves once every task queued so far, and every task they queued, has run. */
  async idle(): Promise<void> {
    for (let tail = this.#tail; ; tail = this.#tail) {
      await tail;
      if (tail === this.#tail) return;
    }
  }
}
