import type { AlertSeverity } from '@ioc/core';

/** A rule's condition holds for one source: open an alert, or re-trigger the open one. */
export interface AlertRaise {
  ruleId: string;
  /** What the condition holds for: a device id, or `kpi:<kpi>:<unit>` for a KPI rule. */
  source: string;
  severity: AlertSeverity;
  /** The rule's message template, already rendered in both languages. */
  message: { vi: string; en: string };
  deviceId: string | null;
  unit: string | null;
  sector: string | null;
  metric: string | null;
  value: number | boolean | null;
  at: Date;
}

/** A rule's condition no longer holds for one source: its open alert is cleared. */
export interface AlertClear {
  ruleId: string;
  source: string;
  at: Date;
}

/**
 * What the rule engine (ingest/src/rules) needs from the alert store (ingest/src/alerts).
 * Raising is idempotent per rule and source: while an alert of that pair is open (active or
 * acknowledged) a raise updates its count and last-seen time instead of opening another.
 */
export interface AlertSink {
  raise(raise: AlertRaise): Promise<void>;
  /** Does nothing when no alert of that rule and source is open. */
  clear(clear: AlertClear): Promise<void>;
}
