import { useEffect, useState } from 'react';
import { formatDateTime } from '../i18n/datetime';
import { useI18n } from '../i18n/i18n';

/** dd/MM/yyyy on one line, HH:mm:ss large beneath: Viet Nam time, 24 h. */
export function WallClock() {
  const { t } = useI18n();
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const timer = setInterval(() => setNow(new Date()), 1_000);
    return () => clearInterval(timer);
  }, []);
  const text = formatDateTime(now);
  return (
    <time
      className="wall-clock"
      dateTime={now.toISOString()}
      title={t.header.timeZone}
      data-testid="wall-clock"
    >
      <span className="wall-clock-time">{text.slice(11)}</span>
      <span className="wall-clock-date">{text.slice(0, 10)}</span>
    </time>
  );
}
