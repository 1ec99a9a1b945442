// Alerts: the SQL store the rule engine raises into and people act on, escalation, storms.
export { type AlertFilter, MAX_PAGE } from './alert-query.js';
export { type AlertHistoryEntry, isStormAlert, STORM_SOURCE_PREFIX } from './alert-row.js';
export type { AlertClear, AlertRaise, AlertSink } from './alert-sink.js';
export {
  type AlertDetail,
  type AlertPage,
  AlertStore,
  type AlertStoreOptions,
  MAX_COMMENT_LENGTH,
} from './alert-store.js';
export {
  AlertEscalation,
  type AlertEscalationOptions,
  type EscalationMinutes,
  type EscalationSettings,
} from './escalation.js';
export { AlertInputError } from './sink-input.js';
export { AlertStormGrouping, type StormSettings } from './storm-grouping.js';
