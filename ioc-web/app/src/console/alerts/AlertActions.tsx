import { type FormEvent, useState } from 'react';
import type { User } from '../../api/ioc-api';
import { useI18n } from '../../i18n/i18n';
import { type Alert, type AlertAction, actOnAlert } from '../console-api';
import { ErrorBanner } from '../ErrorBanner';

/** Roles the server lets act on alerts (ioc-web/src/server/routes/alerts.ts). */
const ACTING_ROLES = new Set(['admin', 'ioc-operator', 'room-operator']);

type Outcome =
  | { kind: 'done'; action: AlertAction['kind'] }
  | { kind: 'failed'; error: unknown }
  | undefined;

/**
 * Acknowledge, resolve, assign and comment, each a plain form: Tab moves through them in
 * reading order, Enter submits. The server's refusal (e.g. 409 already acknowledged) is shown
 * as it is, translated when its code is known.
 */
export function AlertActions({
  alert,
  user,
  onChanged,
}: {
  alert: Alert;
  user: User;
  onChanged(): void;
}) {
  const { t } = useI18n();
  const x = t.console.alerts.actions;
  const [note, setNote] = useState('');
  const [assignee, setAssignee] = useState(alert.assignee ?? '');
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>();

  if (!ACTING_ROLES.has(user.role)) return <p className="muted">{x.readOnly}</p>;
  const open = alert.state === 'active' || alert.state === 'acknowledged';

  const run = async (action: AlertAction, after?: () => void) => {
    setBusy(true);
    setOutcome(undefined);
    try {
      await actOnAlert(alert.id, action);
      setOutcome({ kind: 'done', action: action.kind });
      after?.();
      onChanged();
    } catch (error) {
      setOutcome({ kind: 'failed', error });
    } finally {
      setBusy(false);
    }
  };
  const submit = (event: FormEvent, action: () => AlertAction | string, after?: () => void) => {
    event.preventDefault();
    const chosen = action();
    if (typeof chosen === 'string') setOutcome({ kind: 'failed', error: new Error(chosen) });
    else void run(chosen, after);
  };
  // Which button submitted the note form decides between acknowledge and resolve.
  const onNoteForm = (event: FormEvent<HTMLFormElement>) => {
    const submitter = (event.nativeEvent as SubmitEvent).submitter as HTMLButtonElement | null;
    const kind = submitter?.value === 'resolve' ? 'resolve' : 'acknowledge';
    submit(
      event,
      () => ({ kind, note: note.trim() || undefined }),
      () => setNote(''),
    );
  };

  return (
    <section className="ops-actions" aria-labelledby="alert-actions-title">
      <h3 id="alert-actions-title">{x.title}</h3>
      <div aria-live="polite" data-testid="alert-action-outcome">
        {outcome?.kind === 'done' && (
          <p className="banner banner-info" data-testid="alert-action-done">
            {x.done[outcome.action]}
          </p>
        )}
        {outcome?.kind === 'failed' && (
          <ErrorBanner
            error={outcome.error}
            known={t.console.alerts.errors}
            testId="alert-action-error"
          />
        )}
      </div>
      {open ? (
        <>
          <form className="ops-form" onSubmit={onNoteForm}>
            <label className="field">
              <span>{x.note}</span>
              <textarea
                value={note}
                maxLength={2000}
                rows={2}
                data-testid="alert-note"
                onChange={(e) => setNote(e.target.value)}
              />
            </label>
            <div className="ops-buttons">
              <button
                type="submit"
                value="acknowledge"
                className="button button-primary"
                disabled={busy || alert.state !== 'active'}
                data-testid="alert-acknowledge"
              >
                {busy ? x.working : x.acknowledge}
              </button>
              <button
                type="submit"
                value="resolve"
                className="button"
                disabled={busy}
                data-testid="alert-resolve"
              >
                {x.resolve}
              </button>
            </div>
          </form>
          <form
            className="ops-form ops-inline"
            onSubmit={(event) =>
              submit(event, () =>
                assignee.trim() ? { kind: 'assign', assignee: assignee.trim() } : x.emptyAssignee,
              )
            }
          >
            <label className="field">
              <span>{x.assignee}</span>
              <input
                value={assignee}
                maxLength={64}
                autoComplete="off"
                aria-describedby="assignee-hint"
                data-testid="alert-assignee"
                onChange={(e) => setAssignee(e.target.value)}
              />
            </label>
            <button type="submit" className="button" disabled={busy} data-testid="alert-assign">
              {x.assign}
            </button>
            {alert.assignee && (
              <button
                type="button"
                className="button button-quiet"
                disabled={busy}
                onClick={() => void run({ kind: 'assign', assignee: null }, () => setAssignee(''))}
              >
                {x.unassign}
              </button>
            )}
            <p id="assignee-hint" className="muted ops-hint">
              {x.assigneeHint}
            </p>
          </form>
        </>
      ) : (
        <p className="muted">{x.closedNote}</p>
      )}
      <form
        className="ops-form"
        onSubmit={(event) =>
          submit(
            event,
            () => (comment.trim() ? { kind: 'comment', text: comment.trim() } : x.emptyComment),
            () => setComment(''),
          )
        }
      >
        <label className="field">
          <span>{x.comment}</span>
          <textarea
            value={comment}
            maxLength={2000}
            rows={2}
            data-testid="alert-comment"
            onChange={(e) => setComment(e.target.value)}
          />
        </label>
        <button type="submit" className="button" disabled={busy} data-testid="alert-add-comment">
          {x.addComment}
        </button>
      </form>
    </section>
  );
}
