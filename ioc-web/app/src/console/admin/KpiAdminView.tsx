import { useCallback } from 'react';
import { usePolling } from '../../hooks/usePolling';
import { labelFor, useI18n } from '../../i18n/i18n';
import { ErrorBanner } from '../ErrorBanner';
import { formatNumber } from '../format';
import { type KpiDefinitionRow, listKpiDefinitions } from './admin-api';

/**
 * The KPIs this IOC knows, with their targets, units and sectors. They are defined in files
 * (the shipped ingest/data/kpis.json and `ingest.kpiFile`), so the page shows them read-only
 * and says where to change them.
 */
export function KpiAdminView() {
  const { t, language } = useI18n();
  const k = t.kpiAdmin;
  const load = useCallback((signal: AbortSignal) => listKpiDefinitions(signal), []);
  const { data, error } = usePolling(load, 5 * 60_000);
  const names = new Map(data?.map((d) => [d.code, d.name[language]]) ?? []);
  const computed = (kpi: KpiDefinitionRow) =>
    kpi.rollup === 'ratio'
      ? k.rollups.ratio(
          kpi.numerator.map((c) => names.get(c) ?? c).join(' + '),
          kpi.denominator.map((c) => names.get(c) ?? c).join(' + '),
        )
      : k.rollups[kpi.rollup];

  return (
    <section className="panel" aria-labelledby="kpi-admin-title" data-testid="kpi-admin-view">
      <header className="panel-header">
        <h2 id="kpi-admin-title">{k.title}</h2>
      </header>
      <p className="muted" data-testid="kpi-admin-source">
        {k.readOnly}
      </p>
      {error !== undefined && <ErrorBanner error={error} />}
      {!data && error === undefined && <p className="muted">{t.console.loading}</p>}
      {data && data.length === 0 && <p className="muted">{k.none}</p>}
      {data && data.length > 0 && (
        <div className="ops-table-wrap">
          <table className="ops-table" data-testid="kpi-admin-table">
            <thead>
              <tr>
                <th scope="col">{k.columns.name}</th>
                <th scope="col">{k.columns.code}</th>
                <th scope="col">{k.columns.sector}</th>
                <th scope="col">{k.columns.unit}</th>
                <th scope="col">{k.columns.target}</th>
                <th scope="col">{k.columns.direction}</th>
                <th scope="col">{k.columns.computed}</th>
              </tr>
            </thead>
            <tbody>
              {data.map((kpi) => (
                <tr key={kpi.code} data-testid={`kpi-row-${kpi.code}`}>
                  <th scope="row">{kpi.name[language]}</th>
                  <td className="ops-id">{kpi.code}</td>
                  <td>{labelFor(t.console.sectors, kpi.sector)}</td>
                  <td>{kpi.unitOfMeasure[language]}</td>
                  <td data-testid={`kpi-target-${kpi.code}`}>
                    {kpi.target === null ? (
                      <span className="muted">{k.noTarget}</span>
                    ) : (
                      `${formatNumber(kpi.target, language)} ${kpi.unitOfMeasure[language]}`
                    )}
                  </td>
                  <td>{k.directions[kpi.direction]}</td>
                  <td>{computed(kpi)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
