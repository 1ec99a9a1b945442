import type { CompiledRule } from './compiled-rule.js';

/**
 * Rules of one metric, each filed under the most selective field of its scope. Lists of
 * threshold rules are kept in `sortKey` order, so a value visits only the rules whose
 * threshold it passes and stops at the first one it does not.
 */
class ScopeBuckets {
  readonly device = new Map<string, CompiledRule[]>();
  readonly type = new Map<string, CompiledRule[]>();
  readonly unit = new Map<string, CompiledRule[]>();
  readonly sector = new Map<string, CompiledRule[]>();
  readonly all: CompiledRule[] = [];
  size = 0;

  add(rule: CompiledRule): void {
    const list = this.#slot(rule);
    let at = list.length;
    while (at > 0 && (list[at - 1] as CompiledRule).sortKey > rule.sortKey) at--;
    list.splice(at, 0, rule);
    this.size++;
  }

  remove(rule: CompiledRule): void {
    const list = this.#slot(rule);
    const at = list.indexOf(rule);
    if (at >= 0) {
      list.splice(at, 1);
      this.size--;
    }
  }

  /** Appends the rules that match the source and whose sortKey is below `limit`. */
  collect(
    limit: number,
    device: string,
    type: string,
    sector: string,
    unitChain: readonly string[],
    out: CompiledRule[],
  ): void {
    pushMatching(this.device.get(device), limit, device, type, sector, unitChain, out);
    pushMatching(this.type.get(type), limit, device, type, sector, unitChain, out);
    for (const unit of unitChain) {
      pushMatching(this.unit.get(unit), limit, device, type, sector, unitChain, out);
    }
    pushMatching(this.sector.get(sector), limit, device, type, sector, unitChain, out);
    pushMatching(this.all, limit, device, type, sector, unitChain, out);
  }

  #slot(rule: CompiledRule): CompiledRule[] {
    if (rule.scopeDevice !== undefined) return listIn(this.device, rule.scopeDevice);
    if (rule.scopeUnit !== undefined) return listIn(this.unit, rule.scopeUnit);
    if (rule.scopeType !== undefined) return listIn(this.type, rule.scopeType);
    if (rule.scopeSector !== undefined) return listIn(this.sector, rule.scopeSector);
    return this.all;
  }
}

function pushMatching(
  rules: readonly CompiledRule[] | undefined,
  limit: number,
  device: string,
  type: string,
  sector: string,
  unitChain: readonly string[],
  out: CompiledRule[],
): void {
  if (!rules) return;
  for (const rule of rules) {
    if (rule.sortKey >= limit) return;
    if (rule.matches(device, type, sector, unitChain)) out.push(rule);
  }
}

function listIn(map: Map<string, CompiledRule[]>, key: string): CompiledRule[] {
  let list = map.get(key);
  if (!list) {
    list = [];
    map.set(key, list);
  }
  return list;
}

/** Buckets by key, dropped again when they empty. */
class BucketMap {
  readonly #byKey = new Map<string, ScopeBuckets>();

  get(key: string): ScopeBuckets | undefined {
    return this.#byKey.get(key);
  }

  add(key: string, rule: CompiledRule): void {
    let buckets = this.#byKey.get(key);
    if (!buckets) {
      buckets = new ScopeBuckets();
      this.#byKey.set(key, buckets);
    }
    buckets.add(rule);
  }

  remove(key: string, rule: CompiledRule): void {
    const buckets = this.#byKey.get(key);
    buckets?.remove(rule);
    if (buckets?.size === 0) this.#byKey.delete(key);
  }
}

/**
 * Finds the rules a telemetry point, a presence change or a KPI observation can concern
 * without looking at the others. Threshold and rate rules by metric, then by device id, unit
 * (each unit up the tree), device type, sector, or none; threshold rules also by how far the
 * value goes (a value short of every threshold visits none). Missing-data and offline rules
 * in a list each (consulted per device, not per report); KPI rules by KPI code.
 */
export class RuleIndex {
  /** Threshold rules "above" (sorted by threshold) and "below" (sorted by minus it). */
  readonly #above = new BucketMap();
  readonly #below = new BucketMap();
  /** Rate rules, which every report of their metric concerns. */
  readonly #rates = new BucketMap();
  /** Missing-data rules: consulted when a device is first seen, not per report. */
  readonly #missing: CompiledRule[] = [];
  readonly #offline: CompiledRule[] = [];
  readonly #kpi = new Map<string, CompiledRule[]>();

  add(rule: CompiledRule): void {
    switch (rule.kind) {
      case 'offline':
        this.#offline.push(rule);
        return;
      case 'kpi':
        listIn(this.#kpi, kpiOf(rule)).push(rule);
        return;
      case 'threshold':
        (rule.above ? this.#above : this.#below).add(rule.metric as string, rule);
        return;
      case 'rate':
        this.#rates.add(rule.metric as string, rule);
        return;
      case 'missing-data':
        this.#missing.push(rule);
        return;
    }
  }

  remove(rule: CompiledRule): void {
    switch (rule.kind) {
      case 'offline':
        removeFrom(this.#offline, rule);
        return;
      case 'kpi':
        removeFrom(this.#kpi.get(kpiOf(rule)), rule);
        return;
      case 'threshold':
        (rule.above ? this.#above : this.#below).remove(rule.metric as string, rule);
        return;
      case 'rate':
        this.#rates.remove(rule.metric as string, rule);
        return;
      case 'missing-data':
        removeFrom(this.#missing, rule);
        return;
    }
  }

  /** Appends to `out` the threshold rules of `metric` that `value` passes and whose scope matches. */
  collectThresholds(
    metric: string,
    value: number,
    device: string,
    type: string,
    sector: string,
    unitChain: readonly string[],
    out: CompiledRule[],
  ): void {
    this.#above.get(metric)?.collect(value, device, type, sector, unitChain, out);
    this.#below.get(metric)?.collect(-value, device, type, sector, unitChain, out);
  }

  /** Appends to `out` the rate rules of `metric` whose scope matches. */
  collectRates(
    metric: string,
    device: string,
    type: string,
    sector: string,
    unitChain: readonly string[],
    out: CompiledRule[],
  ): void {
    this.#rates
      .get(metric)
      ?.collect(Number.POSITIVE_INFINITY, device, type, sector, unitChain, out);
  }

  missingRules(): readonly CompiledRule[] {
    return this.#missing;
  }

  offlineRules(): readonly CompiledRule[] {
    return this.#offline;
  }

  kpiRules(kpi: string): readonly CompiledRule[] {
    return this.#kpi.get(kpi) ?? [];
  }
}

function kpiOf(rule: CompiledRule): string {
  return rule.rule.condition.kind === 'kpi' ? rule.rule.condition.kpi : '';
}

function removeFrom(list: CompiledRule[] | undefined, rule: CompiledRule): void {
  const at = list?.indexOf(rule) ?? -1;
  if (list && at >= 0) list.splice(at, 1);
}
