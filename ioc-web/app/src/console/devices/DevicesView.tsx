import { useCallback, useMemo, useState } from 'react';
import { usePolling } from '../../hooks/usePolling';
import { useI18n } from '../../i18n/i18n';
import { navigate } from '../../router';
import { type DeviceState, deviceState, listDevices } from '../console-api';
import { ErrorBanner } from '../ErrorBanner';
import { formatMinute } from '../format';
import { filterableUnits, useReference } from '../reference';

const REFRESH_MS = 30_000;
/** Rows drawn at once; the search and filters narrow a large fleet. */
const SHOWN = 300;
const STATES: DeviceState[] = ['enabled', 'disabled', 'revoked'];

/** Accent- and case-insensitive text for search ("Hoà Khánh" finds "hoa khanh"). */
function folded(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D')
    .toLowerCase();
}

export function DevicesView() {
  const { t } = useI18n();
  const d = t.console.devices;
  const reference = useReference();
  const [type, setType] = useState('');
  const [unit, setUnit] = useState('');
  const [state, setState] = useState<DeviceState | ''>('');
  const [search, setSearch] = useState('');

  // Type and unit are filtered by the server; state and search here.
  const load = useCallback(
    (signal: AbortSignal) =>
      listDevices(
        { type: type || undefined, unit: unit || undefined, includeRevoked: state === 'revoked' },
        signal,
      ),
    [type, unit, state],
  );
  const { data, error } = usePolling(load, REFRESH_MS);

  const matching = useMemo(() => {
    const needle = folded(search.trim());
    return (data ?? []).filter(
      (device) =>
        (!state || deviceState(device) === state) &&
        (!needle || folded(`${device.name} ${device.id}`).includes(needle)),
    );
  }, [data, state, search]);

  return (
    <section className="panel" aria-labelledby="devices-title" data-testid="devices-view">
      <header className="panel-header">
        <h2 id="devices-title">{d.title}</h2>
        {data && (
          <span className="muted" aria-live="polite" data-testid="devices-total">
            {d.total(matching.length, data.length)}
          </span>
        )}
      </header>
      <fieldset className="ops-filters">
        <legend className="visually-hidden">{d.filters}</legend>
        <label className="field">
          <span>{d.search}</span>
          <input
            type="search"
            value={search}
            data-testid="device-search"
            onChange={(e) => setSearch(e.target.value)}
          />
        </label>
        <label className="field">
          <span>{d.type}</span>
          <select value={type} data-testid="device-type" onChange={(e) => setType(e.target.value)}>
            <option value="">{t.console.any}</option>
            {reference.types.map((ty) => (
              <option key={ty.id} value={ty.id}>
                {reference.typeName(ty.id)}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>{d.unit}</span>
          <select value={unit} data-testid="device-unit" onChange={(e) => setUnit(e.target.value)}>
            <option value="">{t.console.alerts.unitAny}</option>
            {filterableUnits(reference.units).map((u) => (
              <option key={u.code} value={u.code}>
                {reference.unitName(u.code)}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>{d.state}</span>
          <select
            value={state}
            data-testid="device-state"
            onChange={(e) => setState(e.target.value as DeviceState | '')}
          >
            <option value="">{t.console.any}</option>
            {STATES.map((s) => (
              <option key={s} value={s}>
                {d.states[s]}
              </option>
            ))}
          </select>
        </label>
      </fieldset>
      {error !== undefined && <ErrorBanner error={error} />}
      {!data && error === undefined && <p className="muted">{t.console.loading}</p>}
      {data && matching.length === 0 && <p className="muted">{d.none}</p>}
      {matching.length > 0 && (
        <div className="ops-table-wrap">
          <table className="ops-table" data-testid="devices-table">
            <thead>
              <tr>
                <th scope="col">{d.columns.name}</th>
                <th scope="col">{d.columns.id}</th>
                <th scope="col">{d.columns.type}</th>
                <th scope="col">{d.columns.unit}</th>
                <th scope="col">{d.columns.state}</th>
                <th scope="col">{d.columns.lastSeen}</th>
              </tr>
            </thead>
            <tbody>
              {matching.slice(0, SHOWN).map((device) => {
                const href = `/console/devices/${encodeURIComponent(device.id)}`;
                return (
                  <tr key={device.id} data-testid={`device-row-${device.id}`}>
                    <th scope="row">
                      <a
                        href={href}
                        onClick={(event) => {
                          event.preventDefault();
                          navigate(href);
                        }}
                      >
                        {device.name}
                      </a>
                    </th>
                    <td className="ops-id">{device.id}</td>
                    <td>{reference.typeName(device.type)}</td>
                    <td>{reference.unitName(device.unit)}</td>
                    <td data-state={deviceState(device)}>{d.states[deviceState(device)]}</td>
                    <td>{device.lastSeenAt ? formatMinute(device.lastSeenAt) : d.never}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {matching.length > SHOWN && <p className="muted">{d.more(matching.length - SHOWN)}</p>}
        </div>
      )}
    </section>
  );
}
