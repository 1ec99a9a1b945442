import { useI18n } from '../i18n/i18n';
import { Link } from '../router';

export function NotFoundPage() {
  const { t } = useI18n();
  return (
    <main className="splash" data-testid="not-found">
      <h1>{t.notFound.title}</h1>
      <Link to="/">{t.notFound.back}</Link>
    </main>
  );
}
