import { useCallback, useState } from 'react';
import type { User } from '../../api/ioc-api';
import { usePolling } from '../../hooks/usePolling';
import { formatDateTime } from '../../i18n/datetime';
import { useI18n } from '../../i18n/i18n';
import { navigate } from '../../router';
import { type AlertFilter, listAlerts } from '../console-api';
import { ErrorBanner } from '../ErrorBanner';
import { AlertDetailPane } from './AlertDetailPane';
import { AlertFilters } from './AlertFilters';
import { AlertList } from './AlertList';

const REFRESH_MS = 5_000;
const PAGE = 200;

/** The alert desk: filters and the newest alerts on the left, the chosen one on the right. */
export function AlertsView({ user, selectedId }: { user: User; selectedId?: string }) {
  const { t } = useI18n();
  const a = t.console.alerts;
  // What needs someone first: new alerts; storms stay folded under their parent.
  const [filter, setFilter] = useState<AlertFilter>({ state: 'active', parent: 'none' });
  // Bumped after an action so the list reflects it at once, not at the next poll.
  const [version, setVersion] = useState(0);

  const load = useCallback(
    (signal: AbortSignal) => {
      void version;
      return listAlerts(filter, PAGE, signal);
    },
    [filter, version],
  );
  const { data, error, updatedAt } = usePolling(load, REFRESH_MS);
  const changed = useCallback(() => setVersion((n) => n + 1), []);

  return (
    <div className="ops-split" data-testid="alerts-view">
      <section className="panel ops-list-panel" aria-labelledby="alerts-title">
        <header className="panel-header">
          <h2 id="alerts-title">{a.title}</h2>
          {data && (
            <span className="muted" data-testid="alerts-total" aria-live="polite">
              {a.total(data.alerts.length, data.total)}
            </span>
          )}
        </header>
        <AlertFilters filter={filter} onChange={setFilter} />
        <p className="muted ops-hint">{a.keyboardHint}</p>
        {error !== undefined && (
          <p className="banner banner-error" role="status">
            {updatedAt ? t.console.stale(formatDateTime(updatedAt)) : t.console.error.network}
          </p>
        )}
        {!data && error === undefined && <p className="muted">{t.console.loading}</p>}
        {data && data.alerts.length === 0 && (
          <p className="muted" data-testid="alerts-empty">
            {a.none}
          </p>
        )}
        {data && (
          <AlertList
            alerts={data.alerts}
            selectedId={selectedId}
            onSelect={(id) => navigate(`/console/alerts/${encodeURIComponent(id)}`)}
          />
        )}
        {updatedAt && (
          <p className="panel-footer muted">{t.console.updatedAt(formatDateTime(updatedAt))}</p>
        )}
      </section>
      <section className="panel ops-detail-panel" aria-labelledby="alert-detail-title">
        {selectedId ? (
          <AlertDetailPane key={selectedId} id={selectedId} user={user} onChanged={changed} />
        ) : (
          <>
            <h2 id="alert-detail-title" className="visually-hidden">
              {a.detail.title}
            </h2>
            <p className="muted">{a.selectHint}</p>
          </>
        )}
      </section>
      {error !== undefined && !data && <ErrorBanner error={error} />}
    </div>
  );
}
