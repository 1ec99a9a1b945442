// Time travel on the wall: a banner that says which past instant the map shows, with one
// click back to live, and an operator's panel (key T) with a slider over the last week and
// the sensor values at that instant.
import './time-travel.css';
import { useEffect, useMemo, useState } from 'react';
import { formatDateTime } from '../i18n/datetime';
import { useI18n } from '../i18n/i18n';
import { type DeviceValuesAt, sensorValuesAt } from './time-travel-source';

/** The slider's reach and step: a week back in 5-minute steps. */
const STEP_MS = 5 * 60_000;
const STEPS = (7 * 86_400_000) / STEP_MS;
/** How long the slider rests before the wall reloads at the new instant. */
const SETTLE_MS = 400;
/** Devices listed at once; the filter narrows the rest. */
const LISTED = 12;

/** dd/MM/yyyy HH:mm in Viet Nam's time. */
export function formatMinute(at: Date): string {
  return formatDateTime(at).slice(0, 16);
}

export function TimeTravelBanner({ at, onLive }: { at: Date; onLive: () => void }) {
  const { t } = useI18n();
  return (
    <div className="time-travel-banner" role="status" data-testid="time-travel-banner">
      <span>{t.timeTravel.banner(formatMinute(at))}</span>
      <button type="button" onClick={onLive} data-testid="time-travel-live">
        {t.timeTravel.backToLive}
      </button>
    </div>
  );
}

export function TimeTravelPanel({
  room,
  at,
  onChange,
}: {
  room: string;
  at: Date | undefined;
  onChange: (at: Date | undefined) => void;
}) {
  const { t } = useI18n();
  // The slider counts steps back from when the panel opened, so it holds still meanwhile.
  const [now] = useState(() => Date.now());
  const stepsBack = (date: Date | undefined) =>
    date ? Math.min(STEPS, Math.max(0, Math.round((now - date.getTime()) / STEP_MS))) : 0;
  const [back, setBack] = useState(() => stepsBack(at));
  useEffect(() => {
    if (back === stepsBack(at)) return;
    const timer = setTimeout(
      () => onChange(back === 0 ? undefined : new Date(now - back * STEP_MS)),
      SETTLE_MS,
    );
    return () => clearTimeout(timer);
  });

  const [values, setValues] = useState<DeviceValuesAt[] | undefined>();
  const [filter, setFilter] = useState('');
  useEffect(() => {
    setValues(undefined);
    if (!at) return;
    const controller = new AbortController();
    sensorValuesAt(at, room, controller.signal).then(setValues, () => setValues([]));
    return () => controller.abort();
  }, [at, room]);
  const shown = useMemo(() => {
    const needle = filter.trim().toLowerCase();
    const matching = (values ?? [])
      .filter((d) => !needle || d.device.toLowerCase().includes(needle))
      .sort((a, b) => a.device.localeCompare(b.device));
    return { list: matching.slice(0, LISTED), more: Math.max(0, matching.length - LISTED) };
  }, [values, filter]);

  const preview = back === 0 ? t.timeTravel.now : formatMinute(new Date(now - back * STEP_MS));
  return (
    <section className="time-travel-panel" data-testid="time-travel-panel">
      <h2>{t.timeTravel.panelTitle}</h2>
      <label className="time-travel-slider">
        <span>
          {t.timeTravel.slider}: <strong data-testid="time-travel-preview">{preview}</strong>
        </span>
        <input
          type="range"
          min={-STEPS}
          max={0}
          step={1}
          value={-back}
          onChange={(event) => setBack(-Number(event.target.value))}
          data-testid="time-travel-slider"
        />
        <span className="time-travel-scale">
          <span>{t.timeTravel.daysAgo(7)}</span>
          <span>{t.timeTravel.now}</span>
        </span>
      </label>
      {at && (
        <>
          <h3>{t.timeTravel.values}</h3>
          <input
            type="search"
            placeholder={t.timeTravel.filter}
            aria-label={t.timeTravel.filter}
            value={filter}
            onChange={(event) => setFilter(event.target.value)}
            data-testid="time-travel-filter"
          />
          {values && values.length === 0 && <p>{t.timeTravel.noValues}</p>}
          <ul data-testid="time-travel-values">
            {shown.list.map((d) => (
              <li key={d.device} data-device={d.device}>
                <span className="time-travel-device">{d.device}</span>
                <span>
                  {Object.entries(d.values)
                    .map(([metric, value]) => `${metric} ${String(value)}`)
                    .join(' · ')}
                </span>
              </li>
            ))}
          </ul>
          {shown.more > 0 && <p>{t.timeTravel.more(shown.more)}</p>}
        </>
      )}
      <p className="time-travel-hint">{t.timeTravel.hint}</p>
    </section>
  );
}
