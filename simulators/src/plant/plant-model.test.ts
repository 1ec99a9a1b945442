import { describe, expect, it } from 'vitest';
import { DA_NANG_PLANT } from './da-nang.js';
import {
  PlantCommandError,
  PlantModel,
  type PlantSnapshot,
  type PumpStationReading,
} from './plant-model.js';

const station = (snapshot: PlantSnapshot, id: string) =>
  snapshot.stations.find((s) => s.id === id) as PumpStationReading;

function run(model: PlantModel, steps: number, dtSeconds: number): PlantSnapshot[] {
  return Array.from({ length: steps }, () => model.step(dtSeconds));
}

describe('PlantModel', () => {
  it('replays exactly with the same seed and differs with another', () => {
    const a = new PlantModel(DA_NANG_PLANT, 42);
    const b = new PlantModel(DA_NANG_PLANT, 42);
    const c = new PlantModel(DA_NANG_PLANT, 43);
    for (const model of [a, b, c]) model.setGateOpening('KhueTrung', 60);
    const runA = run(a, 360, 10);
    expect(run(b, 360, 10)).toEqual(runA);
    expect(run(c, 360, 10)).not.toEqual(runA);
  });

  it('brings storms that come and go', () => {
    const model = new PlantModel(DA_NANG_PLANT, 1);
    const rain = run(model, 6 * 360, 10).map((s) => s.rainfall);
    expect(Math.max(...rain)).toBeGreaterThan(15);
    expect(rain.filter((r) => r === 0).length).toBeGreaterThan(rain.length / 4);
  });

  it('starts a pump when the forebay reaches its start level and stops it at the stop level', () => {
    const model = new PlantModel(DA_NANG_PLANT, 5);
    const spec = model.stationSpecs.find((s) => s.id === 'HoaXuan');
    if (!spec) throw new Error('no HoaXuan');
    model.setRainfall(60);
    const storm = run(model, 360, 5).map((s) => station(s, 'HoaXuan'));
    model.setRainfall(0);
    const after = run(model, 1440, 5).map((s) => station(s, 'HoaXuan'));
    const readings = [...storm, ...after];

    const starts = readings.flatMap((r, i) =>
      i > 0 && r.running && !readings[i - 1]?.running ? [r] : [],
    );
    const stops = readings.flatMap((r, i) =>
      i > 0 && !r.running && readings[i - 1]?.running ? [r] : [],
    );
    expect(starts.length).toBeGreaterThanOrEqual(1);
    expect(stops.length).toBeGreaterThanOrEqual(1);
    // Within a step's worth of level change plus instrument noise of the thresholds.
    for (const r of starts) expect(r.inletLevel).toBeGreaterThan(spec.startLevelCm - 3);
    for (const r of stops) expect(r.inletLevel).toBeLessThan(spec.stopLevelCm + 3);
    // The level rose during the storm and the pump brought it down once the rain stopped.
    const peak = Math.max(...readings.map((r) => r.inletLevel));
    expect(peak).toBeGreaterThan(spec.startLevelCm + 20);
    expect(readings.at(-1)?.inletLevel).toBeLessThan(peak - 50);
  });

  it('draws motor current and delivers flow only while running', () => {
    const model = new PlantModel(DA_NANG_PLANT, 9);
    model.setRainfall(0);
    model.commandPump('HoaQuy', true);
    const running = station(run(model, 12, 5).at(-1) as PlantSnapshot, 'HoaQuy');
    expect(running.flowRate).toBeGreaterThan(0.8 * 4.5);
    expect(running.motorCurrent).toBeGreaterThan(0.5 * 330);
    model.commandPump('HoaQuy', false);
    const stopped = station(run(model, 12, 5).at(-1) as PlantSnapshot, 'HoaQuy');
    expect(stopped.motorCurrent).toBe(0);
    expect(stopped.flowRate).toBeLessThan(0.01);
  });

  it('holds a manual command against the level controller until auto mode is restored', () => {
    const model = new PlantModel(DA_NANG_PLANT, 3);
    model.setRainfall(0);
    model.commandPump('AnHai', true);
    expect(station(model.snapshot, 'AnHai')).toMatchObject({ running: true, autoMode: false });
    // Well below the stop level the pump keeps running in manual...
    const manual = run(model, 200, 5).map((s) => station(s, 'AnHai'));
    expect(manual.every((r) => r.running)).toBe(true);
    expect(manual.at(-1)?.inletLevel).toBeLessThan(100);
    // ...and the controller stops it once it is back in charge.
    model.setAutoMode('AnHai', true);
    expect(station(model.step(5), 'AnHai').running).toBe(false);
  });

  it('moves a gate towards its setpoint at the hoist speed', () => {
    const model = new PlantModel(DA_NANG_PLANT, 4);
    model.setGateOpening('KhueTrung', 80);
    expect(model.snapshot.gates[0]).toMatchObject({
      id: 'KhueTrung',
      opening: 30,
      openingSetpoint: 80,
    });
    expect(model.step(10).gates[0]?.opening).toBeCloseTo(35, 6); // 0.5 %/s
    expect(model.step(200).gates[0]?.opening).toBeCloseTo(80, 6);
  });

  it('drains the canal through an open gate when the canal is above the river', () => {
    const model = new PlantModel(DA_NANG_PLANT, 4);
    model.setRainfall(80);
    const gate = run(model, 120, 10)
      .at(-1)
      ?.gates.find((g) => g.id === 'KhueTrung');
    expect(gate?.upstreamLevel).toBeGreaterThan(gate?.downstreamLevel ?? Number.POSITIVE_INFINITY);
    expect(gate?.discharge).toBeGreaterThan(0);
  });

  it('refuses commands out of range or for unknown equipment, leaving the state unchanged', () => {
    const model = new PlantModel(DA_NANG_PLANT, 1);
    const before = model.snapshot;
    const refusal = (fn: () => void) => {
      try {
        fn();
      } catch (err) {
        return err;
      }
      throw new Error('expected a refusal');
    };
    expect(refusal(() => model.setGateOpening('KhueTrung', 150))).toMatchObject({
      code: 'OUT_OF_RANGE',
    });
    expect(refusal(() => model.setGateOpening('KhueTrung', Number.NaN))).toMatchObject({
      code: 'OUT_OF_RANGE',
    });
    expect(refusal(() => model.setControlLevels('HoaXuan', { stopLevelCm: 200 }))).toMatchObject({
      code: 'OUT_OF_RANGE',
      message: expect.stringContaining('must be below start level 180 cm'),
    });
    const unknownStation = refusal(() => model.commandPump('Nowhere', true));
    expect(unknownStation).toBeInstanceOf(PlantCommandError);
    expect(unknownStation).toMatchObject({
      code: 'UNKNOWN_STATION',
      message: expect.stringContaining('HoaXuan'),
    });
    expect(refusal(() => model.setGateOpening('Nowhere', 10))).toMatchObject({
      code: 'UNKNOWN_GATE',
    });
    expect(refusal(() => model.setRainfall(-1))).toMatchObject({ code: 'OUT_OF_RANGE' });
    expect(model.snapshot).toBe(before);
    expect(() => model.step(0)).toThrow(RangeError);
    expect(() => model.step(Number.NaN)).toThrow(RangeError);
    expect(
      () =>
        new PlantModel({
          stations: [],
          gates: [DA_NANG_PLANT.gates[0], DA_NANG_PLANT.gates[0]] as never,
        }),
    ).toThrow(/duplicate sluice gate id "KhueTrung"/);
  });
});
