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
import { en } from '../i18n/en';
import { useI18n } from '../i18n/i18n';
import { vi } from '../i18n/vi';
import { useSession } from '../session';
import { AlertsPanel } from './AlertsPanel';
import { ConferencePanel } from './ConferencePanel';
import { endpointMarks } from './conference-layer';
import { DeviceHealth } from './DeviceHealth';
import { type Sensor, sensorsOf } from './device-state';
import { KpiTiles } from './KpiTiles';
import { MapLegend } from './MapLegend';
import { unitCentroids, unitLabels } from './map-geometry';
import { RoomScope } from './room-scope';
import { sceneShows, useSceneRotation } from './scene-rotation';
import { SocketSource } from './socket-source';
import { TimeTravelBanner, TimeTravelPanel } from './time-travel-panel';
import { parseAt, TimeTravelSource } from './time-travel-source';
import { WallClock } from './WallClock';
import { type MapDrawn, WallMap } from './WallMap';
import type { WallRoom } from './wall-api';
import { PollingSource, WallFeed } from './wall-data';

/** The read-only view end-to-end tests (and curious operators) get of what the wall drew. */
export interface WallProbe {
  room: string;
  connection: string;
  /** `socket` (the room's live feed) or `poll` (REST fallback). */
  transport: string | null;
  roomName: string | null;
  roomMissing: boolean;
  scene: string | null;
  /** Units in the room (null: every unit). */
  roomUnits: number | null;
  sensorCount: number;
  layers: Record<string, number>;
  openAlerts: number;
  /** Open alerts nobody has acknowledged: the panel's list. */
  activeAlerts: number;
  /** Acknowledged alerts, counted as in progress. */
  alertsInProgress: number;
  /** Conference endpoints in the room, and how many are connected. */
  conferenceEndpoints: number;
  conferenceConnected: number;
  devicesDenied: boolean;
  mapFailed: string | null;
  /** The past instant shown (time travel, ISO 8601), or null when live. */
  at: string | null;
}

declare global {
  interface Window {
    __iocWall?: Readonly<WallProbe>;
  }
}

export default function WallPage({ room }: { room: string }) {
  const { t, language } = useI18n();
  const { expired, state: session } = useSession();
  const query = useMemo(() => new URLSearchParams(window.location.search), []);
  const timeTravel = useTimeTravel(
    query,
    session.status === 'signed-in' && session.user.role !== 'viewer',
  );
  const at = timeTravel.at;
  const feed = useMemo(() => {
    const choroplethKpi = query.get('kpi') ?? undefined;
    if (at) return new WallFeed(room, new TimeTravelSource(room, at, { choroplethKpi }));
    // `?source=poll`: REST only (diagnosis, networks that block WebSocket and long polling).
    const source =
      query.get('source') === 'poll'
        ? new PollingSource({ choroplethKpi })
        : new SocketSource(room, { choroplethKpi });
    return new WallFeed(room, source);
  }, [room, query, at]);
  useEffect(() => {
    feed.start(expired);
    return () => feed.stop();
  }, [feed, expired]);
  const data = useSyncExternalStore(feed.subscribe, feed.snapshot);

  const scope = useMemo(
    () => (data.boundaries ? new RoomScope(data.roomInfo, data.boundaries) : undefined),
    [data.roomInfo, data.boundaries],
  );
  const scene = useSceneRotation(data.roomInfo, query.get('scene'));
  const bounds = useMemo(
    () => (scope && data.roomInfo ? scope.bounds(scene?.view.unit) : null),
    [scope, data.roomInfo, scene],
  );

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

  // Conference endpoints at their units' centres, on every scene (they are few and live).
  const centroids = useMemo(
    () => (data.boundaries ? unitCentroids(data.boundaries) : new Map<string, [number, number]>()),
    [data.boundaries],
  );
  const endpoints = useMemo(
    () => endpointMarks(data.conferences, centroids),
    [data.conferences, centroids],
  );

  const wallRef = useRef<HTMLDivElement>(null);
  const scale = useRemPixels(wallRef);
  const [drawn, setDrawn] = useState<MapDrawn>({ layers: {}, sensorCount: 0 });
  const [mapFailed, setMapFailed] = useState<string | null>(null);
  const onMapFailed = useCallback((reason: string) => setMapFailed(reason), []);

  useEffect(() => {
    window.__iocWall = Object.freeze({
      room,
      connection: data.connection,
      transport: data.transport ?? null,
      roomName: data.roomInfo?.name.vi ?? null,
      roomMissing: data.roomMissing,
      scene: scene?.id ?? null,
      roomUnits: scope?.units?.size ?? null,
      sensorCount: drawn.sensorCount,
      layers: { ...drawn.layers },
      openAlerts: data.alerts?.length ?? 0,
      activeAlerts: data.alerts?.filter((a) => a.state !== 'acknowledged').length ?? 0,
      alertsInProgress: data.alerts?.filter((a) => a.state === 'acknowledged').length ?? 0,
      conferenceEndpoints: data.conferences.reduce((n, c) => n + c.endpoints.length, 0),
      conferenceConnected: data.conferences.reduce(
        (n, c) => n + c.endpoints.filter((e) => e.connected).length,
        0,
      ),
      devicesDenied: data.devicesDenied,
      mapFailed,
      at: at?.toISOString() ?? null,
    });
  }, [room, data, scene, scope, drawn, mapFailed, at]);
  useEffect(() => () => void delete window.__iocWall, []);

  if (data.roomMissing) return <RoomMissing room={room} />;

  const roomTitle = data.roomInfo ? data.roomInfo.name[language] : t.wall.room(room);
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
            {scene && (data.roomInfo?.scenes.length ?? 0) > 1 && (
              <span data-testid="wall-scene"> · {scene.title[language]}</span>
            )}
          </p>
        </div>
        <div className="wall-status">
          {data.connection !== 'live' && (
            <span className="wall-badge" data-testid="wall-connection" role="status">
              {data.connection === 'connecting' ? t.wall.connecting : t.wall.reconnecting}
            </span>
          )}
          {data.transport === 'poll' && data.connection === 'live' && (
            <span
              className="wall-transport"
              data-testid="wall-transport"
              title={t.wall.live.pollHint}
            >
              {t.wall.live.poll}
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
            bounds={bounds}
            roomUnits={scope?.units ?? null}
            choropleth={sceneShows(scene, 'kpi') ? data.choropleth : undefined}
            sensors={sceneShows(scene, 'sensors') ? sensors : NO_SENSORS}
            pulses={sceneShows(scene, 'alerts') ? pulses : NO_PULSES}
            endpoints={endpoints}
            scale={scale}
            onDrawn={setDrawn}
            onFailed={onMapFailed}
          />
          {mapFailed && (
            <p className="wall-map-failed" role="alert" data-testid="wall-map-failed">
              {t.wall.mapFailed}
            </p>
          )}
          <MapLegend choropleth={data.choropleth} endpoints={endpoints.length > 0} />
          {at && <TimeTravelBanner at={at} onLive={() => timeTravel.go(undefined)} />}
          {timeTravel.panelOpen && <TimeTravelPanel room={room} at={at} onChange={timeTravel.go} />}
        </div>
        <div className="wall-side">
          <ConferencePanel
            conferences={data.conferences}
            speakerVideo={!at && isProvinceRoom(data.roomInfo)}
          />
          <AlertsPanel alerts={data.alerts} unitNames={unitNames} />
          <KpiTiles kpis={data.kpis} loading={!data.kpisLoaded} />
          <DeviceHealth sensors={sensors} denied={data.devicesDenied} />
        </div>
      </main>
    </div>
  );
}

const NO_SENSORS: Sensor[] = [];
const NO_PULSES: Array<[number, number]> = [];

/** The province IOC room sees every unit and sector; only its wall plays the speaker's video. */
function isProvinceRoom(room: WallRoom | undefined): boolean {
  return !!room && room.scope.units.length === 0 && room.scope.sectors.length === 0;
}

/** Unknown room, or one that is not the caller's (the server answers both alike): in both languages. */
function RoomMissing({ room }: { room: string }) {
  const { language } = useI18n();
  const [first, second] = language === 'en' ? [en, vi] : [vi, en];
  return (
    <div className="wall wall-missing" data-testid="wall-room-missing" role="alert">
      <ProductMark size={64} />
      <h1 lang={language}>{first.wall.roomMissing.title(room)}</h1>
      <p lang={language}>{first.wall.roomMissing.body}</p>
      <h2 lang={language === 'en' ? 'vi' : 'en'}>{second.wall.roomMissing.title(room)}</h2>
      <p lang={language === 'en' ? 'vi' : 'en'}>{second.wall.roomMissing.body}</p>
    </div>
  );
}

/**
 * The instant the wall shows (`?at=`, undefined: live) and the time-travel panel, which key T
 * opens for operators outside kiosk mode (`?kiosk=1`). Moving in time rewrites `?at=` in place.
 */
function useTimeTravel(query: URLSearchParams, operator: boolean) {
  const [at, setAt] = useState(() => parseAt(query.get('at')));
  const [panelOpen, setPanelOpen] = useState(false);
  const allowed = operator && !['1', 'true', ''].includes(query.get('kiosk') ?? 'no');
  useEffect(() => {
    if (!allowed) return;
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      if (target?.closest('input, textarea, select, [contenteditable]')) return;
      if (event.key === 't' || event.key === 'T') setPanelOpen((open) => !open);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [allowed]);
  const go = useCallback((next: Date | undefined) => {
    const url = new URL(window.location.href);
    if (next) url.searchParams.set('at', next.toISOString());
    else url.searchParams.delete('at');
    window.history.replaceState(window.history.state, '', url);
    setAt(next);
  }, []);
  return { at, go, panelOpen: allowed && panelOpen };
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
