import { labelFor, useI18n } from '../i18n/i18n';
import type { AlertSeverity } from './console-api';

// A shape per level as well as a colour, so severity does not rest on colour alone.
const marks: Record<AlertSeverity, string> = {
  critical: '▲',
  major: '◆',
  minor: '●',
  warning: '■',
  info: '○',
};

export function SeverityBadge({ severity }: { severity: AlertSeverity }) {
  const { t } = useI18n();
  return (
    <span className="ops-severity" data-severity={severity}>
      <span aria-hidden="true">{marks[severity]}</span>{' '}
      {labelFor(t.wall.alerts.severities, severity)}
    </span>
  );
}
