import type { EventEmitter } from 'node:events';
import { errorMessage, type Logger } from '@ioc/core';
import type { AlertRaise, AlertSink } from '../alerts/alert-sink.js';
import type { Clock } from '../clock.js';
import { type AlertMessageContext, renderAlertMessage } from './alert-message.js';
import type { SourceState } from './compiled-rule.js';
import type { DeadlineQueue } from './deadline-queue.js';
import type { DeviceLookup, RuleEngineEvents } from './rule-engine.js';
import type { RuleEngineMetrics } from './rule-engine-metrics.js';
import type { RuleStateWriter } from './rule-state-writer.js';
import type { SerialWork } from './serial-work.js';

export interface AlertDeliveryOptions {
  sink: AlertSink;
  /** The engine's queue: raises and clears reach the sink in the order they were decided. */
  work: SerialWork;
  /** Where a deferred or refused raise is scheduled again (the engine calls `raise` then). */
  deadlines: DeadlineQueue<SourceState>;
  writer: RuleStateWriter | undefined;
  metrics: RuleEngineMetrics;
  events: EventEmitter<RuleEngineEvents>;
  message: AlertMessageContext;
  devices: DeviceLookup;
  clock: Clock;
  logger: Logger;
  sinkRetryMs: number;
  /** False once the engine stops: nothing is scheduled again then. */
  running: () => boolean;
}

/**
 * Takes the engine's decisions to the alert sink: a raise within the rule's rate limit is
 * rendered (message in both languages, device name from the registry) and sent, one beyond
 * it waits for the budget, one the sink refuses is tried again later. Clears are sent as
 * they come. Each accepted one is announced (`raised`, `cleared`).
 */
export class AlertDelivery {
  readonly #options: AlertDeliveryOptions;

  constructor(options: AlertDeliveryOptions) {
    this.#options = options;
  }

  raise(state: SourceState, now: number): void {
    const { deadlines, metrics, events, logger } = this.#options;
    const rule = state.rule;
    if (!rule.budget.take(now)) {
      const retryAt = rule.budget.nextAt(now);
      deadlines.schedule(state, retryAt);
      metrics.deferred.inc();
      if (now - rule.deferralLoggedAt >= rule.rule.rateLimit.perS * 1000) {
        rule.deferralLoggedAt = now;
        logger.warn(
          { rule: rule.id, limit: rule.rule.rateLimit },
          'rule raises more alerts than its rate limit allows; the rest wait their turn',
        );
      }
      events.emit('deferred', {
        ruleId: rule.id,
        source: state.source,
        at: new Date(now),
        retryAt: new Date(retryAt),
      });
      return;
    }
    state.raised = true;
    const definition = rule.rule;
    const detail = { ...state.detail };
    const at = new Date(now);
    this.#options.work.push(async () => {
      let raise: AlertRaise;
      try {
        const deviceName = detail.deviceId ? await this.#deviceName(detail.deviceId) : null;
        raise = {
          ruleId: definition.id,
          source: state.source,
          severity: definition.severity,
          message: renderAlertMessage(definition, detail, deviceName, this.#options.message),
          deviceId: detail.deviceId,
          unit: detail.unit,
          sector: detail.sector,
          metric: detail.metric,
          value: detail.value,
          at,
        };
        await this.#options.sink.raise(raise);
      } catch (err) {
        metrics.sinkErrors.inc();
        logger.error(
          { err: errorMessage(err), rule: definition.id, source: state.source },
          'the alert store refused a raise; trying again later',
        );
        if (state.current && state.phase === 'firing' && state.raised && this.#options.running()) {
          state.raised = false;
          deadlines.schedule(state, this.#options.clock.now() + this.#options.sinkRetryMs);
        }
        return;
      }
      // Stored as raised only now: a restart between decision and delivery raises again.
      if (state.current && state.raised) {
        state.raiseDelivered = true;
        this.#options.writer?.soon(state);
      }
      metrics.raises.inc();
      events.emit('raised', raise);
    });
  }

  clear(state: SourceState, now: number): void {
    const { metrics, events, logger, sink } = this.#options;
    const clear = { ruleId: state.rule.id, source: state.source, at: new Date(now) };
    this.#options.work.push(async () => {
      try {
        await sink.clear(clear);
      } catch (err) {
        metrics.sinkErrors.inc();
        logger.error(
          { err: errorMessage(err), rule: clear.ruleId, source: clear.source },
          'the alert store refused a clear',
        );
        return;
      }
      metrics.clears.inc();
      events.emit('cleared', clear);
    });
  }

  async #deviceName(id: string): Promise<string | null> {
    try {
      return (await this.#options.devices.get(id))?.name ?? null;
    } catch {
      return null; // the message falls back to the id
    }
  }
}
