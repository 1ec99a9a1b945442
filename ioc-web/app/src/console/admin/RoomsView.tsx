import { useCallback } from 'react';
import { usePolling } from '../../hooks/usePolling';
import { labelFor, useI18n } from '../../i18n/i18n';
import { navigate } from '../../router';
import { listRooms } from '../console-api';
import { ErrorBanner } from '../ErrorBanner';
import { useReference } from '../reference';

/** The operating rooms the user belongs to (admins and IOC operators: all), with their walls. */
export function RoomsView() {
  const { t, language } = useI18n();
  const r = t.console.rooms;
  const { unitName } = useReference();
  const load = useCallback((signal: AbortSignal) => listRooms(signal), []);
  const { data, error } = usePolling(load, 60_000);

  return (
    <section className="panel" aria-labelledby="rooms-title" data-testid="rooms-view">
      <header className="panel-header">
        <h2 id="rooms-title">{r.title}</h2>
      </header>
      {error !== undefined && <ErrorBanner error={error} />}
      {!data && error === undefined && <p className="muted">{t.console.loading}</p>}
      {data && data.length === 0 && <p className="muted">{r.none}</p>}
      {data && data.length > 0 && (
        <div className="ops-table-wrap">
          <table className="ops-table" data-testid="rooms-table">
            <thead>
              <tr>
                <th scope="col">{r.columns.name}</th>
                <th scope="col">{r.columns.id}</th>
                <th scope="col">{r.columns.units}</th>
                <th scope="col">{r.columns.sectors}</th>
                <th scope="col">{r.columns.scenes}</th>
                <th scope="col">{r.columns.wall}</th>
              </tr>
            </thead>
            <tbody>
              {data.map((room) => {
                const name = room.name[language];
                const href = `/wall/${encodeURIComponent(room.id)}`;
                return (
                  <tr key={room.id}>
                    <th scope="row">{name}</th>
                    <td className="ops-id">{room.id}</td>
                    <td>
                      {room.units.length === 0
                        ? r.wholeProvince
                        : room.units.map((u) => unitName(u)).join(', ')}
                    </td>
                    <td>
                      {room.sectors.length === 0
                        ? r.allSectors
                        : room.sectors.map((s) => labelFor(t.console.sectors, s)).join(', ')}
                    </td>
                    <td>{room.scenes}</td>
                    <td>
                      <a
                        href={href}
                        aria-label={r.openWall(name)}
                        onClick={(event) => {
                          event.preventDefault();
                          navigate(href);
                        }}
                      >
                        {r.open}
                      </a>
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
