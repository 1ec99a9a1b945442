import { type FormEvent, useCallback, useState } from 'react';
import { usePolling } from '../../hooks/usePolling';
import { useI18n } from '../../i18n/i18n';
import { listRooms } from '../console-api';
import { ErrorBanner } from '../ErrorBanner';
import {
  type EditableRoom,
  getRoom,
  type RoomDraft,
  removeRoomMember,
  roomMembers,
  saveRoom,
  setRoomMember,
} from './admin-api';
import './admin.css';

type Editing = { mode: 'new' } | { mode: 'edit'; room: EditableRoom };

/** Room administration: create and edit rooms (name, scope units and sectors) and members. */
export function RoomAdminView() {
  const { t, language } = useI18n();
  const r = t.console.admin.rooms;
  const [version, setVersion] = useState(0);
  const load = useCallback(
    (signal: AbortSignal) => {
      void version;
      return listRooms(signal);
    },
    [version],
  );
  const { data, error } = usePolling(load, 60_000);
  const [editing, setEditing] = useState<Editing>();
  const [failure, setFailure] = useState<unknown>();

  const edit = async (id: string) => {
    setFailure(undefined);
    try {
      setEditing({ mode: 'edit', room: await getRoom(id) });
    } catch (e) {
      setFailure(e);
    }
  };

  return (
    <section className="panel" aria-labelledby="room-admin-title" data-testid="room-admin-view">
      <header className="panel-header">
        <h2 id="room-admin-title">{r.title}</h2>
        <button
          type="button"
          className="button"
          onClick={() => setEditing({ mode: 'new' })}
          data-testid="room-new"
        >
          {r.newRoom}
        </button>
      </header>
      <div aria-live="polite">
        {failure !== undefined && (
          <ErrorBanner error={failure} known={r.errors} testId="room-admin-error" />
        )}
      </div>
      {editing && (
        <RoomEditor
          key={editing.mode === 'edit' ? editing.room.id : '#new'}
          existing={editing.mode === 'edit' ? editing.room : undefined}
          onSaved={() => {
            setEditing(undefined);
            setVersion((n) => n + 1);
          }}
          onCancel={() => setEditing(undefined)}
        />
      )}
      {editing?.mode === 'edit' && (
        <RoomMembers
          id={editing.room.id}
          name={editing.room.name[language]}
          onChanged={() => setVersion((n) => n + 1)}
        />
      )}
      {error !== undefined && <ErrorBanner error={error} />}
      {!data && error === undefined && <p className="muted">{t.console.loading}</p>}
      {data && data.length > 0 && (
        <ul className="ops-room-list" data-testid="room-admin-list">
          {data.map((room) => (
            <li key={room.id}>
              <span className="ops-id">{room.id}</span> {room.name[language]}{' '}
              <button
                type="button"
                className="button button-quiet"
                onClick={() => void edit(room.id)}
                data-testid={`room-edit-${room.id}`}
              >
                {r.edit}
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function RoomEditor({
  existing,
  onSaved,
  onCancel,
}: {
  existing?: EditableRoom;
  onSaved: () => void;
  onCancel: () => void;
}) {
  const { t } = useI18n();
  const r = t.console.admin.rooms;
  const [draft, setDraft] = useState<RoomDraft>(
    existing ?? { id: '', name: { vi: '', en: '' }, units: [], sectors: [] },
  );
  const [unitsText, setUnitsText] = useState(existing?.units.join(', ') ?? '');
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<unknown>();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setFailure(undefined);
    try {
      const units = unitsText
        .split(/[\s,;]+/)
        .map((u) => u.trim())
        .filter(Boolean);
      await saveRoom({ ...draft, id: draft.id.trim(), units }, existing);
      onSaved();
    } catch (e) {
      setFailure(e);
    } finally {
      setBusy(false);
    }
  };
  const toggleSector = (sector: string, on: boolean) =>
    setDraft((d) => ({
      ...d,
      sectors: on ? [...d.sectors, sector] : d.sectors.filter((s) => s !== sector),
    }));

  return (
    <form className="ops-form" onSubmit={(e) => void submit(e)} data-testid="room-editor">
      <label className="field">
        {r.id}
        <input
          required
          readOnly={existing !== undefined}
          pattern="[a-z0-9][a-z0-9\-]{0,62}"
          value={draft.id}
          onChange={(e) => setDraft({ ...draft, id: e.target.value })}
          data-testid="room-id"
        />
      </label>
      <label className="field">
        {r.nameVi}
        <input
          required
          value={draft.name.vi}
          onChange={(e) => setDraft({ ...draft, name: { ...draft.name, vi: e.target.value } })}
          data-testid="room-name-vi"
        />
      </label>
      <label className="field">
        {r.nameEn}
        <input
          required
          value={draft.name.en}
          onChange={(e) => setDraft({ ...draft, name: { ...draft.name, en: e.target.value } })}
          data-testid="room-name-en"
        />
      </label>
      <label className="field">
        {r.units}
        <input
          value={unitsText}
          onChange={(e) => setUnitsText(e.target.value)}
          data-testid="room-units"
        />
      </label>
      <fieldset className="ops-filters">
        <legend>{r.sectors}</legend>
        {Object.entries(t.console.sectors).map(([key, label]) => (
          <label key={key}>
            <input
              type="checkbox"
              checked={draft.sectors.includes(key)}
              onChange={(e) => toggleSector(key, e.target.checked)}
            />{' '}
            {label}
          </label>
        ))}
      </fieldset>
      {failure !== undefined && (
        <ErrorBanner error={failure} known={r.errors} testId="room-editor-error" />
      )}
      <div className="ops-buttons">
        <button type="submit" className="button" disabled={busy} data-testid="room-save">
          {busy ? t.console.admin.saving : r.save}
        </button>
        <button type="button" className="button button-quiet" onClick={onCancel}>
          {r.cancel}
        </button>
      </div>
    </form>
  );
}

function RoomMembers({ id, name, onChanged }: { id: string; name: string; onChanged: () => void }) {
  const { t } = useI18n();
  const r = t.console.admin.rooms;
  const [version, setVersion] = useState(0);
  const load = useCallback(
    (signal: AbortSignal) => {
      void version;
      return roomMembers(id, signal);
    },
    [id, version],
  );
  const { data, error } = usePolling(load, 60_000);
  const [username, setUsername] = useState('');
  const [role, setRole] = useState<'operator' | 'viewer'>('viewer');
  const [failure, setFailure] = useState<unknown>();

  const run = async (action: () => Promise<void>) => {
    setFailure(undefined);
    try {
      await action();
      setVersion((n) => n + 1);
      onChanged();
    } catch (e) {
      setFailure(e);
    }
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      await setRoomMember(id, username.trim(), role);
      setUsername('');
    });
  };

  return (
    <section aria-labelledby="room-members-title" data-testid="room-members">
      <h3 id="room-members-title">{r.members(name)}</h3>
      {error !== undefined && <ErrorBanner error={error} />}
      {data && data.length === 0 && <p className="muted">{r.noMembers}</p>}
      {data && data.length > 0 && (
        <ul>
          {data.map((member) => (
            <li key={member.username} data-testid={`room-member-${member.username}`}>
              {member.username} · {r.roomRoles[member.role]}{' '}
              <button
                type="button"
                className="button button-quiet"
                aria-label={r.removeMember(member.username)}
                onClick={() => void run(() => removeRoomMember(id, member.username))}
              >
                {r.remove}
              </button>
            </li>
          ))}
        </ul>
      )}
      <form className="ops-form ops-inline" onSubmit={submit}>
        <label className="field">
          {r.memberUsername}
          <input
            required
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            data-testid="room-member-username"
          />
        </label>
        <label className="field">
          {r.memberRole}
          <select
            value={role}
            onChange={(e) => setRole(e.target.value === 'operator' ? 'operator' : 'viewer')}
          >
            <option value="viewer">{r.roomRoles.viewer}</option>
            <option value="operator">{r.roomRoles.operator}</option>
          </select>
        </label>
        <button type="submit" className="button" data-testid="room-member-add">
          {r.addMember}
        </button>
      </form>
      {failure !== undefined && (
        <ErrorBanner error={failure} known={r.errors} testId="room-member-error" />
      )}
    </section>
  );
}
