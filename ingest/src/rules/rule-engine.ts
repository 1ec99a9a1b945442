import { EventEmitter } from 'node:events';
import {
  type AdminUnitTree,
  errorMessage,
  type KpiObservation,
  type LiveBus,
  type LiveEvents,
  type Logger,
} from '@ioc/core';
import type { DeviceCatalogue } from '@ioc/devices';
import type { Registry } from 'prom-client';
import type { AlertClear, AlertRaise, AlertSink } from '../alerts/alert-sink.js';
import { type Clock, systemClock } from '../clock.js';
import type { TelemetryPipelineEvents } from '../pipeline/telemetry-pipeline.js';
import type { TelemetryPoint } from '../pipeline/telemetry-point.js';
import { AlertDelivery } from './alert-delivery.js';
import { CompiledRule, SourceState } from './compiled-rule.js';
import { DeadlineQueue } from './deadline-queue.js';
import { DeviceReports } from './device-reports.js';
import type { Rule } from './rule.js';
import { RuleEngineMetrics } from './rule-engine-metrics.js';
import { RuleIndex } from './rule-index.js';
import { RuleStateStore, type SourceDetail, type StoredRuleState } from './rule-state-store.js';
import { RuleStateWriter } from './rule-state-writer.js';
import type { RuleStore } from './rule-store.js';
import { SerialWork } from './serial-work.js';

/** The registry as the engine needs it: a device's place (presence events carry only its id). */
export interface DeviceLookup {
  get(
    id: string,
  ): Promise<{ name: string; type: string; unit: string; sector: string } | undefined>;
}

export interface RuleEngineOptions {
  rules: RuleStore;
  sink: AlertSink;
  units: AdminUnitTree;
  /** Report intervals and metrics of device types (missing data), names and units (messages). */
  catalogue: DeviceCatalogue;
  devices: DeviceLookup;
  logger: Logger;
  metrics?: Registry;
  /** Where evaluation state is kept across restarts; default `rule_state` in the rules' SQL; null: nowhere. */
  state?: RuleStateStore | null;
  clock?: Clock;
  /** How often report times of missing-data rules are written to SQL; default 10 s. */
  stateFlushMs?: number;
  /** Wait before a raise the sink refused is tried again; default 30 s. */
  sinkRetryMs?: number;
}

/** A source entered a phase (pending "for", raise deferred by the rate limit). */
export interface RuleTransition {
  ruleId: string;
  source: string;
  at: Date;
}

export interface RuleEngineEvents {
  /** The condition holds and its "for" duration started. */
  pending: [transition: RuleTransition];
  /** The alert sink accepted a raise. */
  raised: [raise: AlertRaise];
  /** The alert sink accepted a clear. */
  cleared: [clear: AlertClear];
  /** The rule's rate limit held a raise back until `retryAt`. */
  deferred: [transition: RuleTransition & { retryAt: Date }];
}

type PresenceEvent = LiveEvents['device.presence'];

/**
 * Evaluates the alert rules incrementally on the live stream: accepted telemetry points
 * (threshold, rate of change, missing data), device presence (offline) and KPI observations
 * (KPI against a target). A point visits only the rules the index finds for its metric,
 * scope and value; sources in plain "normal" cost no memory. Raises and clears go to the
 * alert sink one at a time, in the order decided; pending "for" timers, hysteresis and report
 * times are kept in SQL, so a restarted engine carries on where the last one stopped.
 */
export class RuleEngine extends EventEmitter<RuleEngineEvents> {
  readonly #options: RuleEngineOptions;
  readonly #clock: Clock;
  readonly #rules = new Map<string, CompiledRule>();
  readonly #index = new RuleIndex();
  readonly #deadlines: DeadlineQueue<SourceState>;
  readonly #work: SerialWork;
  readonly #writer: RuleStateWriter | undefined;
  readonly #store: RuleStateStore | null;
  readonly #metrics: RuleEngineMetrics;
  readonly #delivery: AlertDelivery;
  readonly #unitChains = new Map<string, readonly string[]>();
  readonly #reports = new Map<string, DeviceReports>();
  /** Per device, its sources pending or firing on a threshold rule. */
  readonly #activeThresholds = new Map<string, Set<SourceState>>();
  /** Newest KPI day seen per `kpi:<kpi>:<unit>`: older observations (backfill) are ignored. */
  readonly #kpiDays = new Map<string, string>();
  readonly #matched: CompiledRule[] = [];
  /** Raises decided before a restart that the alert store never confirmed. */
  readonly #undelivered: SourceState[] = [];
  #presence: Promise<void> = Promise.resolve();
  #detach: Array<() => void> = [];
  #startedAt = 0;
  #running = false;

  constructor(options: RuleEngineOptions) {
    super();
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#deadlines = new DeadlineQueue(this.#clock, (state, now) => this.#onDeadline(state, now));
    this.#work = new SerialWork((err) =>
      options.logger.error({ err: errorMessage(err) }, 'rule engine task failed'),
    );
    this.#store =
      options.state === undefined ? new RuleStateStore(options.rules.sql) : options.state;
    this.#writer = this.#store
      ? new RuleStateWriter({
          store: this.#store,
          work: this.#work,
          snapshot: (state) => this.#snapshot(state),
          clock: this.#clock,
          intervalMs: options.stateFlushMs ?? 10_000,
          beforePeriodicWrite: () => {
            for (const reports of this.#reports.values()) this.#reportTimesChanged(reports);
          },
          logger: options.logger,
        })
      : undefined;
    this.#metrics = new RuleEngineMetrics(options.metrics, this.#rules);
    this.#delivery = new AlertDelivery({
      sink: options.sink,
      work: this.#work,
      deadlines: this.#deadlines,
      writer: this.#writer,
      metrics: this.#metrics,
      events: this,
      message: options,
      devices: options.devices,
      clock: this.#clock,
      logger: options.logger,
      sinkRetryMs: options.sinkRetryMs ?? 30_000,
      running: () => this.#running,
    });
  }

  /** Enabled rules being evaluated. */
  get size(): number {
    return this.#rules.size;
  }

  /** Loads the enabled rules and the stored evaluation state, then follows rule changes. */
  async start(): Promise<void> {
    const now = this.#clock.now();
    this.#startedAt = now;
    for (const rule of await this.#options.rules.list()) {
      if (rule.enabled) this.#add(new CompiledRule(rule, now));
    }
    const orphans: StoredRuleState[] = [];
    let restored = 0;
    for (const stored of (await this.#store?.load()) ?? []) {
      if (this.#restore(stored, now)) restored++;
      else orphans.push(stored);
    }
    if (orphans.length > 0) this.#work.push(() => this.#store?.delete(orphans));
    const onChanged = (rule: Rule) => this.#apply(rule);
    const onDeleted = (rule: Rule) => this.#drop(rule.id, false);
    this.#options.rules.on('changed', onChanged);
    this.#options.rules.on('deleted', onDeleted);
    this.#detach.push(() => {
      this.#options.rules.off('changed', onChanged);
      this.#options.rules.off('deleted', onDeleted);
    });
    this.#running = true;
    for (const state of this.#undelivered.splice(0)) this.#delivery.raise(state, now);
    this.#writer?.start();
    this.#options.logger.info({ rules: this.#rules.size, states: restored }, 'rule engine started');
  }

  /**
   * Follows the pipeline's accepted points and the bus's presence and KPI events. Returns a
   * function that stops following them (stop() does too).
   */
  attach(pipeline: EventEmitter<TelemetryPipelineEvents>, bus: LiveBus): () => void {
    const onAccepted = (points: TelemetryPoint[]) => this.evaluate(points);
    pipeline.on('accepted', onAccepted);
    const offPresence = bus.subscribe('device.presence', (event) => this.presence(event));
    const unsubscribe = [
      offPresence,
      bus.subscribe('kpi.observed', (event) => this.observeKpis(event.observations)),
      // The disconnects that follow (simulated devices stopping, the broker closing) are the
      // process's own doing: as pending offline alerts they would all fire after a restart.
      bus.subscribe('process.stopping', offPresence),
    ];
    const detach = () => {
      pipeline.off('accepted', onAccepted);
      for (const off of unsubscribe) off();
    };
    this.#detach.push(detach);
    return detach;
  }

  /** Evaluates accepted telemetry points. Never throws (the pipeline must not fail on rules). */
  evaluate(points: readonly TelemetryPoint[]): void {
    if (!this.#running) return;
    const matched = this.#matched;
    try {
      const now = this.#clock.now();
      const index = this.#index;
      for (const point of points) {
        const { device, type, sector, fields } = point;
        const chain = this.#unitChain(point.unit);
        const reports = this.#reported(point, chain, now);
        for (const metric in fields) {
          const value = fields[metric];
          if (typeof value !== 'number') continue;
          // Only the thresholds this value passes; sources already past one are rechecked below.
          index.collectThresholds(metric, value, device, type, sector, chain, matched);
          if (matched.length > 0) {
            for (const rule of matched) this.#threshold(rule, point, metric, value, now);
            matched.length = 0;
          }
          index.collectRates(metric, device, type, sector, chain, matched);
          if (matched.length > 0) {
            for (const rule of matched) this.#rate(rule, point, reports, metric, value, now);
            matched.length = 0;
          }
        }
        const active = this.#activeThresholds.get(device);
        if (active) this.#recheck(active, point, now);
      }
    } catch (err) {
      matched.length = 0;
      this.#metrics.evaluationErrors.inc();
      this.#options.logger.error({ err: errorMessage(err) }, 'rule evaluation failed');
    }
  }

  /** A device came online or went offline (LiveBus `device.presence`). */
  presence(event: PresenceEvent): void {
    if (!this.#running || this.#index.offlineRules().length === 0) return;
    // In order: an offline quickly followed by an online must end online.
    this.#presence = this.#presence
      .then(() => this.#applyPresence(event))
      .catch((err) => {
        this.#metrics.evaluationErrors.inc();
        this.#options.logger.error(
          { err: errorMessage(err), deviceId: event.deviceId },
          'offline rules: presence not evaluated',
        );
      });
  }

  /** KPI observations were stored (LiveBus `kpi.observed`). Only each source's newest day counts. */
  observeKpis(observations: readonly KpiObservation[]): void {
    if (!this.#running) return;
    try {
      const newest = new Map<string, KpiObservation>();
      for (const observation of observations) {
        const source = kpiSource(observation.kpi, observation.unit);
        const other = newest.get(source);
        if (!other || isNewer(observation, other)) newest.set(source, observation);
      }
      const now = this.#clock.now();
      for (const [source, observation] of newest) {
        const seen = this.#kpiDays.get(source);
        if (seen !== undefined && observation.date < seen) continue;
        this.#kpiDays.set(source, observation.date);
        const chain = this.#unitChain(observation.unit);
        for (const rule of this.#index.kpiRules(observation.kpi)) {
          if (rule.matches(null, null, observation.sector, chain)) {
            this.#evaluateKpi(rule, source, observation, now);
          }
        }
      }
    } catch (err) {
      this.#metrics.evaluationErrors.inc();
      this.#options.logger.error({ err: errorMessage(err) }, 'KPI rule evaluation failed');
    }
  }

  /** Resolves once every decided raise, clear and state write has been carried out. */
  async idle(): Promise<void> {
    for (;;) {
      const presence = this.#presence;
      await presence;
      await this.#work.idle();
      if (presence === this.#presence) return;
    }
  }

  /** Stops evaluating, writes the evaluation state and waits for the alert sink. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    for (const detach of this.#detach) detach();
    this.#detach = [];
    this.#deadlines.close();
    await this.#presence;
    this.#writer?.stop();
    await this.idle();
    this.#metrics.remove();
  }

  // --- telemetry conditions ---

  /** Beyond the threshold → pending ("for") → firing; back only past the clear level. */
  #threshold(
    rule: CompiledRule,
    point: TelemetryPoint,
    metric: string,
    value: number,
    now: number,
  ): void {
    const beyond = rule.beyond(value);
    let state = rule.states.get(point.device);
    if (!state) {
      if (!beyond) return;
      state = this.#newState(rule, point.device, pointDetail(point, metric, value));
    }
    if (point.ts < state.lastTs) return;
    state.lastTs = point.ts;
    state.detail.value = value;
    switch (state.phase) {
      case 'normal':
        if (rule.forMs > 0) this.#pend(state, now, now + rule.forMs);
        else this.#fire(state, now);
        break;
      case 'pending':
        // "for" means continuously: one value back inside the threshold starts it over.
        if (!beyond) this.#resolve(state, now);
        break;
      case 'firing':
        if (rule.cleared(value)) this.#resolve(state, now);
        break;
    }
  }

  /**
   * Sources pending or firing on a threshold rule also hear values short of the threshold
   * (the index finds only the rules a value passes): that is how they start over or clear.
   */
  #recheck(active: Set<SourceState>, point: TelemetryPoint, now: number): void {
    for (const state of [...active]) {
      const rule = state.rule;
      const value = rule.metric === undefined ? undefined : point.fields[rule.metric];
      if (typeof value === 'number' && !rule.beyond(value)) {
        this.#threshold(rule, point, rule.metric as string, value, now);
      }
    }
  }

  /** The metric rose (fell) by at least `by` from its lowest (highest) value in the window. */
  #rate(
    rule: CompiledRule,
    point: TelemetryPoint,
    reports: DeviceReports,
    metric: string,
    value: number,
    now: number,
  ): void {
    const window = reports.window(rule.windowKey, rule.windowS, rule.rise);
    if (point.ts > window.lastTs) window.add(point.ts, value);
    else if (point.ts < window.lastTs) return; // late: the window has moved on
    const delta = rule.rise ? value - window.extreme : window.extreme - value;
    if (delta >= rule.by) {
      if (!rule.states.has(point.device)) {
        const state = this.#newState(rule, point.device, pointDetail(point, metric, value));
        state.detail.delta = delta;
        this.#fire(state, now);
      }
    } else if (rule.states.size > 0) {
      const state = rule.states.get(point.device);
      // After a restart the window starts empty: one sample cannot tell that the rise is over.
      if (state && window.samples >= 2) {
        state.detail.value = value;
        this.#resolve(state, now);
      }
    }
  }

  /**
   * Notes a report of the device for missing-data rules (one map write per metric, whatever
   * the number of rules), clears its missing-data alerts it answers, and gives the device its
   * missing-data states when it is new or has moved.
   */
  #reported(point: TelemetryPoint, chain: readonly string[], now: number): DeviceReports {
    let reports = this.#reports.get(point.device);
    if (!reports) {
      reports = new DeviceReports(point.type, point.unit, point.sector);
      this.#reports.set(point.device, reports);
    } else if (
      reports.type !== point.type ||
      reports.unit !== point.unit ||
      reports.sector !== point.sector
    ) {
      reports.type = point.type;
      reports.unit = point.unit;
      reports.sector = point.sector;
      for (const state of [...reports.watches]) this.#unwatch(state, now);
      reports.registered = false;
    }
    reports.lastAny = now;
    for (const metric in point.fields) reports.lastByMetric.set(metric, now);
    reports.reportedSinceFlush = true;
    if (!reports.registered) {
      reports.registered = true;
      for (const rule of this.#index.missingRules()) {
        this.#watch(rule, point.device, reports, chain, now);
      }
    }
    if (reports.silent.size > 0) {
      for (const state of [...reports.silent]) {
        const metric = state.rule.metric;
        if (metric === undefined || metric in point.fields) this.#resolve(state, now);
      }
    }
    return reports;
  }

  /** Starts watching a device for a missing-data rule (when in scope and of a type with the metric). */
  #watch(
    rule: CompiledRule,
    device: string,
    reports: DeviceReports,
    chain: readonly string[],
    now: number,
  ): void {
    if (rule.states.has(device) || !rule.matches(device, reports.type, reports.sector, chain)) {
      return;
    }
    if (rule.metric !== undefined && !this.#options.catalogue.metric(reports.type, rule.metric)) {
      return;
    }
    const period = this.#missingPeriodMs(rule, reports.type);
    if (period === undefined) return;
    const state = this.#newState(rule, device, {
      deviceId: device,
      type: reports.type,
      unit: reports.unit,
      sector: reports.sector,
      metric: rule.metric ?? null,
      value: null,
    });
    state.phase = 'watching';
    state.since = now;
    state.watchFrom = now;
    state.lastReportAt = reports.lastReport(rule.metric) ?? null;
    reports.watches.add(state);
    this.#deadlines.schedule(state, now + period);
    this.#writer?.soon(state);
  }

  /** Stops watching (the device moved out of scope): clears its alert, forgets the state. */
  #unwatch(state: SourceState, now: number): void {
    if (state.raised) {
      this.#delivery.clear(state, now);
    }
    this.#forget(state);
    this.#writer?.soon(state);
  }

  /** A missing-data deadline came: raise if the device stayed silent, else wait for the new one. */
  #checkSilence(state: SourceState, now: number): void {
    const rule = state.rule;
    const period = this.#missingPeriodMs(rule, state.detail.type);
    if (period === undefined) return;
    const reported = this.#reports.get(state.source)?.lastReport(rule.metric);
    const due = Math.max(reported ?? Number.NEGATIVE_INFINITY, state.watchFrom) + period;
    if (now >= due) this.#fire(state, now);
    else this.#deadlines.schedule(state, due);
  }

  /** How long a source of a missing-data rule may stay silent: factor × its type's interval. */
  #missingPeriodMs(rule: CompiledRule, type: string | null): number | undefined {
    if (type === null) return undefined;
    if (rule.missingPeriods.has(type)) return rule.missingPeriods.get(type);
    const condition = rule.rule.condition;
    const interval = this.#reportIntervalMs(type);
    const period =
      condition.kind === 'missing-data' && interval !== undefined
        ? (condition.factor ?? 1) * interval
        : undefined;
    rule.missingPeriods.set(type, period);
    return period;
  }

  #reportIntervalMs(type: string | null): number | undefined {
    const seconds = type === null ? undefined : this.#options.catalogue.get(type)?.reportIntervalS;
    return seconds === undefined ? undefined : seconds * 1000;
  }

  /** Report times of a device's watches go to SQL with the next periodic write. */
  #reportTimesChanged(reports: DeviceReports): void {
    if (!reports.reportedSinceFlush) return;
    reports.reportedSinceFlush = false;
    for (const state of reports.watches) this.#writer?.later(state);
  }

  // --- presence and KPI conditions ---

  async #applyPresence(event: PresenceEvent): Promise<void> {
    const device = await this.#options.devices.get(event.deviceId);
    if (!device || !this.#running) return;
    const now = this.#clock.now();
    const chain = this.#unitChain(device.unit);
    for (const rule of this.#index.offlineRules()) {
      if (!rule.matches(event.deviceId, device.type, device.sector, chain)) continue;
      const state = rule.states.get(event.deviceId);
      if (event.state === 'online') {
        if (state) this.#resolve(state, now);
        continue;
      }
      if (state) continue; // already pending or firing
      const fresh = this.#newState(rule, event.deviceId, {
        deviceId: event.deviceId,
        type: device.type,
        unit: device.unit,
        sector: device.sector,
        metric: null,
        value: null,
      });
      if (rule.forMs > 0) this.#pend(fresh, now, now + rule.forMs);
      else this.#fire(fresh, now);
    }
  }

  #evaluateKpi(rule: CompiledRule, source: string, observation: KpiObservation, now: number) {
    const holds = rule.above
      ? observation.value > rule.threshold
      : observation.value < rule.threshold;
    const state = rule.states.get(source);
    if (!holds) {
      if (state) this.#resolve(state, now);
      return;
    }
    const detail: SourceDetail = {
      deviceId: null,
      type: null,
      unit: observation.unit,
      sector: observation.sector,
      metric: observation.kpi,
      value: observation.value,
      kpiDate: observation.date,
    };
    if (state) {
      state.detail = detail;
      this.#writer?.soon(state);
      return;
    }
    this.#fire(this.#newState(rule, source, detail), now);
  }

  // --- transitions ---

  #newState(rule: CompiledRule, source: string, detail: SourceDetail): SourceState {
    const state = new SourceState(rule, source, detail);
    rule.states.set(source, state);
    if (rule.kind === 'threshold') {
      let active = this.#activeThresholds.get(source);
      if (!active) {
        active = new Set();
        this.#activeThresholds.set(source, active);
      }
      active.add(state);
    }
    return state;
  }

  /** The state is no longer its rule's: normal again, or its rule is gone. */
  #forget(state: SourceState): void {
    if (state.current) state.rule.states.delete(state.source);
    this.#deadlines.cancel(state);
    const active = this.#activeThresholds.get(state.source);
    if (active?.delete(state) && active.size === 0) this.#activeThresholds.delete(state.source);
    const reports = this.#reports.get(state.source);
    reports?.watches.delete(state);
    reports?.silent.delete(state);
  }

  #pend(state: SourceState, now: number, until: number): void {
    state.phase = 'pending';
    state.since = now;
    this.#deadlines.schedule(state, until);
    this.#writer?.soon(state);
    this.emit('pending', { ruleId: state.rule.id, source: state.source, at: new Date(now) });
  }

  #fire(state: SourceState, now: number): void {
    state.phase = 'firing';
    state.since = now;
    this.#deadlines.cancel(state);
    if (state.rule.kind === 'missing-data') this.#reports.get(state.source)?.silent.add(state);
    this.#writer?.soon(state);
    this.#delivery.raise(state, now);
  }

  /** The condition no longer holds: clear the alert if one was raised; forget or keep watching. */
  #resolve(state: SourceState, now: number): void {
    const rule = state.rule;
    if (state.raised) this.#delivery.clear(state, now);
    state.raised = false;
    state.raiseDelivered = false;
    this.#deadlines.cancel(state);
    if (rule.kind === 'missing-data') {
      // Watched again from this report on.
      state.phase = 'watching';
      state.since = now;
      state.watchFrom = now;
      this.#reports.get(state.source)?.silent.delete(state);
      const period = this.#missingPeriodMs(rule, state.detail.type);
      if (period !== undefined) this.#deadlines.schedule(state, now + period);
    } else {
      state.phase = 'normal';
      this.#forget(state);
    }
    this.#writer?.soon(state);
  }

  #onDeadline(state: SourceState, now: number): void {
    if (!this.#running || !state.current) return;
    switch (state.phase) {
      case 'pending':
        this.#fire(state, now);
        break;
      case 'watching':
        this.#checkSilence(state, now);
        break;
      case 'firing':
        if (!state.raised) this.#delivery.raise(state, now);
        break;
    }
  }

  // --- rules coming and going ---

  #add(rule: CompiledRule): void {
    this.#rules.set(rule.id, rule);
    this.#index.add(rule);
    if (rule.kind === 'missing-data' && this.#running) {
      // Devices already seen are watched from now, not from their next report.
      const now = this.#clock.now();
      for (const [device, reports] of this.#reports) {
        if (reports.registered) {
          this.#watch(rule, device, reports, this.#unitChain(reports.unit), now);
        }
      }
    }
  }

  /** A rule was created or changed: evaluate with the new definition from now on. */
  #apply(rule: Rule): void {
    if (!this.#running) return;
    const old = this.#rules.get(rule.id);
    if (!rule.enabled) {
      if (old) this.#drop(rule.id, true);
      return;
    }
    const compiled = new CompiledRule(rule, this.#clock.now());
    if (old && sameSources(old.rule, rule)) {
      // Same sources, same kind of test: pending timers and open alerts carry over.
      this.#index.remove(old);
      this.#rules.delete(old.id);
      for (const state of old.states.values()) {
        state.rule = compiled;
        compiled.states.set(state.source, state);
      }
      old.states.clear();
      compiled.missingPeriods.clear();
    } else if (old) {
      this.#drop(rule.id, true);
    }
    this.#add(compiled);
  }

  /** Stops evaluating a rule, clearing what it raised; `forgetState` when its row stays. */
  #drop(id: string, forgetState: boolean): void {
    const rule = this.#rules.get(id);
    if (!rule) return;
    this.#index.remove(rule);
    this.#rules.delete(id);
    const now = this.#clock.now();
    for (const state of [...rule.states.values()]) {
      if (state.raised) this.#delivery.clear(state, now);
      this.#forget(state);
    }
    if (forgetState) this.#work.push(() => this.#store?.deleteRule(id));
  }

  #restore(stored: StoredRuleState, now: number): boolean {
    const rule = this.#rules.get(stored.ruleId);
    if (!rule) return false;
    const state = this.#newState(rule, stored.source, stored.detail);
    state.phase = stored.phase;
    state.since = stored.since;
    state.raised = stored.raised;
    state.raiseDelivered = stored.raised;
    state.lastReportAt = stored.lastReportAt;
    if (rule.kind === 'missing-data') this.#restoreWatch(state, stored);
    if (stored.phase === 'pending') {
      this.#deadlines.schedule(state, Math.max(now, stored.since + rule.forMs));
    } else if (stored.phase === 'firing' && !stored.raised) {
      this.#undelivered.push(state);
    }
    if (rule.kind === 'kpi' && stored.detail.kpiDate !== undefined) {
      this.#kpiDays.set(stored.source, stored.detail.kpiDate);
    }
    return true;
  }

  /** A missing-data state from SQL: the device is watched again as of its last report. */
  #restoreWatch(state: SourceState, stored: StoredRuleState): void {
    const { type, unit, sector } = stored.detail;
    if (type === null || unit === null || sector === null) return;
    let reports = this.#reports.get(stored.source);
    if (!reports) {
      reports = new DeviceReports(type, unit, sector);
      this.#reports.set(stored.source, reports);
    }
    reports.watches.add(state);
    if (stored.phase === 'firing') {
      reports.silent.add(state);
      return;
    }
    const period = this.#missingPeriodMs(state.rule, type);
    const interval = this.#reportIntervalMs(type);
    if (period === undefined || interval === undefined) return;
    // The IOC's own downtime is not the device's silence: each gets an interval after a restart.
    state.watchFrom = Math.max(
      stored.lastReportAt ?? stored.since,
      this.#startedAt + interval - period,
    );
    this.#deadlines.schedule(state, state.watchFrom + period);
  }

  #snapshot(state: SourceState): StoredRuleState | undefined {
    if (!state.current || state.phase === 'normal') return undefined;
    const reported = this.#reports.get(state.source)?.lastReport(state.rule.metric);
    return {
      ruleId: state.rule.id,
      source: state.source,
      phase: state.phase,
      since: state.since,
      raised: state.raiseDelivered,
      lastReportAt: state.rule.kind === 'missing-data' ? (reported ?? state.lastReportAt) : null,
      detail: state.detail,
    };
  }

  #unitChain(unit: string): readonly string[] {
    let chain = this.#unitChains.get(unit);
    if (!chain) {
      const { units } = this.#options;
      chain = units.has(unit) ? [unit, ...units.ancestors(unit).map((u) => u.code)] : [unit];
      this.#unitChains.set(unit, chain);
    }
    return chain;
  }
}

export function kpiSource(kpi: string, unit: string): string {
  return `kpi:${kpi}:${unit}`;
}

function isNewer(a: KpiObservation, b: KpiObservation): boolean {
  return a.date > b.date || (a.date === b.date && a.ts >= b.ts);
}

function pointDetail(point: TelemetryPoint, metric: string | null, value: number | null) {
  return {
    deviceId: point.device,
    type: point.type,
    unit: point.unit,
    sector: point.sector,
    metric,
    value,
  } satisfies SourceDetail as SourceDetail;
}

/** Whether states of `a` mean the same under `b`: same sources, same kind of test. */
function sameSources(a: Rule, b: Rule): boolean {
  const key = (rule: Rule) =>
    JSON.stringify([
      rule.scope.device,
      rule.scope.type,
      rule.scope.sector,
      rule.scope.unit,
      rule.condition.kind,
      'metric' in rule.condition ? rule.condition.metric : undefined,
      rule.condition.kind === 'kpi' ? rule.condition.kpi : undefined,
      rule.condition.kind === 'rate' ? [rule.condition.direction, rule.condition.windowS] : 0,
    ]);
  return key(a) === key(b);
}
