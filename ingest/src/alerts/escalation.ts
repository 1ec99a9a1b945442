import type { AlertSeverity, AlertSnapshot, Logger } from '@ioc/core';
import type { AlertStore } from './alert-store.js';

/** Minutes an alert of each severity may stay unacknowledged before it escalates; 0: never. */
export type EscalationMinutes = Record<AlertSeverity, number>;

export interface EscalationSettings {
  minutes: EscalationMinutes;
  /** Escalations per alert at most (one per period while it stays unacknowledged). */
  maxLevel: number;
}

export interface AlertEscalationOptions extends EscalationSettings {
  store: Pick<AlertStore, 'escalateOverdue'>;
  logger: Logger;
  /** The clock; default the system clock. Tests move it instead of waiting. */
  now?: () => Date;
  /** Time between scans; default 10 s. */
  intervalMs?: number;
}

/**
 * Escalation: an alert still `active` (nobody acknowledged it) `minutes[severity]` after it
 * was raised escalates (level 1, an `escalated` event that notifications act on), and again
 * every such period after that, up to `maxLevel`. A timer scans SQL, so escalation survives
 * restarts and several processes scanning at once escalate an alert once.
 */
export class AlertEscalation {
  readonly #store: AlertEscalationOptions['store'];
  readonly #settings: EscalationSettings;
  readonly #logger: Logger;
  readonly #now: () => Date;
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;
  #scanning: Promise<AlertSnapshot[]> | undefined;
  #stopped = true;

  constructor(options: AlertEscalationOptions) {
    for (const [severity, minutes] of Object.entries(options.minutes)) {
      if (!Number.isFinite(minutes) || minutes < 0) {
        throw new RangeError(`escalation minutes for ${severity} must be 0 (never) or more`);
      }
    }
    this.#store = options.store;
    this.#settings = { minutes: { ...options.minutes }, maxLevel: options.maxLevel };
    this.#logger = options.logger;
    this.#now = options.now ?? (() => new Date());
    this.#intervalMs = options.intervalMs ?? 10_000;
  }

  /** Scans now and then every interval until stop(). */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#tick();
  }

  /** Stops the timer and waits for a scan in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#scanning?.catch(() => undefined);
  }

  /** Escalates what is overdue at the clock's time; returns the escalated alerts. */
  scan(): Promise<AlertSnapshot[]> {
    this.#scanning ??= this.#scanOnce().finally(() => {
      this.#scanning = undefined;
    });
    return this.#scanning;
  }

  async #scanOnce(): Promise<AlertSnapshot[]> {
    const now = this.#now();
    const cutoffs: Partial<Record<AlertSeverity, Date>> = {};
    for (const [severity, minutes] of Object.entries(this.#settings.minutes)) {
      if (minutes > 0) {
        cutoffs[severity as AlertSeverity] = new Date(now.getTime() - minutes * 60_000);
      }
    }
    const escalated = await this.#store.escalateOverdue(cutoffs, this.#settings.maxLevel, now);
    if (escalated.length > 0) this.#logger.info({ alerts: escalated.length }, 'alerts escalated');
    return escalated;
  }

  #tick(): void {
    this.scan()
      .catch((err) => this.#logger.warn({ err }, 'alert escalation scan failed; retrying'))
      .finally(() => {
        if (this.#stopped) return;
        this.#timer = setTimeout(() => this.#tick(), this.#intervalMs);
        this.#timer.unref();
      });
  }
}
