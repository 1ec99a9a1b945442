/** The land draining to a station or gate: turns rainfall into inflow (rational method). */
export interface Catchment {
  areaKm2: number;
  /** Share of rain that runs off (0-1): 0.7-0.9 for dense urban wards. */
  runoffCoefficient: number;
  /** Dry-weather inflow (m³/s): wastewater and groundwater. */
  baseflowM3s: number;
  /** Local rain relative to the city-wide storm (storms are patchy). */
  rainFactor: number;
}

/** Inflow (m³/s) from a catchment under a rain intensity (mm/h). */
export function inflowM3s(catchment: Catchment, rainMmPerHour: number): number {
  const rainMetresPerSecond = (rainMmPerHour * catchment.rainFactor) / 3_600_000;
  return (
    catchment.baseflowM3s +
    catchment.runoffCoefficient * rainMetresPerSecond * catchment.areaKm2 * 1e6
  );
}
