// Alert rules: the model and its checks, SQL storage, the rules file, and the engine that
// evaluates them on the live stream and reports to an AlertSink.
export type { Clock as RuleEngineClock, ClockTimer as RuleEngineTimer } from '../clock.js';
export {
  CONDITION_KINDS,
  type ConditionKind,
  DEFAULT_MISSING_FACTOR,
  DEFAULT_RATE_LIMIT,
  type KpiCondition,
  type MissingDataCondition,
  type NewRule,
  type OfflineCondition,
  type RateCondition,
  RULE_ID_PATTERN,
  type Rule,
  type RuleCondition,
  type RuleInput,
  RuleInputSchema,
  type RuleOrigin,
  type RuleRateLimit,
  type RuleScope,
  type ThresholdCondition,
} from './rule.js';
export {
  type CheckedRule,
  checkRuleInput,
  type RuleCheckContext,
  type RuleProblem,
} from './rule-check.js';
export {
  type DeviceLookup,
  kpiSource,
  RuleEngine,
  type RuleEngineEvents,
  type RuleEngineOptions,
  type RuleTransition,
} from './rule-engine.js';
export { RuleStateStore } from './rule-state-store.js';
export {
  RuleStore,
  type RuleStoreEvents,
  type RuleStoreOptions,
  type RulesFileSync,
} from './rule-store.js';
export { applyRulesFile, DEMO_RULES_FILE, readRulesFile } from './rules-file.js';
export { syntheticRules } from './synthetic-rules.js';
export { PLACEHOLDERS as RULE_MESSAGE_PLACEHOLDERS } from './template.js';
