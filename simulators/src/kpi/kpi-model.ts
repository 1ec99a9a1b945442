import type { AdminUnit, AdminUnitTree } from '@ioc/core';
import { SeededRandom } from '../random.js';
import { addDays, dayOfYear, daysBetween, isFixedHoliday, tetOf, weekdayOf } from './calendar.js';

/** One observation as `POST /api/v1/kpi` takes it. */
export interface KpiDemoRow {
  kpi: string;
  unit: string;
  sector: string;
  date: string;
  value: number;
}

/** What sets one commune apart from the next, drawn once from the seed. */
export interface CommuneProfile {
  unit: string;
  /** Dossiers on an ordinary weekday, all sectors. */
  volume: number;
  /** Share of dossiers resolved on time before sector and load effects. */
  punctuality: number;
  /** A commune whose one-stop desk is late month after month. */
  chronicallyLate: boolean;
  /** Share of dossiers filed online at the start of 2025. */
  online: number;
  /** Administrative procedures the commune offers. */
  services: number;
  fullyOnline: number;
  partlyOnline: number;
  satisfaction: number;
}

interface SectorProfile {
  /** Share of a commune's dossiers. */
  share: number;
  /** Added to the commune's punctuality: land dossiers run late more often. */
  punctuality: number;
  /** Average days a dossier stays open, which sizes the in-progress stock. */
  processingDays: number;
  /** How much more (or less) than average this sector's dossiers are filed online. */
  online: number;
}

/** Civil status and certification (hộ tịch, chứng thực), land (đất đai), building permits. */
export const DEMO_KPI_SECTORS: Readonly<Record<string, SectorProfile>> = {
  'public-services': { share: 0.62, punctuality: 0.025, processingDays: 2, online: 1.15 },
  environment: { share: 0.23, punctuality: -0.07, processingDays: 18, online: 0.55 },
  construction: { share: 0.15, punctuality: -0.035, processingDays: 12, online: 0.85 },
};

// Monday's queue is the longest; some wards open their one-stop desk on Saturday morning.
const WEEKDAY_LOAD = [0.03, 1.2, 1.05, 1, 1, 0.95, 0.3];
const VOLUME_BY_TYPE: Partial<Record<AdminUnit['type'], number>> = {
  ward: 24,
  commune: 9,
  'special-zone': 0.15,
};
/** Where adoption trends start (online filing, online services). */
const TREND_EPOCH = '2025-01-01';

/**
 * The demo province's one-stop and online-service figures: for every leaf unit of the tree
 * (communes, wards, special zones), every sector and every day, deterministic from the seed
 * (same seed, same figures, so re-sending a day overwrites it with the same values).
 * Wards are busier than rural communes, about one commune in eight is chronically late, land
 * dossiers run late more than civil-status ones, Mondays are busy and weekends nearly empty,
 * the weeks before Tết bring a rush and Tết itself a lull, and online filing grows year by year.
 */
export class KpiDemoModel {
  /** The units figures are made for, in data order. */
  readonly units: readonly string[];
  readonly #seed: number;
  readonly #profiles = new Map<string, CommuneProfile>();

  constructor({ units, seed }: { units: AdminUnitTree; seed: number }) {
    this.#seed = seed;
    const leaves = units.all().filter((unit) => units.children(unit.code).length === 0);
    for (const unit of leaves) this.#profiles.set(unit.code, this.#profile(unit));
    this.units = leaves.map((unit) => unit.code);
  }

  profile(unit: string): CommuneProfile | undefined {
    return this.#profiles.get(unit);
  }

  /** Every unit's rows for a day; `fraction` < 1 gives the flows so far that day. */
  day(date: string, fraction = 1): KpiDemoRow[] {
    return this.units.flatMap((unit) => this.unitDay(unit, date, fraction));
  }

  unitDay(unit: string, date: string, fraction = 1): KpiDemoRow[] {
    const profile = this.#profiles.get(unit);
    if (!profile) return [];
    const rows: KpiDemoRow[] = [];
    const add = (kpi: string, sector: string, value: number) =>
      rows.push({ kpi, unit, sector, date, value });
    const load = dayLoad(date);
    const years = daysBetween(TREND_EPOCH, date) / 365;
    let received = 0;
    for (const [sector, sp] of Object.entries(DEMO_KPI_SECTORS)) {
      const random = this.#random('day', unit, sector, date);
      const mean = profile.volume * sp.share * load;
      const full = {
        received: poisson(random, mean),
        resolved: poisson(random, mean * 0.98),
      };
      // Desks fall behind when the queue is long.
      const p = clamp(
        profile.punctuality + sp.punctuality - 0.05 * Math.max(0, load - 1.1),
        0.4,
        0.999,
      );
      const onTime = binomial(random, full.resolved, p);
      const late = full.resolved - onTime;
      const open = Math.max(
        0,
        Math.round(
          profile.volume *
            sp.share *
            sp.processingDays *
            seasonal(date) *
            (1 + 0.08 * random.gaussian()),
        ),
      );
      const overdue = binomial(
        random,
        open,
        clamp((1 - p) * 0.6 + 0.01 * random.gaussian(), 0, 0.5),
      );
      const onlineShare = clamp(profile.online * sp.online + 0.12 * years, 0, 0.97);
      const online = binomial(random, full.received, onlineShare);
      const sofar = (n: number) => Math.round(n * fraction);
      received += full.received;
      add('dossiers_received', sector, sofar(full.received));
      add('dossiers_on_time', sector, sofar(onTime));
      add('dossiers_late', sector, sofar(late));
      add('dossiers_online', sector, Math.min(sofar(online), sofar(full.received)));
      add('dossiers_overdue', sector, overdue);
      add('dossiers_in_progress', sector, open - overdue);
    }
    const own = 'public-services';
    const services =
      profile.services + Math.max(0, Math.floor(daysBetween(TREND_EPOCH, date) / 120));
    const fully = Math.round(services * clamp(profile.fullyOnline + 0.1 * years, 0, 0.9));
    const partly = Math.min(
      services - fully,
      Math.round(services * clamp(profile.partlyOnline - 0.03 * years, 0.05, 1)),
    );
    add('services_total', own, services);
    add('services_fully_online', own, fully);
    add('services_partly_online', own, partly);
    // People rate the desk when they were served: no dossiers, no rating.
    if (received > 0 && fraction > 0) {
      const random = this.#random('rating', unit, date);
      const score = clamp(profile.satisfaction + 2.5 * random.gaussian(), 0, 100);
      add('satisfaction_score', own, Math.round(score * 10) / 10);
    }
    return rows;
  }

  #profile(unit: AdminUnit): CommuneProfile {
    const random = this.#random('profile', unit.code);
    const volume = (VOLUME_BY_TYPE[unit.type] ?? 15) * Math.exp(0.45 * random.gaussian());
    const chronicallyLate = random.next() < 0.12;
    const punctuality = chronicallyLate
      ? random.between(0.74, 0.86)
      : clamp(0.965 + 0.015 * random.gaussian(), 0.92, 0.995);
    const urban = unit.type === 'ward';
    return {
      unit: unit.code,
      volume,
      punctuality,
      chronicallyLate,
      online: urban ? random.between(0.45, 0.7) : random.between(0.2, 0.45),
      services: Math.round(random.between(95, 130)),
      fullyOnline: random.between(0.3, 0.55),
      partlyOnline: random.between(0.2, 0.35),
      satisfaction: chronicallyLate ? random.between(72, 84) : random.between(86, 96),
    };
  }

  #random(...parts: string[]): SeededRandom {
    return new SeededRandom(fnv1a(`${this.#seed}|${parts.join('|')}`));
  }
}

/** How busy the one-stop desks are on a day relative to an ordinary Wednesday. */
export function dayLoad(date: string): number {
  if (isFixedHoliday(date)) return 0.03;
  const tet = tetOf(Number(date.slice(0, 4)));
  const nextTet = date > addDays(tet, 12) ? tetOf(Number(date.slice(0, 4)) + 1) : tet;
  const toTet = daysBetween(date, nextTet);
  // The Tết holiday (about a week) and the slow restart after it; the rush before it.
  if (toTet <= 2 && toTet >= -4) return 0.03;
  let load = WEEKDAY_LOAD[weekdayOf(date)] as number;
  if (toTet < -4 && toTet >= -12) load *= 0.75;
  else if (toTet > 2 && toTet <= 30) load *= 1 + 0.4 * (1 - (toTet - 2) / 28);
  return load * seasonal(date);
}

/** A gentle yearly wave: busier towards the end of the year. */
function seasonal(date: string): number {
  return 1 + 0.08 * Math.sin((2 * Math.PI * (dayOfYear(date) - 120)) / 365);
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

function poisson(random: SeededRandom, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * random.gaussian()));
  const limit = Math.exp(-mean);
  let k = 0;
  let product = random.next();
  while (product > limit) {
    k++;
    product *= random.next();
  }
  return k;
}

function binomial(random: SeededRandom, n: number, p: number): number {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  if (n > 60) {
    const spread = Math.sqrt(n * p * (1 - p));
    return clamp(Math.round(n * p + spread * random.gaussian()), 0, n);
  }
  let k = 0;
  for (let i = 0; i < n; i++) if (random.next() < p) k++;
  return k;
}

/** FNV-1a: a stable 32-bit seed from text. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
