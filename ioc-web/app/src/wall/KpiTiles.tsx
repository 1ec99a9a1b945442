import { useI18n } from '../i18n/i18n';
import { withUnit } from './format';
import type { KpiPoint, KpiSeries } from './wall-api';

export function KpiTiles({ kpis, loading }: { kpis: readonly KpiSeries[]; loading: boolean }) {
  const { t } = useI18n();
  return (
    <section className="wall-panel wall-kpis" data-testid="wall-kpis">
      <h2>{t.wall.kpi.title}</h2>
      {loading && <p className="wall-muted">{t.wall.kpi.loading}</p>}
      <div className="wall-kpi-grid">
        {kpis.map((kpi) => (
          <KpiTile key={kpi.kpi} kpi={kpi} />
        ))}
      </div>
    </section>
  );
}

function KpiTile({ kpi }: { kpi: KpiSeries }) {
  const { t, language } = useI18n();
  const unit = kpi.unitOfMeasure[language];
  const known = kpi.points.filter((p): p is KpiPoint & { value: number } => p.value !== null);
  const latest = known.at(-1);
  const previous = known.at(-2);
  const change = latest && previous ? latest.value - previous.value : null;
  const meets = kpi.meetsTarget;
  // Up is good for "higher" KPIs, bad for "lower" ones: say which with the arrow's class.
  const better =
    change === null || change === 0 || kpi.direction === 'neutral'
      ? 'flat'
      : change > 0 === (kpi.direction === 'higher')
        ? 'better'
        : 'worse';
  return (
    <article className="wall-kpi" data-testid="wall-kpi" data-kpi={kpi.kpi}>
      <h3>{kpi.name[language]}</h3>
      <p className="wall-kpi-value">{latest ? withUnit(latest.value, unit, language) : '—'}</p>
      {kpi.target !== null && (
        <p className="wall-kpi-target">
          <span>{t.wall.kpi.target(withUnit(kpi.target, unit, language))}</span>
          {meets !== null && (
            <span className="wall-kpi-badge" data-meets={meets}>
              {meets ? `✓ ${t.wall.kpi.meets}` : `✗ ${t.wall.kpi.misses}`}
            </span>
          )}
        </p>
      )}
      {!latest && <p className="wall-muted">{t.wall.kpi.noData}</p>}
      {change !== null && (
        <p className="wall-kpi-trend" data-trend={better}>
          {change > 0 ? '▲' : change < 0 ? '▼' : '■'}{' '}
          {t.wall.kpi.trend(
            `${change > 0 ? '+' : ''}${withUnit(change, unit === '%' ? '%' : '', language)}`,
          )}
        </p>
      )}
      <Sparkline values={known.map((p) => p.value)} target={kpi.target} />
    </article>
  );
}

function Sparkline({ values, target }: { values: number[]; target: number | null }) {
  if (values.length < 2) return null;
  const all = target === null ? values : [...values, target];
  const low = Math.min(...all);
  const high = Math.max(...all);
  const span = high - low || 1;
  const y = (v: number) => 28 - ((v - low) / span) * 26;
  const x = (i: number) => (i / (values.length - 1)) * 100;
  const line = values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  return (
    <svg className="wall-sparkline" viewBox="0 0 100 30" preserveAspectRatio="none" aria-hidden>
      {target !== null && (
        <line x1="0" x2="100" y1={y(target)} y2={y(target)} className="wall-sparkline-target" />
      )}
      <polyline points={line} />
    </svg>
  );
}
