import { Counter, Gauge, type Registry } from 'prom-client';
import type { CompiledRule } from './compiled-rule.js';

const NAMES = [
  'ioc_rule_raises_total',
  'ioc_rule_clears_total',
  'ioc_rule_raises_deferred_total',
  'ioc_rule_sink_errors_total',
  'ioc_rule_evaluation_errors_total',
  'ioc_rules_enabled',
  'ioc_rule_sources_firing',
];

/** The rule engine's Prometheus metrics (removed again by `remove()`). */
export class RuleEngineMetrics {
  readonly raises: Counter;
  readonly clears: Counter;
  readonly deferred: Counter;
  readonly sinkErrors: Counter;
  readonly evaluationErrors: Counter;
  readonly #registry: Registry | undefined;

  constructor(registry: Registry | undefined, rules: ReadonlyMap<string, CompiledRule>) {
    this.#registry = registry;
    const registers = registry ? [registry] : [];
    const counter = (name: string, help: string) => new Counter({ name, help, registers });
    this.raises = counter('ioc_rule_raises_total', 'Alert raises sent to the alert store');
    this.clears = counter('ioc_rule_clears_total', 'Alert clears sent to the alert store');
    this.deferred = counter(
      'ioc_rule_raises_deferred_total',
      'Raises held back by a rule rate limit (sent when it allows)',
    );
    this.sinkErrors = counter(
      'ioc_rule_sink_errors_total',
      'Raises or clears the alert store refused',
    );
    this.evaluationErrors = counter(
      'ioc_rule_evaluation_errors_total',
      'Telemetry batches, presence or KPI events whose evaluation failed',
    );
    new Gauge({
      name: 'ioc_rules_enabled',
      help: 'Enabled alert rules being evaluated',
      registers,
      collect() {
        this.set(rules.size);
      },
    });
    new Gauge({
      name: 'ioc_rule_sources_firing',
      help: 'Rule and source pairs whose condition holds',
      registers,
      collect() {
        let firing = 0;
        for (const rule of rules.values()) {
          for (const state of rule.states.values()) if (state.phase === 'firing') firing++;
        }
        this.set(firing);
      },
    });
  }

  remove(): void {
    for (const name of NAMES) this.#registry?.removeSingleMetric(name);
  }
}
