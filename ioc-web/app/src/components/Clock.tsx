import { useEffect, useState } from 'react';
import { formatDateTime } from '../i18n/datetime';
import { useI18n } from '../i18n/i18n';

export function Clock() {
  const { t } = useI18n();
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const timer = setInterval(() => setNow(new Date()), 1_000);
    return () => clearInterval(timer);
  }, []);
  return (
    <time
      className="clock"
      dateTime={now.toISOString()}
      title={t.header.timeZone}
      data-testid="clock"
    >
      {formatDateTime(now)}
    </time>
  );
}
