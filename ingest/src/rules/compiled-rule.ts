import type { Scheduled } from './deadline-queue.js';
import type { ConditionKind, Rule } from './rule.js';
import type { SourceDetail, StatePhase } from './rule-state-store.js';

/**
 * Where one rule stands for one source (a device, or `kpi:<kpi>:<unit>`). Sources in plain
 * "normal" have no state at all; missing-data rules keep one per device they watch.
 */
export class SourceState implements Scheduled {
  rule: CompiledRule;
  readonly source: string;
  phase: StatePhase | 'normal' = 'normal';
  /** When the phase began (epoch ms, engine clock). */
  since = 0;
  /** A raise was decided (and a clear is owed when the condition goes). */
  raised = false;
  /** The alert sink accepted that raise; only this is stored as `raised`. */
  raiseDelivered = false;
  /** Device time of the newest point evaluated; older points are ignored. */
  lastTs = Number.NEGATIVE_INFINITY;
  /** Missing-data rules: engine time of the last report known when the state was made. */
  lastReportAt: number | null = null;
  detail: SourceDetail;
  /** Missing-data rules: silence counts from the last report, but from no earlier than this. */
  watchFrom = 0;
  deadline: number | undefined;
  queuedAt: number | undefined;

  constructor(rule: CompiledRule, source: string, detail: SourceDetail) {
    this.rule = rule;
    this.source = source;
    this.detail = detail;
  }

  /** Still the live state of its rule and source (not dropped or replaced). */
  get current(): boolean {
    return this.rule.states.get(this.source) === this;
  }
}

/**
 * A rule ready for evaluation: its scope and condition as plain fields (the hot path reads
 * the same shape for every rule), its raise budget and its sources' states.
 */
export class CompiledRule {
  readonly rule: Rule;
  readonly id: string;
  readonly kind: ConditionKind;
  /** The metric a telemetry condition reads; undefined for any metric, offline and KPI. */
  readonly metric: string | undefined;
  readonly scopeDevice: string | undefined;
  readonly scopeType: string | undefined;
  readonly scopeSector: string | undefined;
  readonly scopeUnit: string | undefined;
  /** Threshold and KPI rules: true for "above". */
  readonly above: boolean;
  /** Threshold: the threshold; KPI: the target. */
  readonly threshold: number;
  /** Threshold: the clear level. */
  readonly clear: number;
  /** Threshold and offline: the "for" duration in ms. */
  readonly forMs: number;
  /** Rate rules: rise (else fall), by how much, and the key of the window they read. */
  readonly rise: boolean;
  readonly by: number;
  readonly windowS: number;
  readonly windowKey: string;
  /**
   * Where the threshold index sorts the rule: a value passes the threshold exactly when its
   * probe (the value, negated for "below") is greater than this.
   */
  readonly sortKey: number;
  readonly states = new Map<string, SourceState>();
  readonly budget: RaiseBudget;
  /** Missing-data rules: the silence allowed per device type (ms), filled in as types appear. */
  readonly missingPeriods = new Map<string, number | undefined>();
  /** When the engine last logged that this rule's raises are being held back. */
  deferralLoggedAt = Number.NEGATIVE_INFINITY;

  constructor(rule: Rule, now: number) {
    this.rule = rule;
    this.id = rule.id;
    const { scope, condition } = rule;
    this.kind = condition.kind;
    this.metric = 'metric' in condition ? condition.metric : undefined;
    this.scopeDevice = scope.device;
    this.scopeType = scope.type;
    this.scopeSector = scope.sector;
    this.scopeUnit = scope.unit;
    this.above = 'op' in condition && condition.op === 'above';
    this.threshold =
      condition.kind === 'threshold'
        ? condition.value
        : condition.kind === 'kpi'
          ? condition.target
          : 0;
    this.clear =
      condition.kind === 'threshold' ? (condition.clear ?? condition.value) : this.threshold;
    this.forMs = 'forS' in condition ? (condition.forS ?? 0) * 1000 : 0;
    this.sortKey = this.above ? this.threshold : -this.threshold;
    this.rise = condition.kind === 'rate' && condition.direction === 'rise';
    this.by = condition.kind === 'rate' ? condition.by : 0;
    this.windowS = condition.kind === 'rate' ? condition.windowS : 0;
    // Rules that read the same metric over the same window share one window per device.
    this.windowKey = `${this.metric}|${this.windowS}|${this.rise ? 'rise' : 'fall'}`;
    this.budget = new RaiseBudget(rule.rateLimit.raises, rule.rateLimit.perS, now);
  }

  /** Every given scope field must match; `unitChain` is the unit and its ancestors. */
  matches(
    device: string | null,
    type: string | null,
    sector: string | null,
    unitChain: readonly string[],
  ): boolean {
    return (
      (this.scopeDevice === undefined || this.scopeDevice === device) &&
      (this.scopeType === undefined || this.scopeType === type) &&
      (this.scopeSector === undefined || this.scopeSector === sector) &&
      (this.scopeUnit === undefined || unitChain.includes(this.scopeUnit))
    );
  }

  /** Threshold rules: the value is past the threshold. */
  beyond(value: number): boolean {
    return this.above ? value > this.threshold : value < this.threshold;
  }

  /** Threshold rules: the value is back past the clear level. */
  cleared(value: number): boolean {
    return this.above ? value < this.clear : value > this.clear;
  }
}

/** A token bucket: `raises` at once, refilled evenly over `perS` seconds. */
export class RaiseBudget {
  readonly #capacity: number;
  readonly #perMs: number;
  #tokens: number;
  #updatedAt: number;

  constructor(raises: number, perS: number, now: number) {
    this.#capacity = raises;
    this.#perMs = raises / (perS * 1000);
    this.#tokens = raises;
    this.#updatedAt = now;
  }

  /** Spends one raise if there is one. */
  take(now: number): boolean {
    this.#refill(now);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** When the next raise will be available. */
  nextAt(now: number): number {
    this.#refill(now);
    return this.#tokens >= 1 ? now : now + Math.ceil((1 - this.#tokens) / this.#perMs);
  }

  #refill(now: number): void {
    if (now <= this.#updatedAt) return;
    this.#tokens = Math.min(this.#capacity, this.#tokens + (now - this.#updatedAt) * this.#perMs);
    this.#updatedAt = now;
  }
}
