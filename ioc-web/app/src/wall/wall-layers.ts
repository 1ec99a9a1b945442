// The deck.gl layers drawn over the basemap: unit names, sensors (clustered), and a pulsing
// ring around every place with an active alert. Pure: the same inputs give the same layers.
import type { Layer } from '@deck.gl/core';
import { ScatterplotLayer, TextLayer } from '@deck.gl/layers';
import { type SensorState, stateColour } from './device-state';
import type { UnitLabel } from './map-geometry';
import type { SensorMark } from './sensor-clusters';

export const WALL_FONT = '"Be Vietnam Pro", "Noto Sans", "DejaVu Sans", sans-serif';

type Rgba = [number, number, number, number];
const WHITE: Rgba = [255, 255, 255, 255];
const INK: Rgba = [6, 14, 22, 255];

/** Shape cues besides colour: alerts are biggest with a white rim, offline ones hollow. */
const MARK_RADIUS: Record<SensorState, number> = { alert: 12, warning: 10, normal: 7, offline: 7 };
const MARK_RIM: Record<SensorState, number> = { alert: 3, warning: 2.5, normal: 1.5, offline: 3 };

export interface WallLayerInput {
  zoom: number;
  /** Pixels per CSS rem, so marks and labels grow with the screen like the panels do. */
  scale: number;
  labels: readonly UnitLabel[];
  marks: readonly SensorMark[];
  pulses: ReadonlyArray<[number, number]>;
  /** 0..1, the pulse animation's phase. */
  phase: number;
  fontReady: boolean;
}

export function wallLayers(input: WallLayerInput): Layer[] {
  const { zoom, scale, phase } = input;
  const labelSize = 0.8 * scale;
  // A name is written only where the unit is wide enough on screen to hold it.
  const pixelsPerDegree = (512 * 2 ** zoom) / 360;
  const labels = input.labels.filter(
    (l) => l.widthDeg * pixelsPerDegree > l.name.length * labelSize * 0.55,
  );
  const clusters = input.marks.filter((m) => m.count > 1);
  const grow = scale / 16;

  const layers: Layer[] = [];
  if (input.fontReady) {
    layers.push(
      new TextLayer<UnitLabel>({
        id: 'unit-labels',
        data: labels,
        getPosition: (l) => l.position,
        getText: (l) => l.name,
        getSize: labelSize,
        sizeUnits: 'pixels',
        getColor: [214, 228, 240, 220],
        fontFamily: WALL_FONT,
        fontWeight: 600,
        characterSet: 'auto',
        fontSettings: { sdf: true, fontSize: 64, buffer: 6 },
        outlineWidth: 3,
        outlineColor: [4, 10, 16, 230],
      }),
    );
  }
  layers.push(
    new ScatterplotLayer<[number, number]>({
      id: 'alert-pulse',
      data: input.pulses,
      getPosition: (p) => p,
      radiusUnits: 'pixels',
      getRadius: (14 + phase * 34) * grow,
      stroked: true,
      filled: false,
      lineWidthUnits: 'pixels',
      getLineWidth: 3 * grow,
      getLineColor: [...stateColour.alert, Math.round(255 * (1 - phase))],
      updateTriggers: { getRadius: phase, getLineColor: phase },
    }),
    new ScatterplotLayer<SensorMark>({
      id: 'sensor-points',
      data: input.marks as SensorMark[],
      getPosition: (m) => m.position,
      radiusUnits: 'pixels',
      getRadius: (m) => (m.count > 1 ? 13 + Math.sqrt(m.count) * 3.5 : MARK_RADIUS[m.state]) * grow,
      stroked: true,
      filled: true,
      lineWidthUnits: 'pixels',
      getLineWidth: (m) => (m.count > 1 ? 2.5 : MARK_RIM[m.state]) * grow,
      getFillColor: (m): Rgba =>
        m.state === 'offline' && m.count === 1
          ? [0, 0, 0, 0]
          : [...stateColour[m.state], m.count > 1 ? 215 : 255],
      getLineColor: (m): Rgba =>
        m.state === 'offline' && m.count === 1
          ? [...stateColour.offline, 255]
          : m.state === 'alert' || m.count > 1
            ? WHITE
            : INK,
      updateTriggers: { getRadius: grow, getLineWidth: grow },
    }),
  );
  if (input.fontReady) {
    layers.push(
      new TextLayer<SensorMark>({
        id: 'sensor-cluster-counts',
        data: clusters,
        getPosition: (m) => m.position,
        getText: (m) => String(m.count),
        getSize: 0.75 * scale,
        sizeUnits: 'pixels',
        getColor: (m): Rgba => (m.state === 'warning' || m.state === 'normal' ? INK : WHITE),
        fontFamily: WALL_FONT,
        fontWeight: 700,
        characterSet: '0123456789',
      }),
    );
  }
  return layers;
}
