import { useEffect, useState } from 'react';
import { useI18n } from '../../i18n/i18n';
import { type DeviceMetric, type TelemetrySeries, telemetry } from '../console-api';
import { ErrorBanner } from '../ErrorBanner';
import { formatMinuteOf, formatNumber } from '../format';
import { HistoryChart } from './HistoryChart';
import {
  clampWindow,
  everyFor,
  RANGE_MS,
  RANGES,
  type RangeId,
  type TimeWindow,
  zoomed,
} from './history-range';

type Load =
  | { status: 'loading' }
  | { status: 'ready'; series: TelemetrySeries; window: TimeWindow }
  | { status: 'failed'; error: unknown };

/**
 * The history of one metric: a preset window (1 h to 1 year) or a zoomed one, each fetched
 * with the step that keeps the point count small; the server does the aggregation.
 */
export function DeviceHistory({
  deviceId,
  metrics,
}: {
  deviceId: string;
  metrics: DeviceMetric[];
}) {
  const { t, language } = useI18n();
  const h = t.console.devices.history;
  const numeric = metrics.filter((m) => m.kind !== 'boolean');
  const [metricKey, setMetricKey] = useState(numeric[0]?.key ?? '');
  const [range, setRange] = useState<RangeId>('24h');
  const [window, setWindow] = useState<TimeWindow>(() =>
    clampWindow(Date.now() - RANGE_MS['24h'], Date.now()),
  );
  const [load, setLoad] = useState<Load>({ status: 'loading' });

  useEffect(() => {
    if (!metricKey) return;
    const controller = new AbortController();
    const every = everyFor(window.to.getTime() - window.from.getTime());
    setLoad({ status: 'loading' });
    telemetry(
      { device: deviceId, metric: metricKey, from: window.from, to: window.to, every },
      controller.signal,
    ).then(
      (series) => setLoad({ status: 'ready', series, window }),
      (error: unknown) => {
        if (!controller.signal.aborted) setLoad({ status: 'failed', error });
      },
    );
    return () => controller.abort();
  }, [deviceId, metricKey, window]);

  const metric = numeric.find((m) => m.key === metricKey);
  if (!metric) return <p className="muted">{h.noMetrics}</p>;
  const metricName = metric.name[language];
  const choose = (next: RangeId) => {
    setRange(next);
    setWindow(clampWindow(Date.now() - RANGE_MS[next], Date.now()));
  };
  const reset = () => choose(range);

  return (
    <section className="panel ops-history-panel" aria-labelledby="device-history-title">
      <header className="panel-header">
        <h3 id="device-history-title">{h.title}</h3>
      </header>
      <div className="ops-filters">
        <label className="field">
          <span>{h.metric}</span>
          <select
            value={metricKey}
            data-testid="history-metric"
            onChange={(e) => setMetricKey(e.target.value)}
          >
            {numeric.map((m) => (
              <option key={m.key} value={m.key}>
                {m.name[language]}
                {m.unit ? ` (${m.unit})` : ''}
              </option>
            ))}
          </select>
        </label>
        <fieldset className="ops-segmented">
          <legend>{h.range}</legend>
          {RANGES.map((r) => (
            <button
              key={r}
              type="button"
              aria-pressed={r === range}
              data-testid={`history-range-${r}`}
              onClick={() => choose(r)}
            >
              {h.ranges[r]}
            </button>
          ))}
        </fieldset>
        <div className="ops-buttons">
          <button type="button" className="button" onClick={() => setWindow(zoomed(window, 0.5))}>
            {h.zoomIn}
          </button>
          <button type="button" className="button" onClick={() => setWindow(zoomed(window, 2))}>
            {h.zoomOut}
          </button>
          <button type="button" className="button button-quiet" onClick={reset}>
            {h.resetZoom}
          </button>
        </div>
      </div>
      <p className="muted ops-hint">{h.zoomHint}</p>
      {load.status === 'failed' && <ErrorBanner error={load.error} />}
      {load.status === 'loading' && <p className="muted">{t.console.loading}</p>}
      {load.status === 'ready' && (
        <Chart
          series={load.series}
          window={load.window}
          name={metricName}
          unit={metric.unit}
          language={language}
          onZoom={(from, to) => setWindow(clampWindow(from, to))}
          onReset={reset}
        />
      )}
    </section>
  );
}

function Chart({
  series,
  window,
  name,
  unit,
  language,
  onZoom,
  onReset,
}: {
  series: TelemetrySeries;
  window: TimeWindow;
  name: string;
  unit: string;
  language: 'vi' | 'en';
  onZoom(fromMs: number, toMs: number): void;
  onReset(): void;
}) {
  const { t } = useI18n();
  const h = t.console.devices.history;
  const values = series.values.filter((v): v is number => v !== null);
  const points = values.length;
  const show = (v: number) => `${formatNumber(v, language)}${unit ? ` ${unit}` : ''}`;
  const from = formatMinuteOf(window.from);
  const to = formatMinuteOf(window.to);
  return (
    <figure
      className="ops-figure"
      data-testid="history-chart"
      data-points={points}
      data-every={series.every}
      aria-label={h.chartLabel(name, from, to)}
    >
      <figcaption className="ops-chart-caption">
        <span>
          {from} – {to}
        </span>
        <span>{h.every(series.every)}</span>
        <span data-testid="history-points">{h.points(points)}</span>
        {points > 0 && (
          <span>
            {h.summary(
              show(Math.min(...values)),
              show(Math.max(...values)),
              show(values[values.length - 1] as number),
            )}
          </span>
        )}
      </figcaption>
      {points === 0 ? (
        <p className="muted" data-testid="history-empty">
          {h.noData}
        </p>
      ) : (
        <HistoryChart
          series={series}
          label={name}
          unit={unit}
          fromS={window.from.getTime() / 1000}
          toS={window.to.getTime() / 1000}
          onZoom={onZoom}
          onReset={onReset}
        />
      )}
    </figure>
  );
}
