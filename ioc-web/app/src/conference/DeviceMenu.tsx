// The control bar's device settings: pick another camera or microphone mid-meeting. The list
// follows `devicechange`; the switch itself is ConferenceClient.switchDevice.
import { useEffect, useState } from 'react';
import { useI18n } from '../i18n/i18n';
import type { ConferenceClient, LocalDeviceKind, LocalMediaState } from './conference-client';
import { devicePicker } from './device-options';
import { type AvailableDevices, watchDevices } from './local-media';

export function DeviceMenu({
  client,
  local,
}: {
  client: ConferenceClient;
  local: LocalMediaState;
}) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  const [devices, setDevices] = useState<AvailableDevices>({ cameras: [], microphones: [] });
  const [busy, setBusy] = useState(false);

  useEffect(() => watchDevices(setDevices), []);

  const pick = (kind: LocalDeviceKind, deviceId: string) => {
    setBusy(true);
    void client.switchDevice(kind, deviceId).finally(() => setBusy(false));
  };

  const picker = (kind: LocalDeviceKind) => {
    const name = kind === 'camera' ? t.conference.check.camera : t.conference.check.microphone;
    const listed = kind === 'camera' ? devices.cameras : devices.microphones;
    const inUse = kind === 'camera' ? local.cameraDeviceId : local.microphoneDeviceId;
    const has = kind === 'camera' ? local.hasCamera : local.hasMicrophone;
    const { options, selected } = devicePicker(listed, inUse, name);
    return (
      <label className="field">
        {name}
        <select
          value={selected}
          disabled={!has || busy || options.length === 0}
          onChange={(event) => pick(kind, event.target.value)}
          data-testid={`conference-switch-${kind}`}
        >
          {selected === '' && <option value="">—</option>}
          {options.map((option) => (
            <option key={option.deviceId} value={option.deviceId}>
              {option.label}
            </option>
          ))}
        </select>
      </label>
    );
  };

  return (
    <div className="conference-devices">
      <button
        type="button"
        className="button conference-control"
        aria-expanded={open}
        aria-pressed={open}
        onClick={() => setOpen(!open)}
        data-testid="conference-devices-toggle"
      >
        {t.conference.controls.devices}
      </button>
      {open && (
        <fieldset className="conference-devices-menu" data-testid="conference-devices">
          <legend className="visually-hidden">{t.conference.controls.devices}</legend>
          {picker('camera')}
          {picker('microphone')}
        </fieldset>
      )}
    </div>
  );
}
