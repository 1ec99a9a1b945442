import { useEffect, useRef, useState } from 'react';
import { ApiError } from '../../api/client';
import { labelFor, useI18n } from '../../i18n/i18n';
import { navigate } from '../../router';
import { type Device, deviceState, getDevice } from '../console-api';
import { ErrorBanner } from '../ErrorBanner';
import { formatMinute } from '../format';
import { useReference } from '../reference';
import { DeviceHistory } from './DeviceHistory';

export function DeviceDetail({ id }: { id: string }) {
  const { t } = useI18n();
  const d = t.console.devices;
  const reference = useReference();
  const [device, setDevice] = useState<Device>();
  const [error, setError] = useState<unknown>();
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    const controller = new AbortController();
    setDevice(undefined);
    setError(undefined);
    getDevice(id, controller.signal).then(setDevice, (e: unknown) => {
      if (!controller.signal.aborted) setError(e);
    });
    return () => controller.abort();
  }, [id]);
  useEffect(() => heading.current?.focus(), []);

  const type = device ? reference.type(device.type) : undefined;
  return (
    <div className="ops-device" data-testid="device-detail">
      <div className="ops-detail-head">
        <h2 ref={heading} tabIndex={-1}>
          {device?.name ?? id}
        </h2>
        <a
          href="/console/devices"
          onClick={(event) => {
            event.preventDefault();
            navigate('/console/devices');
          }}
        >
          {d.back}
        </a>
      </div>
      {error instanceof ApiError && error.status === 404 ? (
        <p className="banner banner-error">{d.missing}</p>
      ) : (
        error !== undefined && <ErrorBanner error={error} />
      )}
      {!device && error === undefined && <p className="muted">{t.console.loading}</p>}
      {device && (
        <>
          <dl className="ops-facts panel">
            <Fact label={d.columns.id}>{device.id}</Fact>
            <Fact label={d.columns.type}>{reference.typeName(device.type)}</Fact>
            <Fact label={d.columns.unit}>{reference.unitName(device.unit)}</Fact>
            {device.sector && (
              <Fact label={d.sector}>{labelFor(t.console.sectors, device.sector)}</Fact>
            )}
            <Fact label={d.columns.state}>{d.states[deviceState(device)]}</Fact>
            <Fact label={d.columns.lastSeen}>
              {device.lastSeenAt ? formatMinute(device.lastSeenAt) : d.never}
            </Fact>
            <Fact label={d.location}>
              {device.lat !== null && device.lon !== null
                ? `${device.lat.toFixed(5)}, ${device.lon.toFixed(5)}`
                : d.noLocation}
            </Fact>
          </dl>
          {type ? (
            <DeviceHistory deviceId={device.id} metrics={type.metrics} />
          ) : (
            <p className="muted">{t.console.loading}</p>
          )}
        </>
      )}
    </div>
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
