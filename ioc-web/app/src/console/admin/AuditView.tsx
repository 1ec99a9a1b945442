import { useCallback, useMemo, useState } from 'react';
import type { User } from '../../api/ioc-api';
import { usePolling } from '../../hooks/usePolling';
import { labelFor, useI18n } from '../../i18n/i18n';
import { auditLog } from '../console-api';
import { ErrorBanner } from '../ErrorBanner';
import { formatMinute } from '../format';

const LIMITS = [100, 500, 1000] as const;

/** The audit log, newest first (admins only; the server refuses everyone else too). */
export function AuditView({ user }: { user: User }) {
  const { t } = useI18n();
  const a = t.console.audit;
  const [limit, setLimit] = useState<number>(100);
  const [filter, setFilter] = useState('');
  const load = useCallback((signal: AbortSignal) => auditLog(limit, signal), [limit]);
  const admin = user.role === 'admin';
  const { data, error } = usePolling(admin ? load : idle, 15_000);

  const rows = useMemo(() => {
    const needle = filter.trim().toLowerCase();
    if (!needle) return data ?? [];
    return (data ?? []).filter((e) =>
      `${e.actor} ${e.action} ${e.target ?? ''}`.toLowerCase().includes(needle),
    );
  }, [data, filter]);

  if (!admin) return <p className="banner banner-error">{a.adminOnly}</p>;
  return (
    <section className="panel" aria-labelledby="audit-title" data-testid="audit-view">
      <header className="panel-header">
        <h2 id="audit-title">{a.title}</h2>
      </header>
      <div className="ops-filters">
        <label className="field">
          <span>{a.filter}</span>
          <input type="search" value={filter} onChange={(e) => setFilter(e.target.value)} />
        </label>
        <label className="field">
          <span>{a.limit}</span>
          <select value={limit} onChange={(e) => setLimit(Number(e.target.value))}>
            {LIMITS.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
      </div>
      {error !== undefined && <ErrorBanner error={error} />}
      {!data && error === undefined && <p className="muted">{t.console.loading}</p>}
      {data && rows.length === 0 && <p className="muted">{a.none}</p>}
      {rows.length > 0 && (
        <div className="ops-table-wrap">
          <table className="ops-table" data-testid="audit-table">
            <thead>
              <tr>
                <th scope="col">{a.columns.at}</th>
                <th scope="col">{a.columns.actor}</th>
                <th scope="col">{a.columns.action}</th>
                <th scope="col">{a.columns.target}</th>
                <th scope="col">{a.columns.outcome}</th>
                <th scope="col">{a.columns.ip}</th>
                <th scope="col">{a.columns.details}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((entry) => (
                <tr key={entry.id}>
                  <td>
                    <time dateTime={entry.at}>{formatMinute(entry.at)}</time>
                  </td>
                  <td>{entry.actor}</td>
                  <td className="ops-id">{entry.action}</td>
                  <td className="ops-id">{entry.target ?? ''}</td>
                  <td data-outcome={entry.outcome}>{labelFor(a.outcomes, entry.outcome)}</td>
                  <td className="ops-id">{entry.ip ?? ''}</td>
                  <td className="ops-details">{entry.details ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** A load that never settles: non-admins do not poll a route that refuses them. */
const idle = () => new Promise<never>(() => undefined);
