import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from '../../api/client';
import type { User } from '../../api/ioc-api';
import { usePolling } from '../../hooks/usePolling';
import { labelFor, useI18n } from '../../i18n/i18n';
import { navigate } from '../../router';
import { ConveneButton } from '../conferences/ConveneButton';
import { type Alert, getAlert, listAlerts } from '../console-api';
import { ErrorBanner } from '../ErrorBanner';
import { formatMinute } from '../format';
import { useReference } from '../reference';
import { SeverityBadge } from '../SeverityBadge';
import { AlertActions } from './AlertActions';

const REFRESH_MS = 5_000;

/** One alert: what, where, who has it, its history, and what the operator may do now. */
export function AlertDetailPane({
  id,
  user,
  onChanged,
}: {
  id: string;
  user: User;
  onChanged(): void;
}) {
  const { t, language } = useI18n();
  const { unitName } = useReference();
  const a = t.console.alerts;
  const d = a.detail;
  const [version, setVersion] = useState(0);
  const load = useCallback(
    (signal: AbortSignal) => {
      void version;
      return getAlert(id, signal);
    },
    [id, version],
  );
  const { data, error } = usePolling(load, REFRESH_MS);
  const heading = useRef<HTMLHeadingElement>(null);

  // Opening an alert moves focus here, so keyboard users continue from its details.
  useEffect(() => heading.current?.focus(), []);

  const changed = useCallback(() => {
    setVersion((n) => n + 1);
    onChanged();
  }, [onChanged]);

  const missing = error instanceof ApiError && error.status === 404;
  const alert = missing ? undefined : data?.alert;

  return (
    <div className="ops-detail" data-testid="alert-detail" data-alert-id={id}>
      <div className="ops-detail-head">
        <h2 id="alert-detail-title" ref={heading} tabIndex={-1}>
          {d.number(id)}
        </h2>
        <button
          type="button"
          className="button button-quiet"
          onClick={() => navigate('/console/alerts')}
        >
          {d.close}
        </button>
      </div>
      {missing && <p className="banner banner-error">{d.missing}</p>}
      {error !== undefined && !missing && <ErrorBanner error={error} />}
      {!data && error === undefined && <p className="muted">{t.console.loading}</p>}
      {alert && data && (
        <>
          <p className="ops-detail-message" data-testid="alert-detail-message">
            {alert.message[language]}
          </p>
          <dl className="ops-facts">
            <Fact label={a.severity}>
              <SeverityBadge severity={alert.severity} />
            </Fact>
            <Fact label={a.state} testId="alert-detail-state">
              {a.states[alert.state]}
            </Fact>
            {data.kind === 'storm' && (
              <Fact label={a.detail.stormChildren(data.children)}>{a.storm(data.children)}</Fact>
            )}
            <Fact label={d.rule}>{alert.ruleId}</Fact>
            {alert.deviceId && (
              <Fact label={d.device}>
                <a
                  href={`/console/devices/${encodeURIComponent(alert.deviceId)}`}
                  onClick={(event) => {
                    event.preventDefault();
                    navigate(`/console/devices/${encodeURIComponent(alert.deviceId ?? '')}`);
                  }}
                >
                  {alert.deviceId}
                </a>
              </Fact>
            )}
            {alert.unit && <Fact label={a.unit}>{unitName(alert.unit)}</Fact>}
            {alert.sector && (
              <Fact label={a.sector}>{labelFor(t.console.sectors, alert.sector)}</Fact>
            )}
            {alert.value !== null && (
              <Fact label={d.value}>
                {alert.metric ? `${alert.metric}: ` : ''}
                {String(alert.value)}
              </Fact>
            )}
            <Fact label={d.raised}>{formatMinute(alert.raisedAt)}</Fact>
            <Fact label={d.lastSeen}>{formatMinute(alert.lastSeenAt)}</Fact>
            {alert.acknowledgedAt && (
              <Fact label={d.acknowledged} testId="alert-detail-acknowledged">
                {`${formatMinute(alert.acknowledgedAt)} · ${alert.acknowledgedBy ?? ''}`}
              </Fact>
            )}
            <Fact label={d.assignee} testId="alert-detail-assignee">
              {alert.assignee ?? d.nobody}
            </Fact>
            {alert.endedAt && (
              <Fact
                label={d.ended}
              >{`${formatMinute(alert.endedAt)} · ${alert.endedBy ?? ''}`}</Fact>
            )}
            {alert.escalationLevel > 0 && <Fact label={d.escalation}>{alert.escalationLevel}</Fact>}
          </dl>
          <AlertActions alert={alert} user={user} onChanged={changed} />
          <ConveneButton key={alert.id} alertId={alert.id} user={user} />
          {data.kind === 'storm' && <StormChildren stormId={alert.id} count={data.children} />}
          <section aria-labelledby="alert-history-title" className="ops-history">
            <h3 id="alert-history-title">{d.history}</h3>
            {data.history.length === 0 ? (
              <p className="muted">{d.historyEmpty}</p>
            ) : (
              <ol data-testid="alert-history">
                {data.history.map((entry) => (
                  <li key={entry.id}>
                    <time dateTime={entry.at}>{formatMinute(entry.at)}</time>{' '}
                    <strong>{labelFor(a.changes, entry.change)}</strong>
                    {' · '}
                    {entry.actor ?? d.system}
                    {entry.comment && <q className="ops-comment">{entry.comment}</q>}
                  </li>
                ))}
              </ol>
            )}
          </section>
        </>
      )}
    </div>
  );
}

function Fact({
  label,
  children,
  testId,
}: {
  label: string;
  children: React.ReactNode;
  testId?: string;
}) {
  return (
    <div className="ops-fact">
      <dt>{label}</dt>
      <dd data-testid={testId}>{children}</dd>
    </div>
  );
}

/** The alerts grouped under a storm (open and closed), newest first. */
function StormChildren({ stormId, count }: { stormId: string; count: number }) {
  const { t, language } = useI18n();
  const [children, setChildren] = useState<Alert[]>();
  useEffect(() => {
    const controller = new AbortController();
    listAlerts({ parent: stormId }, 200, controller.signal).then(
      (page) => setChildren(page.alerts),
      () => undefined,
    );
    return () => controller.abort();
  }, [stormId]);
  return (
    <section aria-labelledby="storm-children-title" className="ops-history">
      <h3 id="storm-children-title">{t.console.alerts.detail.stormChildren(count)}</h3>
      <ul>
        {children?.map((child) => (
          <li key={child.id}>
            <a
              href={`/console/alerts/${child.id}`}
              onClick={(event) => {
                event.preventDefault();
                navigate(`/console/alerts/${child.id}`);
              }}
            >
              #{child.id}
            </a>{' '}
            {t.console.alerts.states[child.state]} · {child.message[language]}
          </li>
        ))}
      </ul>
    </section>
  );
}
