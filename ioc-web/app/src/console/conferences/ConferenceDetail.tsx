import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from '../../api/client';
import { usePolling } from '../../hooks/usePolling';
import { labelFor, useI18n } from '../../i18n/i18n';
import { navigate } from '../../router';
import { ErrorBanner } from '../ErrorBanner';
import { formatMinute } from '../format';
import { useReference } from '../reference';
import {
  type AttendanceRow,
  cancelConference,
  conferenceAttendance,
  conferenceLinks,
  endConference,
  getConference,
  type JoinLink,
  type Phase,
  phaseOf,
} from './conference-api';
import { JoinLinksTable } from './JoinLinksTable';
import { stayOf } from './stay';

const REFRESH_MS = 10_000;

/** One conference: what, when, who; its join links, cancel, end early, and the attendance log. */
export function ConferenceDetail({
  id,
  mayConvene,
  onChanged,
}: {
  id: string;
  mayConvene: boolean;
  onChanged(): void;
}) {
  const { t } = useI18n();
  const c = t.conferences;
  const d = c.detail;
  const { unitName } = useReference();
  const [version, setVersion] = useState(0);
  const load = useCallback(
    async (signal: AbortSignal) => {
      void version;
      const [conference, attendance] = await Promise.all([
        getConference(id, signal),
        conferenceAttendance(id, signal),
      ]);
      return { conference, attendance };
    },
    [id, version],
  );
  const { data, error } = usePolling(load, REFRESH_MS);
  const [links, setLinks] = useState<JoinLink[]>();
  const [outcome, setOutcome] = useState<{ done?: string; error?: unknown }>();
  const [busy, setBusy] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);

  const missing = error instanceof ApiError && error.status === 404;
  const conference = missing ? undefined : data?.conference;
  const phase = conference && phaseOf(conference);

  const showLinks = async () => {
    setOutcome(undefined);
    try {
      setLinks(await conferenceLinks(id));
    } catch (e) {
      setOutcome({ error: e });
    }
  };
  /** Cancel or end, once confirmed: the links go, the conference reloads, the list too. */
  const settle = async (
    confirmation: string,
    act: (id: string) => Promise<unknown>,
    done: string,
  ) => {
    if (!window.confirm(confirmation)) return;
    setBusy(true);
    setOutcome(undefined);
    try {
      await act(id);
      setLinks(undefined);
      setOutcome({ done });
      setVersion((n) => n + 1);
      onChanged();
    } catch (e) {
      setOutcome({ error: e });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="ops-detail" data-testid="conference-detail" data-conference-id={id}>
      <div className="ops-detail-head">
        <h2 ref={heading} tabIndex={-1}>
          {conference?.title ?? t.console.loading}
        </h2>
        <button
          type="button"
          className="button button-quiet"
          onClick={() => navigate('/console/conferences')}
        >
          {d.close}
        </button>
      </div>
      {missing && <p className="banner banner-error">{c.errors.CONFERENCE_NOT_FOUND}</p>}
      {error !== undefined && !missing && <ErrorBanner error={error} known={c.errors} />}
      <div aria-live="polite">
        {outcome?.done && <p className="banner banner-info">{outcome.done}</p>}
        {outcome?.error !== undefined && (
          <ErrorBanner error={outcome.error} known={c.errors} testId="conference-action-error" />
        )}
      </div>
      {conference && phase && data && (
        <>
          <dl className="ops-facts">
            <Fact label={d.status}>
              <span className={`conference-phase conference-phase-${phase}`}>
                {c.phases[phase]}
              </span>
            </Fact>
            <Fact label={d.time}>
              {formatMinute(conference.startsAt)} – {formatMinute(conference.endsAt)}
            </Fact>
            <Fact label={d.chair}>{unitName(conference.chairUnit)}</Fact>
            <Fact label={d.invited}>{c.invitedCount(conference.invitedUnits.length)}</Fact>
            {conference.speakerUnits.length > 0 && (
              <Fact label={d.speakers}>
                {conference.speakerUnits.map((u) => unitName(u)).join(', ')}
              </Fact>
            )}
            {conference.alertId && (
              <Fact label={d.alert}>
                <a
                  href={`/console/alerts/${conference.alertId}`}
                  onClick={(event) => {
                    event.preventDefault();
                    navigate(`/console/alerts/${conference.alertId}`);
                  }}
                >
                  #{conference.alertId}
                </a>
              </Fact>
            )}
            <Fact label={d.createdBy}>{conference.createdBy}</Fact>
            {conference.endedAt && (
              <Fact label={d.endedAt}>
                {d.endedBy(formatMinute(conference.endedAt), conference.endedBy ?? '')}
              </Fact>
            )}
          </dl>
          <div className="ops-buttons">
            {(phase === 'live' || phase === 'upcoming') && (
              <a className="button button-primary" href={`/conference/${conference.id}`}>
                {d.join}
              </a>
            )}
            {mayConvene && (phase === 'live' || phase === 'upcoming') && !links && (
              <button
                type="button"
                className="button"
                onClick={() => void showLinks()}
                data-testid="conference-show-links"
              >
                {c.links.show}
              </button>
            )}
            {mayConvene && phase === 'live' && (
              <button
                type="button"
                className="button"
                disabled={busy}
                onClick={() => void settle(d.confirmEnd, endConference, d.ended)}
                data-testid="conference-end"
              >
                {d.end}
              </button>
            )}
            {mayConvene && (phase === 'live' || phase === 'upcoming') && (
              <button
                type="button"
                className="button"
                disabled={busy}
                onClick={() => void settle(d.confirmCancel, cancelConference, d.cancelled)}
                data-testid="conference-cancel"
              >
                {d.cancel}
              </button>
            )}
          </div>
          {links && <JoinLinksTable links={links} />}
          <Attendance rows={data.attendance} phase={phase} />
        </>
      )}
    </section>
  );
}

/** Who came, for how long, and why they left; says so when nobody came. */
function Attendance({ rows, phase }: { rows: AttendanceRow[]; phase: Phase }) {
  const { t } = useI18n();
  const c = t.conferences;
  const d = c.detail;
  const columns = d.attendanceColumns;
  const { unitName } = useReference();
  const now = new Date().toISOString();
  /** A left peer's stay; one still in the room (while it is live) so far; otherwise unknown. */
  const stayText = (row: AttendanceRow) => {
    const until = row.leftAt ?? (phase === 'live' ? now : undefined);
    const stay = until === undefined ? undefined : stayOf(row.joinedAt, until);
    const text = stay ? d.duration(stay.hours, stay.minutes) : '';
    return row.leftAt === null && phase === 'live' ? `${d.present} · ${text}` : text;
  };
  return (
    <section className="ops-history" aria-labelledby="attendance-title">
      <h3 id="attendance-title">{d.attendance}</h3>
      {rows.length === 0 ? (
        <p className="muted" data-testid="conference-attendance-empty">
          {phase === 'live' || phase === 'upcoming' ? d.attendanceEmpty : d.attendanceNone}
        </p>
      ) : (
        <div className="ops-table-wrap">
          <table className="ops-table" data-testid="conference-attendance">
            <thead>
              <tr>
                <th scope="col">{columns.name}</th>
                <th scope="col">{columns.role}</th>
                <th scope="col">{columns.joined}</th>
                <th scope="col">{columns.left}</th>
                <th scope="col">{columns.duration}</th>
                <th scope="col">{columns.reason}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.peerId} data-peer-id={row.peerId}>
                  <th scope="row">{row.unit ? unitName(row.unit) : row.displayName}</th>
                  <td>{c.roles[row.role]}</td>
                  <td>{formatMinute(row.joinedAt)}</td>
                  <td>{formatMinute(row.leftAt)}</td>
                  <td data-testid="attendance-stay">{stayText(row)}</td>
                  <td>{row.reason ? labelFor(c.reasons, row.reason) : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Fact({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="ops-fact">
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}
