import { useI18n } from '../i18n/i18n';
import { errorText } from './format';

/** A server or network failure, said plainly and announced to screen readers. */
export function ErrorBanner({
  error,
  known,
  testId,
}: {
  error: unknown;
  known?: Readonly<Record<string, string>>;
  testId?: string;
}) {
  const { t } = useI18n();
  return (
    <p className="banner banner-error" role="alert" data-testid={testId ?? 'console-error'}>
      {errorText(t, error, known)}
    </p>
  );
}
