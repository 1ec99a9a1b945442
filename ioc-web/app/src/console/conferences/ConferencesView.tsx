import { useCallback, useState } from 'react';
import type { User } from '../../api/ioc-api';
import { usePolling } from '../../hooks/usePolling';
import { useI18n } from '../../i18n/i18n';
import { navigate } from '../../router';
import { ErrorBanner } from '../ErrorBanner';
import { formatMinute } from '../format';
import { useReference } from '../reference';
import { ConferenceDetail } from './ConferenceDetail';
import { ConferenceForm } from './ConferenceForm';
import { type Conference, listConferences, type Phase, phaseOf } from './conference-api';
import './conferences.css';

/** Roles the server lets schedule and cancel conferences (routes/conferences.ts). */
export const CONVENING_ROLES = new Set(['admin', 'ioc-operator']);
const PHASES: Phase[] = ['live', 'upcoming', 'past', 'cancelled'];
const REFRESH_MS = 15_000;

/**
 * Conferences (Hội nghị): live, upcoming, ended and cancelled ones in that order, a form to
 * schedule one, and the selected conference's links and attendance beside the list.
 */
export function ConferencesView({ user, selectedId }: { user: User; selectedId?: string }) {
  const { t } = useI18n();
  const c = t.conferences;
  const [version, setVersion] = useState(0);
  const [creating, setCreating] = useState(false);
  const load = useCallback(
    (signal: AbortSignal) => {
      void version;
      return listConferences(signal);
    },
    [version],
  );
  const { data, error } = usePolling(load, REFRESH_MS);
  const mayConvene = CONVENING_ROLES.has(user.role);
  const changed = useCallback(() => setVersion((n) => n + 1), []);

  const now = Date.now();
  const byPhase = new Map<Phase, Conference[]>(PHASES.map((p) => [p, []]));
  for (const conference of data ?? []) byPhase.get(phaseOf(conference, now))?.push(conference);
  // Upcoming soonest first; the others newest first, as the server sends them.
  byPhase.get('upcoming')?.reverse();

  const aside = creating ? (
    <section className="panel conferences-panel">
      <ConferenceForm
        onClose={() => setCreating(false)}
        onCreated={(conference) => {
          setCreating(false);
          changed();
          navigate(`/console/conferences/${conference.id}`);
        }}
      />
    </section>
  ) : selectedId ? (
    <section className="panel conferences-panel">
      <ConferenceDetail
        key={selectedId}
        id={selectedId}
        mayConvene={mayConvene}
        onChanged={changed}
      />
    </section>
  ) : null;

  return (
    <div className={aside ? 'ops-split' : undefined}>
      <section
        className="panel conferences-panel"
        aria-labelledby="conferences-title"
        data-testid="conferences-view"
      >
        <header className="panel-header">
          <h2 id="conferences-title">{c.title}</h2>
          {mayConvene && !creating && (
            <button
              type="button"
              className="button"
              onClick={() => setCreating(true)}
              data-testid="conference-new"
            >
              {c.newConference}
            </button>
          )}
        </header>
        {error !== undefined && <ErrorBanner error={error} known={c.errors} />}
        {!data && error === undefined && <p className="muted">{t.console.loading}</p>}
        {data && data.length === 0 && <p className="muted">{c.none}</p>}
        {PHASES.map((phase) => {
          const list = byPhase.get(phase) ?? [];
          if (list.length === 0) return null;
          return (
            <ConferenceTable key={phase} phase={phase} conferences={list} selectedId={selectedId} />
          );
        })}
      </section>
      {aside}
    </div>
  );
}

function ConferenceTable({
  phase,
  conferences,
  selectedId,
}: {
  phase: Phase;
  conferences: Conference[];
  selectedId?: string;
}) {
  const { t } = useI18n();
  const c = t.conferences;
  const { unitName } = useReference();
  const headingId = `conferences-${phase}`;
  return (
    <section aria-labelledby={headingId} data-testid={`conferences-${phase}`}>
      <h3 id={headingId}>
        {c.phases[phase]} ({conferences.length})
      </h3>
      <div className="ops-table-wrap">
        <table className="ops-table">
          <thead>
            <tr>
              <th scope="col">{c.columns.title}</th>
              <th scope="col">{c.columns.time}</th>
              <th scope="col">{c.columns.chair}</th>
              <th scope="col">{c.columns.invited}</th>
              <th scope="col">{c.columns.status}</th>
            </tr>
          </thead>
          <tbody>
            {conferences.map((conference) => {
              const href = `/console/conferences/${conference.id}`;
              return (
                <tr
                  key={conference.id}
                  data-conference-id={conference.id}
                  aria-current={conference.id === selectedId ? 'true' : undefined}
                >
                  <th scope="row">
                    <a
                      href={href}
                      aria-label={c.open(conference.title)}
                      onClick={(event) => {
                        event.preventDefault();
                        navigate(href);
                      }}
                    >
                      {conference.title}
                    </a>
                    {conference.alertId && (
                      <span className="muted"> · {c.fromAlert(conference.alertId)}</span>
                    )}
                  </th>
                  <td>
                    {formatMinute(conference.startsAt)} – {formatMinute(conference.endsAt)}
                  </td>
                  <td>{unitName(conference.chairUnit)}</td>
                  <td>{c.invitedCount(conference.invitedUnits.length)}</td>
                  <td>
                    <span className={`conference-phase conference-phase-${phase}`}>
                      {c.phases[phase]}
                    </span>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}
