import { useI18n } from '../i18n/i18n';
import type { ConferenceSnapshot } from './conference-client';
import { connectionStatus } from './connection-status';

export function ConnectionBadge({ snapshot }: { snapshot: ConferenceSnapshot }) {
  const { t } = useI18n();
  const { key, tone } = connectionStatus(snapshot);
  return (
    <output
      className={`conference-connection conference-connection-${tone}`}
      data-testid="conference-connection"
      data-state={key}
    >
      <span className="conference-dot" aria-hidden="true" />
      {t.conference.connection[key]}
    </output>
  );
}
