/** Water level of the tidal river the stations discharge into, relative to each site's gauge zero. */
export interface RiverSite {
  /** Mean level (cm above the site's gauge zero). */
  meanCm: number;
  /** Tide phase at this site (radians): the tide reaches sites upstream later. */
  tidePhase: number;
}

// Đà Nẵng has a mixed, mainly semi-diurnal tide with about 1 m range: M2 + K1 capture its shape.
const M2_PERIOD_S = 44_714;
const M2_AMPLITUDE_CM = 35;
const K1_PERIOD_S = 86_164;
const K1_AMPLITUDE_CM = 20;

// Rain swells the river slowly: a linear reservoir with a 3-hour time constant, rising about
// 150 cm under 50 mm/h of sustained rain.
const RISE_TIME_CONSTANT_S = 3 * 3600;
const RISE_GAIN_CM_PER_S_PER_MM_H = 150 / (50 * RISE_TIME_CONSTANT_S);

/** The river shared by every site: tide plus a rain-driven rise. */
export class TidalRiver {
  #now = 0;
  #riseCm = 0;

  /** Advances by dtSeconds under a rain intensity (mm/h). */
  advance(dtSeconds: number, rainMmPerHour: number): void {
    this.#now += dtSeconds;
    this.#riseCm +=
      (RISE_GAIN_CM_PER_S_PER_MM_H * rainMmPerHour - this.#riseCm / RISE_TIME_CONSTANT_S) *
      dtSeconds;
  }

  levelAt(site: RiverSite): number {
    const m2 = M2_AMPLITUDE_CM * Math.sin((2 * Math.PI * this.#now) / M2_PERIOD_S + site.tidePhase);
    const k1 =
      K1_AMPLITUDE_CM * Math.sin((2 * Math.PI * this.#now) / K1_PERIOD_S + site.tidePhase / 2);
    return site.meanCm + m2 + k1 + this.#riseCm;
  }
}
