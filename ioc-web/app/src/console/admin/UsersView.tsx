import { type FormEvent, useCallback, useState } from 'react';
import { usePolling } from '../../hooks/usePolling';
import { useI18n } from '../../i18n/i18n';
import { ErrorBanner } from '../ErrorBanner';
import { formatMinute } from '../format';
import {
  changeUser,
  createUser,
  listUsers,
  ROLES,
  type Role,
  type UserChange,
  type UserRow,
} from './admin-api';
import { SecretOnce } from './SecretOnce';
import './admin.css';

/** Accounts (admin): create local users, change role, enable/disable, unlock, reset passwords. */
export function UsersView() {
  const { t } = useI18n();
  const u = t.console.admin.users;
  const [version, setVersion] = useState(0);
  const load = useCallback(
    (signal: AbortSignal) => {
      void version;
      return listUsers(signal);
    },
    [version],
  );
  const { data, error } = usePolling(load, 30_000);
  const [failure, setFailure] = useState<unknown>();
  const [notice, setNotice] = useState<string>();
  const [busy, setBusy] = useState<string>();
  const [secret, setSecret] = useState<{ username: string; password: string }>();

  /** Runs one action at a time; true when it succeeded. */
  const run = async (key: string, action: () => Promise<string>): Promise<boolean> => {
    setBusy(key);
    setFailure(undefined);
    setNotice(undefined);
    try {
      setNotice(await action());
      setVersion((n) => n + 1);
      return true;
    } catch (e) {
      setFailure(e);
      return false;
    } finally {
      setBusy(undefined);
    }
  };
  const change = (user: UserRow, patch: UserChange) =>
    run(user.username, async () => {
      const { password } = await changeUser(user.username, patch);
      if (password) setSecret({ username: user.username, password });
      return t.console.admin.done;
    });

  return (
    <section className="panel" aria-labelledby="users-title" data-testid="users-view">
      <header className="panel-header">
        <h2 id="users-title">{u.title}</h2>
      </header>
      <CreateUserForm
        busy={busy === '#create'}
        onCreate={(input) =>
          run('#create', async () => {
            const user = await createUser(input);
            return u.created(user.username);
          })
        }
      />
      <div aria-live="polite">
        {failure !== undefined && (
          <ErrorBanner error={failure} known={u.errors} testId="users-error" />
        )}
        {notice && (
          <p className="banner banner-info" data-testid="users-notice">
            {notice}
          </p>
        )}
      </div>
      {secret && (
        <SecretOnce
          label={u.newPassword(secret.username)}
          secret={secret.password}
          onDismiss={() => setSecret(undefined)}
          testId="user-new-password"
        />
      )}
      {error !== undefined && <ErrorBanner error={error} />}
      {!data && error === undefined && <p className="muted">{t.console.loading}</p>}
      {data && data.length === 0 && <p className="muted">{u.none}</p>}
      {data && data.length > 0 && (
        <div className="ops-table-wrap">
          <table className="ops-table" data-testid="users-table">
            <thead>
              <tr>
                <th scope="col">{u.columns.username}</th>
                <th scope="col">{u.columns.displayName}</th>
                <th scope="col">{u.columns.role}</th>
                <th scope="col">{u.columns.state}</th>
                <th scope="col">{u.columns.origin}</th>
                <th scope="col">{u.columns.rooms}</th>
                <th scope="col">{u.columns.actions}</th>
              </tr>
            </thead>
            <tbody>
              {data.map((user) => (
                <tr key={user.username} data-testid={`user-row-${user.username}`}>
                  <th scope="row" className="ops-id">
                    {user.username}
                  </th>
                  <td>{user.displayName ?? ''}</td>
                  <td>
                    <select
                      aria-label={u.changeRole(user.username)}
                      value={user.role}
                      disabled={busy === user.username}
                      data-testid={`user-role-${user.username}`}
                      onChange={(e) => void change(user, { role: e.target.value as Role })}
                    >
                      {ROLES.map((role) => (
                        <option key={role} value={role}>
                          {u.roles[role]}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td data-testid={`user-state-${user.username}`}>
                    {user.disabled ? u.disabled : u.enabled}
                    {user.lockedUntil && (
                      <>
                        <br />
                        {u.lockedUntil(formatMinute(user.lockedUntil))}
                      </>
                    )}
                  </td>
                  <td>{user.external ? u.external : u.local}</td>
                  <td>{user.rooms.map((r) => r.id).join(', ')}</td>
                  <td className="ops-buttons">
                    <button
                      type="button"
                      className="button button-quiet"
                      disabled={busy === user.username}
                      data-testid={`user-toggle-${user.username}`}
                      onClick={() => void change(user, { enabled: user.disabled })}
                    >
                      {user.disabled ? u.enable : u.disable}
                    </button>
                    {user.lockedUntil && (
                      <button
                        type="button"
                        className="button button-quiet"
                        disabled={busy === user.username}
                        onClick={() => void change(user, { unlock: true })}
                      >
                        {u.unlock}
                      </button>
                    )}
                    {!user.external && (
                      <button
                        type="button"
                        className="button button-quiet"
                        disabled={busy === user.username}
                        data-testid={`user-reset-${user.username}`}
                        onClick={() => {
                          if (window.confirm(u.confirmReset(user.username))) {
                            void change(user, { resetPassword: true });
                          }
                        }}
                      >
                        {u.resetPassword}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function CreateUserForm({
  busy,
  onCreate,
}: {
  busy: boolean;
  onCreate: (input: {
    username: string;
    password: string;
    role: Role;
    displayName?: string;
  }) => Promise<boolean>;
}) {
  const { t } = useI18n();
  const u = t.console.admin.users;
  const [username, setUsername] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const created = await onCreate({
      username: username.trim(),
      password,
      role,
      displayName: displayName.trim() || undefined,
    });
    if (created) {
      setUsername('');
      setDisplayName('');
      setPassword('');
    }
  };
  return (
    <form className="ops-form" aria-labelledby="user-create-title" onSubmit={(e) => void submit(e)}>
      <h3 id="user-create-title">{u.create}</h3>
      <label className="field">
        {u.username}
        <input
          required
          autoComplete="off"
          value={username}
          onChange={(e) => setUsername(e.target.value)}
          data-testid="user-create-username"
        />
      </label>
      <label className="field">
        {u.displayName}
        <input
          value={displayName}
          onChange={(e) => setDisplayName(e.target.value)}
          data-testid="user-create-display-name"
        />
      </label>
      <label className="field">
        {u.password}
        <input
          required
          type="password"
          autoComplete="new-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          data-testid="user-create-password"
        />
      </label>
      <label className="field">
        {u.role}
        <select
          value={role}
          onChange={(e) => setRole(e.target.value as Role)}
          data-testid="user-create-role"
        >
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {u.roles[r]}
            </option>
          ))}
        </select>
      </label>
      <div className="ops-buttons">
        <button type="submit" className="button" disabled={busy} data-testid="user-create-submit">
          {busy ? t.console.admin.saving : u.createButton}
        </button>
      </div>
    </form>
  );
}
