/** setTimeout's ceiling (about 24.8 days); a later deadline waits in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Calls `reached` once the time `at()` returns (ISO 8601) has come. `at` is read again when
 * the timer fires, so a deadline that moved later (a conference extended) keeps waiting.
 */
export class Deadline {
  readonly #at: () => string;
  readonly #reached: () => void;
  #timer: NodeJS.Timeout | undefined;
  #cancelled = false;

  constructor(at: () => string, reached: () => void) {
    this.#at = at;
    this.#reached = reached;
    this.reset();
  }

  /** Arms the timer again for the current `at()`. */
  reset(): void {
    clearTimeout(this.#timer);
    if (this.#cancelled) return;
    const delay = Date.parse(this.#at()) - Date.now();
    if (Number.isNaN(delay)) return;
    this.#timer = setTimeout(
      () => {
        if (Date.parse(this.#at()) > Date.now()) return this.reset();
        this.#reached();
      },
      Math.max(0, Math.min(delay, MAX_TIMER_MS)),
    );
    this.#timer.unref();
  }

  cancel(): void {
    this.#cancelled = true;
    clearTimeout(this.#timer);
  }
}
