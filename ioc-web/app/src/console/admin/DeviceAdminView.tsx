import { type FormEvent, useCallback, useMemo, useState } from 'react';
import { usePolling } from '../../hooks/usePolling';
import { useI18n } from '../../i18n/i18n';
import { type Device, deviceState, deviceTypes, listDevices } from '../console-api';
import { ErrorBanner } from '../ErrorBanner';
import { provisionDevice, revokeDevice, rotateDeviceSecret, setDeviceEnabled } from './admin-api';
import { SecretOnce } from './SecretOnce';
import './admin.css';

const SHOWN = 200; // rows on screen; the search narrows the rest

/** Device administration: provision (secret shown once), rotate the secret, disable/enable, revoke. */
export function DeviceAdminView() {
  const { t, language } = useI18n();
  const d = t.console.admin.devices;
  const [version, setVersion] = useState(0);
  const load = useCallback(
    (signal: AbortSignal) => {
      void version;
      return listDevices({ includeRevoked: true }, signal);
    },
    [version],
  );
  const { data, error } = usePolling(load, 60_000);
  const loadTypes = useCallback((signal: AbortSignal) => deviceTypes(signal), []);
  const types = usePolling(loadTypes, 600_000).data ?? [];
  const [search, setSearch] = useState('');
  const [failure, setFailure] = useState<unknown>();
  const [busy, setBusy] = useState<string>();
  const [secret, setSecret] = useState<{ id: string; secret: string }>();

  const run = async (key: string, action: () => Promise<void>): Promise<boolean> => {
    setBusy(key);
    setFailure(undefined);
    try {
      await action();
      setVersion((n) => n + 1);
      return true;
    } catch (e) {
      setFailure(e);
      return false;
    } finally {
      setBusy(undefined);
    }
  };

  const shown = useMemo(() => {
    const needle = search.trim().toLowerCase();
    const match = (device: Device) =>
      !needle ||
      device.id.toLowerCase().includes(needle) ||
      device.name.toLowerCase().includes(needle);
    return (data ?? []).filter(match).slice(0, SHOWN);
  }, [data, search]);

  return (
    <section className="panel" aria-labelledby="device-admin-title" data-testid="device-admin-view">
      <header className="panel-header">
        <h2 id="device-admin-title">{d.title}</h2>
      </header>
      <ProvisionForm
        types={types.map((type) => ({ id: type.id, name: type.name[language] }))}
        busy={busy === '#provision'}
        onProvision={(input) =>
          run('#provision', async () => setSecret(await provisionDevice(input)))
        }
      />
      <div aria-live="polite">
        {failure !== undefined && (
          <ErrorBanner error={failure} known={d.errors} testId="device-admin-error" />
        )}
      </div>
      {secret && (
        <SecretOnce
          label={d.secretOf(secret.id)}
          secret={secret.secret}
          onDismiss={() => setSecret(undefined)}
          testId="device-secret"
        />
      )}
      {error !== undefined && <ErrorBanner error={error} />}
      <label className="field">
        {d.search}
        <input
          type="search"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
          data-testid="device-admin-search"
        />
      </label>
      {!data && error === undefined && <p className="muted">{t.console.loading}</p>}
      {data && shown.length === 0 && <p className="muted">{d.none}</p>}
      {shown.length > 0 && (
        <div className="ops-table-wrap">
          <table className="ops-table" data-testid="device-admin-table">
            <thead>
              <tr>
                <th scope="col">{d.columns.id}</th>
                <th scope="col">{d.columns.name}</th>
                <th scope="col">{d.columns.type}</th>
                <th scope="col">{d.columns.state}</th>
                <th scope="col">{d.columns.actions}</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((device) => {
                const state = deviceState(device);
                return (
                  <tr key={device.id} data-testid={`device-admin-row-${device.id}`}>
                    <th scope="row" className="ops-id">
                      {device.id}
                    </th>
                    <td>{device.name}</td>
                    <td>{device.type}</td>
                    <td>{d.states[state]}</td>
                    <td className="ops-buttons">
                      {state !== 'revoked' && (
                        <>
                          <button
                            type="button"
                            className="button button-quiet"
                            disabled={busy === device.id}
                            data-testid={`device-rotate-${device.id}`}
                            onClick={() => {
                              if (!window.confirm(d.confirmRotate(device.id))) return;
                              void run(device.id, async () =>
                                setSecret({
                                  id: device.id,
                                  secret: await rotateDeviceSecret(device.id),
                                }),
                              );
                            }}
                          >
                            {d.rotate}
                          </button>
                          <button
                            type="button"
                            className="button button-quiet"
                            disabled={busy === device.id}
                            data-testid={`device-toggle-${device.id}`}
                            onClick={() => {
                              const enable = state === 'disabled';
                              if (!enable && !window.confirm(d.confirmDisable(device.id))) return;
                              void run(device.id, () => setDeviceEnabled(device.id, enable));
                            }}
                          >
                            {state === 'disabled' ? d.enable : d.disable}
                          </button>
                          <button
                            type="button"
                            className="button button-quiet"
                            disabled={busy === device.id}
                            data-testid={`device-revoke-${device.id}`}
                            onClick={() => {
                              if (!window.confirm(d.confirmRevoke(device.id))) return;
                              void run(device.id, () => revokeDevice(device.id));
                            }}
                          >
                            {d.revoke}
                          </button>
                        </>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function ProvisionForm({
  types,
  busy,
  onProvision,
}: {
  types: Array<{ id: string; name: string }>;
  busy: boolean;
  onProvision: (input: {
    id: string;
    type: string;
    unit: string;
    name?: string;
    sector?: string;
  }) => Promise<boolean>;
}) {
  const { t } = useI18n();
  const d = t.console.admin.devices;
  const [id, setId] = useState('');
  const [name, setName] = useState('');
  const [type, setType] = useState('');
  const [unit, setUnit] = useState('');
  const [sector, setSector] = useState('');
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const done = await onProvision({
      id: id.trim(),
      type: type || (types[0]?.id ?? ''),
      unit: unit.trim(),
      name: name.trim() || undefined,
      sector: sector || undefined,
    });
    if (done) {
      setId('');
      setName('');
    }
  };
  return (
    <form
      className="ops-form"
      aria-labelledby="device-provision-title"
      onSubmit={(e) => void submit(e)}
    >
      <h3 id="device-provision-title">{d.provision}</h3>
      <label className="field">
        {d.id}
        <input
          required
          value={id}
          onChange={(e) => setId(e.target.value)}
          data-testid="device-provision-id"
        />
      </label>
      <label className="field">
        {d.name}
        <input
          value={name}
          onChange={(e) => setName(e.target.value)}
          data-testid="device-provision-name"
        />
      </label>
      <label className="field">
        {d.type}
        <select
          value={type || (types[0]?.id ?? '')}
          onChange={(e) => setType(e.target.value)}
          data-testid="device-provision-type"
        >
          {types.map((option) => (
            <option key={option.id} value={option.id}>
              {option.name} ({option.id})
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        {d.unit}
        <input
          required
          value={unit}
          onChange={(e) => setUnit(e.target.value)}
          data-testid="device-provision-unit"
        />
      </label>
      <label className="field">
        {d.sector}
        <select value={sector} onChange={(e) => setSector(e.target.value)}>
          <option value="">{d.noSector}</option>
          {Object.entries(t.console.sectors).map(([key, label]) => (
            <option key={key} value={key}>
              {label}
            </option>
          ))}
        </select>
      </label>
      <div className="ops-buttons">
        <button
          type="submit"
          className="button"
          disabled={busy}
          data-testid="device-provision-submit"
        >
          {busy ? t.console.admin.saving : d.provisionButton}
        </button>
      </div>
    </form>
  );
}
