import type { KeyboardEvent } from 'react';
import { useI18n } from '../../i18n/i18n';
import { type Alert, isStorm } from '../console-api';
import { formatMinute } from '../format';
import { useReference } from '../reference';
import { SeverityBadge } from '../SeverityBadge';

/**
 * Alerts as a list of buttons: Tab reaches the list, the arrow keys, Home and End move within
 * it, Enter or Space opens an alert in the detail pane.
 */
export function AlertList({
  alerts,
  selectedId,
  onSelect,
}: {
  alerts: Alert[];
  selectedId?: string;
  onSelect(id: string): void;
}) {
  const { t, language } = useI18n();
  const { unitName } = useReference();
  const a = t.console.alerts;

  const onKeyDown = (event: KeyboardEvent<HTMLOListElement>) => {
    const buttons = [...event.currentTarget.querySelectorAll<HTMLButtonElement>('button')];
    const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
    const next =
      event.key === 'ArrowDown'
        ? at + 1
        : event.key === 'ArrowUp'
          ? at - 1
          : event.key === 'Home'
            ? 0
            : event.key === 'End'
              ? buttons.length - 1
              : undefined;
    if (next === undefined || at < 0) return;
    event.preventDefault();
    buttons[Math.max(0, Math.min(buttons.length - 1, next))]?.focus();
  };

  return (
    <ol className="ops-alert-list" aria-label={a.listLabel} onKeyDown={onKeyDown}>
      {alerts.map((alert) => {
        const storm = isStorm(alert);
        return (
          <li key={alert.id}>
            <button
              type="button"
              className="ops-alert-row"
              data-severity={alert.severity}
              data-state={alert.state}
              data-testid={`alert-row-${alert.id}`}
              aria-current={alert.id === selectedId ? 'true' : undefined}
              onClick={() => onSelect(alert.id)}
            >
              <span className="ops-alert-top">
                <SeverityBadge severity={alert.severity} />
                <span className="ops-alert-state">{a.states[alert.state]}</span>
                {storm && <span className="ops-storm">{a.storm(alert.count)}</span>}
                {!storm && alert.count > 1 && (
                  <span className="ops-repeat">{a.repeated(alert.count)}</span>
                )}
              </span>
              <span className="ops-alert-message">{alert.message[language]}</span>
              <span className="ops-alert-meta">
                <time dateTime={alert.raisedAt}>{a.raisedAt(formatMinute(alert.raisedAt))}</time>
                {alert.unit && <span>{unitName(alert.unit)}</span>}
                <span className="ops-id">#{alert.id}</span>
              </span>
            </button>
          </li>
        );
      })}
    </ol>
  );
}
