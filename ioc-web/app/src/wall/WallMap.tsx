// The map: an offline MapLibre style (no tiles, no glyphs: background and the unit
// boundaries coloured by a KPI) with deck.gl drawing sensors, alert pulses and names over it.
import type { Layer } from '@deck.gl/core';
import { MapboxOverlay } from '@deck.gl/mapbox';
import { Map as MapLibreMap, type StyleSpecification, setWorkerUrl } from 'maplibre-gl';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import 'maplibre-gl/dist/maplibre-gl.css';
import { useEffect, useMemo, useRef, useState } from 'react';
import { conferenceLayer, type EndpointMark } from './conference-layer';
import type { Sensor } from './device-state';
import { unitLabels, withChoropleth } from './map-geometry';
import type { Bounds } from './room-scope';
import { SensorClusters } from './sensor-clusters';
import type { KpiBreakdown, UnitCollection } from './wall-api';
import { WALL_FONT, wallLayers } from './wall-layers';

// The bundled worker, not one next to maplibre's own module URL (which Vite rewrites).
setWorkerUrl(workerUrl);

const EMPTY: UnitCollection = { type: 'FeatureCollection', features: [] };

function offlineStyle(): StyleSpecification {
  return {
    version: 8,
    sources: { units: { type: 'geojson', data: EMPTY } },
    layers: [
      { id: 'background', type: 'background', paint: { 'background-color': '#050d14' } },
      {
        id: 'unit-fill',
        type: 'fill',
        source: 'units',
        filter: ['>=', ['get', 'level'], 1],
        // Units outside the room stay as a faint outline for orientation.
        paint: {
          'fill-color': ['get', 'fill'],
          'fill-opacity': ['case', ['==', ['get', 'inRoom'], false], 0.1, 0.62],
        },
      },
      {
        id: 'unit-line',
        type: 'line',
        source: 'units',
        filter: ['>=', ['get', 'level'], 1],
        paint: {
          'line-color': '#5f7f95',
          'line-width': 0.8,
          'line-opacity': ['case', ['==', ['get', 'inRoom'], false], 0.25, 0.8],
        },
      },
      {
        id: 'province-line',
        type: 'line',
        source: 'units',
        filter: ['==', ['get', 'level'], 0],
        paint: { 'line-color': '#8fd3e8', 'line-width': 2.5 },
      },
    ],
  };
}

export interface MapDrawn {
  layers: Record<string, number>;
  sensorCount: number;
}

export interface WallMapProps {
  boundaries?: UnitCollection;
  /** What the map frames: the room, or the current scene's unit. */
  bounds: Bounds | null;
  /** Unit codes in the room (null: all); the others are dimmed and unnamed. */
  roomUnits: ReadonlySet<string> | null;
  choropleth?: KpiBreakdown;
  sensors: readonly Sensor[];
  pulses: ReadonlyArray<[number, number]>;
  /** Conference endpoints at their units' centres (empty when no conference is live). */
  endpoints: readonly EndpointMark[];
  /** CSS pixels per rem on the wall, so marks scale with the screen like the text. */
  scale: number;
  onDrawn(drawn: MapDrawn): void;
  onFailed(reason: string): void;
}

const PULSE_MS = 1_600;
const PULSE_FRAME_MS = 50; // software WebGL on some walls: 20 frames a second is plenty

export function WallMap(props: WallMapProps) {
  const { boundaries, bounds, roomUnits, choropleth, sensors, pulses, endpoints, scale } = props;
  const { onDrawn, onFailed } = props;
  const container = useRef<HTMLDivElement>(null);
  const mapRef = useRef<MapLibreMap | null>(null);
  const overlayRef = useRef<MapboxOverlay | null>(null);
  const [zoom, setZoom] = useState(0);
  const [styleReady, setStyleReady] = useState(false);
  const [fontReady, setFontReady] = useState(false);

  useEffect(() => {
    if (!container.current) return;
    let map: MapLibreMap;
    try {
      map = new MapLibreMap({
        container: container.current,
        style: offlineStyle(),
        attributionControl: false,
        renderWorldCopies: false,
        dragRotate: false,
        pitchWithRotate: false,
        fadeDuration: 0,
      });
    } catch (error) {
      onFailed(error instanceof Error ? error.message : String(error));
      return;
    }
    const overlay = new MapboxOverlay({ interleaved: false, layers: [] });
    map.addControl(overlay);
    map.on('load', () => setStyleReady(true));
    map.on('zoomend', () => setZoom(map.getZoom()));
    mapRef.current = map;
    overlayRef.current = overlay;
    return () => {
      mapRef.current = null;
      overlayRef.current = null;
      map.remove();
    };
  }, [onFailed]);

  // deck.gl draws text from a canvas glyph atlas: wait for the bundled font, or the atlas
  // would be drawn in a fallback font without Vietnamese marks.
  useEffect(() => {
    let live = true;
    document.fonts
      .load(`600 32px ${WALL_FONT}`, 'Đà Nẵng Hoà Khánh Ngũ Hành Sơn')
      .catch(() => undefined)
      .then(() => live && setFontReady(true));
    return () => {
      live = false;
    };
  }, []);

  useEffect(() => {
    const map = mapRef.current;
    if (!map || !styleReady || !boundaries) return;
    const source = map.getSource('units');
    if (source && 'setData' in source && typeof source.setData === 'function') {
      source.setData(inRoom(withChoropleth(boundaries, choropleth), roomUnits));
    }
  }, [boundaries, choropleth, roomUnits, styleReady]);

  // Fit when the frame changes (room known, next scene); not on every data update.
  const frame = bounds?.join(',');
  useEffect(() => {
    const map = mapRef.current;
    if (!map || !styleReady || !frame) return;
    const box = frame.split(',').map(Number) as [number, number, number, number];
    map.fitBounds(box, { padding: 32, duration: 0 });
    setZoom(map.getZoom());
  }, [frame, styleReady]);

  const labels = useMemo(() => {
    if (!boundaries) return [];
    // The room's own level of detail: a district room names its wards.
    const level = roomUnits ? Math.max(1, ...roomLevels(boundaries, roomUnits)) : 1;
    return unitLabels(boundaries, level).filter((l) => !roomUnits || roomUnits.has(l.code));
  }, [boundaries, roomUnits]);
  const clusters = useMemo(() => new SensorClusters(sensors), [sensors]);
  const wholeZoom = Math.floor(zoom);
  const marks = useMemo(() => clusters.marksAt(wholeZoom), [clusters, wholeZoom]);

  useEffect(() => {
    const overlay = overlayRef.current;
    if (!overlay) return;
    const draw = (phase: number): Layer[] => {
      const layers = wallLayers({ zoom, scale, labels, marks, pulses, phase, fontReady });
      if (endpoints.length > 0) layers.push(conferenceLayer(endpoints, scale));
      overlay.setProps({ layers });
      return layers;
    };
    const layers = draw(0);
    onDrawn({
      layers: Object.fromEntries(layers.map((l) => [l.id, dataLength(l)])),
      sensorCount: marks.reduce((sum, m) => sum + m.count, 0),
    });
    if (pulses.length === 0) return;
    let frame = 0;
    let last = 0;
    const animate = (time: number) => {
      if (time - last >= PULSE_FRAME_MS) {
        last = time;
        draw((time % PULSE_MS) / PULSE_MS);
      }
      frame = requestAnimationFrame(animate);
    };
    frame = requestAnimationFrame(animate);
    return () => cancelAnimationFrame(frame);
  }, [zoom, scale, labels, marks, pulses, endpoints, fontReady, onDrawn]);

  return <div ref={container} className="wall-map" data-testid="wall-map" />;
}

function inRoom(units: UnitCollection, roomUnits: ReadonlySet<string> | null): UnitCollection {
  if (!roomUnits) return units;
  return {
    ...units,
    features: units.features.map((f) => ({
      ...f,
      properties: { ...f.properties, inRoom: roomUnits.has(f.properties.code) },
    })),
  };
}

/** Levels of the room's top units (the shallowest level present in the room). */
function roomLevels(units: UnitCollection, roomUnits: ReadonlySet<string>): number[] {
  let top = Number.POSITIVE_INFINITY;
  for (const f of units.features) {
    if (roomUnits.has(f.properties.code)) top = Math.min(top, f.properties.level);
  }
  return Number.isFinite(top) ? [top] : [];
}

function dataLength(layer: Layer): number {
  const data = layer.props.data as unknown;
  return Array.isArray(data) ? data.length : 0;
}
