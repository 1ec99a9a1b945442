import { type ComponentHealth, health } from '../api/ioc-api';
import { usePolling } from '../hooks/usePolling';
import { formatDateTime } from '../i18n/datetime';
import { labelFor, useI18n } from '../i18n/i18n';

const pollEveryMs = 5_000;

// Operators read top-down from the front door to the back end; unknown components follow.
const displayOrder = ['web', 'sql', 'influx', 'broker', 'media'];

function byDisplayOrder(a: string, b: string): number {
  const rank = (name: string) => {
    const index = displayOrder.indexOf(name);
    return index === -1 ? displayOrder.length : index;
  };
  return rank(a) - rank(b) || a.localeCompare(b);
}

export function StatusPanel() {
  const { t } = useI18n();
  const { data, updatedAt, error } = usePolling(health, pollEveryMs);
  const entries: [string, ComponentHealth][] = data
    ? Object.entries(data.components).sort(([a], [b]) => byDisplayOrder(a, b))
    : [];
  const downCount = entries.filter(([, component]) => component.status === 'down').length;
  // The last report is still shown, dimmed, while the server does not answer.
  const stale = error !== undefined;
  const summaryClass = stale ? 'summary-stale' : downCount === 0 ? 'summary-up' : 'summary-down';

  return (
    <section className="panel" data-testid="status-panel" aria-labelledby="status-title">
      <header className="panel-header">
        <h2 id="status-title">{t.status.title}</h2>
        {data && (
          <span
            className={`summary ${summaryClass}`}
            data-testid="status-summary"
            aria-live="polite"
          >
            {stale
              ? t.status.stale
              : downCount === 0
                ? t.status.allUp
                : t.status.someDown(downCount)}
          </span>
        )}
      </header>

      {stale && (
        <p className="banner banner-error" role="alert" data-testid="status-unreachable">
          {updatedAt ? t.status.unreachable(formatDateTime(updatedAt)) : t.status.unreachableNever}
        </p>
      )}
      {!data && !stale && <p className="muted">{t.status.loading}</p>}

      <ul className={`status-list${stale ? ' stale' : ''}`}>
        {entries.map(([name, component]) => (
          <li
            key={name}
            className={`status-row status-${component.status}`}
            data-testid={`status-${name}`}
            data-status={component.status}
          >
            <span className="status-dot" aria-hidden="true" />
            <span className="status-name">{labelFor(t.status.components, name)}</span>
            <span className="status-state">
              {component.status === 'up' ? t.status.up : t.status.down}
            </span>
            {component.reason && (
              <span className="status-reason" data-testid={`status-${name}-reason`}>
                {component.reason}
              </span>
            )}
          </li>
        ))}
      </ul>

      {updatedAt && (
        <footer className="panel-footer muted" data-testid="status-updated">
          {t.status.updatedAt(formatDateTime(updatedAt))}
        </footer>
      )}
    </section>
  );
}
