import { useI18n } from '../i18n/i18n';
import { formatShortTime } from './format';
import type { AlertSeverity, WallAlert } from './wall-api';

const severityRank: Record<AlertSeverity, number> = {
  critical: 4,
  major: 3,
  minor: 2,
  warning: 1,
  info: 0,
};
/** Rows that fit the panel at every size, since the type scales with the screen. */
const MAX_ROWS = 7;

interface AlertRow {
  alert: WallAlert;
  /** Open alerts grouped under this one (a storm's parent). */
  children: number;
}

/** Storm children fold into their parent; then by severity, newest first. */
export function alertRows(alerts: readonly WallAlert[]): AlertRow[] {
  const ids = new Set(alerts.map((a) => a.id));
  const children = new Map<string, number>();
  for (const alert of alerts) {
    if (alert.parentId && ids.has(alert.parentId)) {
      children.set(alert.parentId, (children.get(alert.parentId) ?? 0) + 1);
    }
  }
  return alerts
    .filter((a) => !(a.parentId && ids.has(a.parentId)))
    .map((alert) => ({ alert, children: children.get(alert.id) ?? 0 }))
    .sort(
      (a, b) =>
        severityRank[b.alert.severity] - severityRank[a.alert.severity] ||
        b.alert.raisedAt.localeCompare(a.alert.raisedAt),
    );
}

/**
 * The active list: alerts nobody has taken in hand yet, as the console's active list. Those
 * acknowledged (someone is on them) leave it and are only counted as "in progress".
 */
export function AlertsPanel({
  alerts,
  unitNames,
}: {
  alerts?: readonly WallAlert[];
  unitNames: ReadonlyMap<string, string>;
}) {
  const { t, language } = useI18n();
  const active = alerts?.filter((a) => a.state !== 'acknowledged') ?? [];
  const inProgress = (alerts?.length ?? 0) - active.length;
  const rows = alertRows(active);
  const shown = rows.slice(0, MAX_ROWS);
  return (
    <section className="wall-panel wall-alerts" data-testid="wall-alerts">
      <h2>
        {t.wall.alerts.title}
        <span className="wall-alert-counts">
          {inProgress > 0 && (
            <span
              className="wall-in-progress"
              data-testid="wall-alerts-in-progress"
              title={t.wall.live.inProgressHint}
            >
              {t.wall.live.inProgress(inProgress)}
            </span>
          )}
          <span className="wall-count" data-testid="wall-alert-count">
            {rows.length}
          </span>
        </span>
      </h2>
      {!alerts && <p className="wall-muted">{t.wall.alerts.loading}</p>}
      {alerts && rows.length === 0 && (
        <p className="wall-calm" data-testid="wall-alerts-none">
          {t.wall.alerts.none}
        </p>
      )}
      <ol className="wall-alert-list">
        {shown.map(({ alert, children }) => (
          <li
            key={alert.id}
            className="wall-alert"
            data-severity={alert.severity}
            data-testid="wall-alert"
            data-alert-id={alert.id}
          >
            <span className="wall-severity" data-severity={alert.severity}>
              {t.wall.alerts.severities[alert.severity]}
            </span>
            <span className="wall-alert-message">{alert.message[language]}</span>
            <span className="wall-alert-meta">
              <time dateTime={alert.raisedAt}>{formatShortTime(alert.raisedAt)}</time>
              {alert.unit && unitNames.has(alert.unit) && <span>{unitNames.get(alert.unit)}</span>}
              {alert.count > 1 && <span>{t.wall.alerts.repeated(alert.count)}</span>}
            </span>
            {children > 0 && (
              <span className="wall-storm" data-testid="wall-storm">
                {t.wall.alerts.storm(children)}
              </span>
            )}
          </li>
        ))}
      </ol>
      {rows.length > shown.length && (
        <p className="wall-muted">{t.wall.alerts.more(rows.length - shown.length)}</p>
      )}
    </section>
  );
}
