import { errorMessage, type Logger } from '@ioc/core';
import type { Clock, ClockTimer } from '../clock.js';
import type { SourceState } from './compiled-rule.js';
import type { RuleStateStore, StoredRuleState } from './rule-state-store.js';
import type { SerialWork } from './serial-work.js';

export interface RuleStateWriterOptions {
  store: RuleStateStore;
  /** The engine's queue: a state is written after the raises and clears decided before it. */
  work: SerialWork;
  /** The row to keep for a state, or undefined when its row goes (normal again, rule gone). */
  snapshot: (state: SourceState) => StoredRuleState | undefined;
  clock: Clock;
  /** How often states marked `later` are written. */
  intervalMs: number;
  /** Called before each periodic write, to mark what changed since the last one. */
  beforePeriodicWrite?: () => void;
  logger: Logger;
}

/**
 * Writes the engine's evaluation state to SQL in batches: phase changes right after the
 * work queued before them, report times every `intervalMs`. A failed write is tried again
 * with the next one.
 */
export class RuleStateWriter {
  readonly #options: RuleStateWriterOptions;
  readonly #soon = new Set<SourceState>();
  readonly #later = new Set<SourceState>();
  #queued = false;
  #timer: ClockTimer | undefined;

  constructor(options: RuleStateWriterOptions) {
    this.#options = options;
  }

  /** Starts the periodic writes of states marked `later`. */
  start(): void {
    this.#timer = this.#options.clock.setTimer(() => {
      this.#options.beforePeriodicWrite?.();
      this.#promoteLater();
      this.start();
    }, this.#options.intervalMs);
  }

  /** Writes what is marked, `later` too, and stops the periodic writes. */
  stop(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#options.beforePeriodicWrite?.();
    this.#promoteLater();
  }

  /** The state changed phase: write it with the next queued work. */
  soon(state: SourceState): void {
    this.#soon.add(state);
    if (this.#queued) return;
    this.#queued = true;
    this.#options.work.push(() => this.#flush());
  }

  /** Only its report time changed: write it with the next periodic write. */
  later(state: SourceState): void {
    this.#later.add(state);
  }

  #promoteLater(): void {
    for (const state of this.#later) this.soon(state);
    this.#later.clear();
  }

  async #flush(): Promise<void> {
    this.#queued = false;
    const states = [...this.#soon];
    this.#soon.clear();
    const gone: Array<{ ruleId: string; source: string }> = [];
    const kept: StoredRuleState[] = [];
    for (const state of states) {
      this.#later.delete(state);
      const row = this.#options.snapshot(state);
      if (row) kept.push(row);
      else gone.push({ ruleId: state.rule.id, source: state.source });
    }
    try {
      // Deletes first: a source that went normal and fired again has a new state to keep.
      await this.#options.store.delete(gone);
      await this.#options.store.save(kept);
    } catch (err) {
      this.#options.logger.error(
        { err: errorMessage(err), states: states.length },
        'could not write the rule evaluation state; trying again with the next write',
      );
      for (const state of states) this.#later.add(state);
    }
  }
}
