import type { Logger } from '@ioc/core';

type Step = () => Promise<void> | void;

/**
 * What a benchmark started (influxd, mosquitto, the broker, temp dirs), undone in reverse order
 * when it finishes or fails, and on Ctrl-C: influxd runs in its own process group, so
 * without this an interrupted run would leave it behind.
 */
export class Teardown {
  readonly #steps: { name: string; step: Step }[] = [];
  #running: Promise<void> | undefined;

  constructor(private readonly logger: Logger) {}

  defer(name: string, step: Step): void {
    this.#steps.push({ name, step });
  }

  /**
   * Runs every deferred step once, newest first; a failing step does not stop the others.
   * A second caller (Ctrl-C while a benchmark is failing) waits for the same run.
   */
  run(): Promise<void> {
    this.#running ??= this.#drain().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #drain(): Promise<void> {
    for (let entry = this.#steps.pop(); entry; entry = this.#steps.pop()) {
      try {
        await entry.step();
      } catch (err) {
        this.logger.warn({ err, step: entry.name }, 'benchmark clean-up step failed');
      }
    }
  }
}
