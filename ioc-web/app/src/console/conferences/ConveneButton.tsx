import { useState } from 'react';
import type { User } from '../../api/ioc-api';
import { useI18n } from '../../i18n/i18n';
import { navigate } from '../../router';
import { ErrorBanner } from '../ErrorBanner';
import { CONVENING_ROLES } from './ConferencesView';
import { type Conference, conveneFromAlert, type JoinLink } from './conference-api';
import { JoinLinksTable } from './JoinLinksTable';
import './conferences.css';

/**
 * "Triệu tập các xã bị ảnh hưởng" on an alert: one click creates an instant conference with
 * the communes in the alert's scope and shows the links to send them.
 */
export function ConveneButton({ alertId, user }: { alertId: string; user: User }) {
  const { t } = useI18n();
  const v = t.conferences.convene;
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ conference: Conference; links: JoinLink[] }>();
  const [failure, setFailure] = useState<unknown>();
  if (!CONVENING_ROLES.has(user.role)) return null;

  const convene = async () => {
    setBusy(true);
    setFailure(undefined);
    try {
      setResult(await conveneFromAlert(alertId));
    } catch (error) {
      setFailure(error);
    } finally {
      setBusy(false);
    }
  };
  const href = result && `/console/conferences/${result.conference.id}`;

  return (
    <section className="ops-actions" aria-labelledby="convene-title" data-testid="alert-convene">
      <h3 id="convene-title" className="visually-hidden">
        {v.button}
      </h3>
      {!result && (
        <>
          <button
            type="button"
            className="button button-primary"
            disabled={busy}
            aria-describedby="convene-hint"
            onClick={() => void convene()}
            data-testid="alert-convene-button"
          >
            {busy ? v.working : v.button}
          </button>
          <p id="convene-hint" className="muted ops-hint">
            {v.hint}
          </p>
        </>
      )}
      <div aria-live="polite">
        {failure !== undefined && (
          <ErrorBanner error={failure} known={t.conferences.errors} testId="alert-convene-error" />
        )}
        {result && href && (
          <p className="banner banner-info" data-testid="alert-convene-done">
            {v.done(result.conference.invitedUnits.length)}{' '}
            <a
              href={href}
              onClick={(event) => {
                event.preventDefault();
                navigate(href);
              }}
            >
              {v.open}
            </a>
          </p>
        )}
      </div>
      {result && <JoinLinksTable links={result.links} />}
    </section>
  );
}
