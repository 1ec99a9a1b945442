import { ProductMark } from '../components/ProductMark';
import { useI18n } from '../i18n/i18n';
import { useSession } from '../session';

/** Shown while the session is checked, and while the server cannot be reached. */
export function SessionSplash() {
  const { t } = useI18n();
  const { state, recheck } = useSession();
  const unreachable = state.status === 'unreachable';
  return (
    <main className="splash" data-testid="session-splash">
      <ProductMark size={64} />
      <h1>{t.productName}</h1>
      {unreachable ? (
        <div className="banner banner-error" role="alert" data-testid="session-unreachable">
          <span>{t.session.unreachable}</span>
          <button type="button" className="button" onClick={recheck}>
            {t.session.retry}
          </button>
        </div>
      ) : (
        <p className="muted">{t.session.checking}</p>
      )}
    </main>
  );
}
