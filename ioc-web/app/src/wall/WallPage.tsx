// The video wall for one operations room: full-screen map with sensors, alerts and the KPI
// choropleth, and side panels readable from across the room. Loaded lazily (its map
// libraries are large), so the login page stays light.
import '@fontsource/be-vietnam-pro/latin-400.css';
import '@fontsource/be-vietnam-pro/latin-600.css';
import '@fontsource/be-vietnam-pro/latin-700.css';
import '@fontsource/be-vietnam-pro/vietnamese-400.css';
import '@fontsource/be-vietnam-pro/vietnamese-600.css';
import '@fontsource/be-vietnam-pro/vietnamese-700.css';
import './wall.css';
import {
  type RefObject,
  useCallback,
  useEffect,
  useMemo,
  useRef,
  useState,
  useSyncExternalStore,
} from 'react';
import { ProductMark } from '../components/ProductMark';
import { formatTime } from '../i18n/datetime';
import { useI18n } from '../i18n/i18n';
import { useSession } from '../session';
import { AlertsPanel } from './AlertsPanel';
import { DeviceHealth } from './DeviceHealth';
import { sensorsOf } from './device-state';
import { KpiTiles } from './KpiTiles';
import { MapLegend } from './MapLegend';
import { unitLabels } from './map-geometry';
import { WallClock } from './WallClock';
import { type MapDrawn, WallMap } from './WallMap';
import { PollingSource, WallFeed } from './wall-data';

/** The read-only view end-to-end tests (and curious operators) get of what the wall drew. */
export interface WallProbe {
  room: string;
  connection: string;
  sensorCount: number;
  layers: Record<string, number>;
  openAlerts: number;
  devicesDenied: boolean;
  mapFailed: string | null;
}

declare global {
  interface Window {
    __iocWall?: Readonly<WallProbe>;
  }
}

/** Room ids that mean the whole province until rooms exist on the server. */
const PROVINCE_ROOMS = new Set(['tinh', 'province', 'ioc']);

export default function WallPage({ room }: { room: string }) {
  const { t, language } = useI18n();
  const { expired } = useSession();
  const feed = useMemo(() => {
    const kpi = new URLSearchParams(window.location.search).get('kpi') ?? undefined;
    return new WallFeed(room, new PollingSource({ choroplethKpi: kpi }));
  }, [room]);
  useEffect(() => {
    feed.start(expired);
    return () => feed.stop();
  }, [feed, expired]);
  const data = useSyncExternalStore(feed.subscribe, feed.snapshot);

  const sensors = useMemo(
    () => sensorsOf(data.devices ?? [], data.alerts ?? []),
    [data.devices, data.alerts],
  );
  const labels = useMemo(
    () => (data.boundaries ? unitLabels(data.boundaries, 1) : []),
    [data.boundaries],
  );
  const unitNames = useMemo(() => {
    const names = new Map<string, string>();
    for (const f of data.boundaries?.features ?? []) {
      names.set(
        f.properties.code,
        language === 'en' ? (f.properties.nameEn ?? f.properties.name) : f.properties.name,
      );
    }
    return names;
  }, [data.boundaries, language]);
  const provinceName = useMemo(
    () => data.boundaries?.features.find((f) => f.properties.level === 0)?.properties,
    [data.boundaries],
  );

  // A ring pulses at every sensor with an active alert, or at its unit when it has no sensor.
  const pulses = useMemo(() => {
    const at = new Map<string, [number, number]>();
    const sensorAt = new Map(sensors.map((s) => [s.id, s.position]));
    const unitAt = new Map(labels.map((l) => [l.code, l.position]));
    for (const alert of data.alerts ?? []) {
      if (alert.state !== 'active' || alert.parentId) continue;
      const position =
        (alert.deviceId && sensorAt.get(alert.deviceId)) || (alert.unit && unitAt.get(alert.unit));
      if (position) at.set(position.join(','), position);
    }
    return [...at.values()];
  }, [sensors, labels, data.alerts]);

  const wallRef = useRef<HTMLDivElement>(null);
  const scale = useRemPixels(wallRef);
  const [drawn, setDrawn] = useState<MapDrawn>({ layers: {}, sensorCount: 0 });
  const [mapFailed, setMapFailed] = useState<string | null>(null);
  const onMapFailed = useCallback((reason: string) => setMapFailed(reason), []);

  useEffect(() => {
    window.__iocWall = Object.freeze({
      room,
      connection: data.connection,
      sensorCount: drawn.sensorCount,
      layers: { ...drawn.layers },
      openAlerts: data.alerts?.length ?? 0,
      devicesDenied: data.devicesDenied,
      mapFailed,
    });
  }, [room, data.connection, data.alerts, data.devicesDenied, drawn, mapFailed]);
  useEffect(() => () => void delete window.__iocWall, []);

  const roomTitle = PROVINCE_ROOMS.has(room) ? t.wall.wholeProvince : t.wall.room(room);
  const place = provinceName
    ? language === 'en'
      ? (provinceName.nameEn ?? provinceName.name)
      : provinceName.name
    : '';

  return (
    <div className="wall" ref={wallRef} data-testid="wall" data-connection={data.connection}>
      <header className="wall-top">
        <ProductMark size={48} />
        <div className="wall-titles">
          <h1 data-testid="wall-title">
            {t.wall.title}
            {place && ` · ${place}`}
          </h1>
          <p className="wall-subtitle">
            {t.productName} · <span data-testid="wall-room">{roomTitle}</span>
          </p>
        </div>
        <div className="wall-status">
          {data.connection !== 'live' && (
            <span className="wall-badge" data-testid="wall-connection" role="status">
              {data.connection === 'connecting' ? t.wall.connecting : t.wall.reconnecting}
            </span>
          )}
          {data.updatedAt && (
            <span className="wall-updated" data-testid="wall-updated">
              {t.wall.updatedAt(formatTime(data.updatedAt))}
            </span>
          )}
        </div>
        <WallClock />
      </header>
      <main className="wall-body">
        <div className="wall-map-area">
          <WallMap
            boundaries={data.boundaries}
            choropleth={data.choropleth}
            sensors={sensors}
            pulses={pulses}
            scale={scale}
            onDrawn={setDrawn}
            onFailed={onMapFailed}
          />
          {mapFailed && (
            <p className="wall-map-failed" role="alert" data-testid="wall-map-failed">
              {t.wall.mapFailed}
            </p>
          )}
          <MapLegend choropleth={data.choropleth} />
        </div>
        <div className="wall-side">
          <AlertsPanel alerts={data.alerts} unitNames={unitNames} />
          <KpiTiles kpis={data.kpis} loading={data.kpis.length === 0} />
          <DeviceHealth sensors={sensors} denied={data.devicesDenied} />
        </div>
      </main>
    </div>
  );
}

/** The wall's rem in CSS pixels; the wall's type scales with the viewport (wall.css). */
function useRemPixels(ref: RefObject<HTMLElement | null>): number {
  const [pixels, setPixels] = useState(16);
  useEffect(() => {
    const measure = () => {
      if (ref.current) setPixels(Number.parseFloat(getComputedStyle(ref.current).fontSize) || 16);
    };
    measure();
    window.addEventListener('resize', measure);
    return () => window.removeEventListener('resize', measure);
  }, [ref]);
  return pixels;
}
