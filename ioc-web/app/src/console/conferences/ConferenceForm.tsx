import { type FormEvent, useRef, useState } from 'react';
import { useI18n } from '../../i18n/i18n';
import { ErrorBanner } from '../ErrorBanner';
import { type Conference, createConference } from './conference-api';
import { formatLocalMinute, parseLocalMinute } from './local-time';
import { UnitPicker, type UnitSelection } from './UnitPicker';

const HOUR = 3600_000;

/** The next full hour and two hours after it: a sensible default meeting. */
function defaultTimes(): { startsAt: string; endsAt: string } {
  const start = Math.ceil(Date.now() / HOUR) * HOUR;
  return {
    startsAt: formatLocalMinute(new Date(start)),
    endsAt: formatLocalMinute(new Date(start + 2 * HOUR)),
  };
}

/**
 * Schedules a conference: title, start and end typed as dd/MM/yyyy HH:mm (Viet Nam time),
 * invited units and speakers. Problems are listed by field before anything is sent; the
 * server's refusal (e.g. an unknown unit) is shown as it comes.
 */
export function ConferenceForm({
  onCreated,
  onClose,
}: {
  onCreated(conference: Conference): void;
  onClose(): void;
}) {
  const { t } = useI18n();
  const f = t.conferences.form;
  const [title, setTitle] = useState('');
  const [times, setTimes] = useState(defaultTimes);
  const [selection, setSelection] = useState<UnitSelection>({ invited: [], speakers: [] });
  const [problems, setProblems] = useState<string[]>([]);
  const [failure, setFailure] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const problemList = useRef<HTMLUListElement>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setFailure(undefined);
    const startsAt = parseLocalMinute(times.startsAt);
    const endsAt = parseLocalMinute(times.endsAt);
    const found: string[] = [];
    if (!title.trim() || title.trim().length > 200) found.push(f.problems.title);
    if (!startsAt) found.push(f.problems.startsAt);
    if (!endsAt) found.push(f.problems.endsAt);
    if (startsAt && endsAt && endsAt <= startsAt) found.push(f.problems.order);
    if (selection.invited.length < 1 || selection.invited.length > 500) {
      found.push(f.problems.units);
    }
    setProblems(found);
    if (found.length || !startsAt || !endsAt) {
      requestAnimationFrame(() => problemList.current?.focus());
      return;
    }
    setBusy(true);
    try {
      onCreated(
        await createConference({
          title: title.trim(),
          invitedUnits: selection.invited,
          speakerUnits: selection.speakers,
          startsAt: startsAt.toISOString(),
          endsAt: endsAt.toISOString(),
        }),
      );
    } catch (error) {
      setFailure(error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      className="ops-form ops-detail"
      onSubmit={submit}
      aria-labelledby="conference-form-title"
      data-testid="conference-form"
      noValidate
    >
      <div className="ops-detail-head">
        <h3 id="conference-form-title">{f.title}</h3>
        <button type="button" className="button button-quiet" onClick={onClose}>
          {f.close}
        </button>
      </div>
      {problems.length > 0 && (
        <div className="banner banner-error" role="alert">
          <ul className="conference-problems" ref={problemList} tabIndex={-1}>
            {problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        </div>
      )}
      {failure !== undefined && (
        <ErrorBanner error={failure} known={t.conferences.errors} testId="conference-form-error" />
      )}
      <label className="field">
        <span>{f.name}</span>
        <input
          value={title}
          maxLength={200}
          required
          onChange={(e) => setTitle(e.target.value)}
          data-testid="conference-title"
        />
      </label>
      <div className="ops-inline">
        <label className="field">
          <span>{f.startsAt}</span>
          <input
            value={times.startsAt}
            inputMode="numeric"
            placeholder="dd/MM/yyyy HH:mm"
            aria-describedby="conference-time-hint"
            onChange={(e) => setTimes({ ...times, startsAt: e.target.value })}
            data-testid="conference-starts"
          />
        </label>
        <label className="field">
          <span>{f.endsAt}</span>
          <input
            value={times.endsAt}
            inputMode="numeric"
            placeholder="dd/MM/yyyy HH:mm"
            aria-describedby="conference-time-hint"
            onChange={(e) => setTimes({ ...times, endsAt: e.target.value })}
            data-testid="conference-ends"
          />
        </label>
      </div>
      <p id="conference-time-hint" className="muted ops-hint">
        {f.timeHint}
      </p>
      <UnitPicker value={selection} onChange={setSelection} />
      <div className="ops-buttons">
        <button
          type="submit"
          className="button button-primary"
          disabled={busy}
          data-testid="conference-submit"
        >
          {busy ? f.working : f.submit}
        </button>
      </div>
    </form>
  );
}
