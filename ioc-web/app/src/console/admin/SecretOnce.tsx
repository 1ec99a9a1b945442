import { useEffect, useRef } from 'react';
import { useI18n } from '../../i18n/i18n';

/**
 * A secret (password, device key) the server returns once: shown selected and focused so it
 * can be copied with the keyboard, gone when dismissed; it is never fetched again.
 */
export function SecretOnce({
  label,
  secret,
  onDismiss,
  testId,
}: {
  label: string;
  secret: string;
  onDismiss: () => void;
  testId: string;
}) {
  const { t } = useI18n();
  const field = useRef<HTMLInputElement>(null);
  useEffect(() => {
    field.current?.focus();
    field.current?.select();
  }, []);
  return (
    <div className="banner banner-info" role="status" data-testid={testId}>
      <label className="field">
        {label}
        <input
          ref={field}
          readOnly
          value={secret}
          data-testid={`${testId}-value`}
          onFocus={(e) => e.currentTarget.select()}
        />
      </label>
      <p className="ops-hint">{t.console.admin.secretOnce}</p>
      <button
        type="button"
        className="button"
        onClick={onDismiss}
        data-testid={`${testId}-dismiss`}
      >
        {t.console.admin.dismiss}
      </button>
    </div>
  );
}
