// Before joining: the camera preview, device pickers, a microphone level meter and whether
// to join with the camera and microphone on. The opened tracks are handed to the meeting.
import { useEffect, useRef, useState } from 'react';
import { LanguageSwitch } from '../components/LanguageSwitch';
import { useI18n } from '../i18n/i18n';
import {
  type AvailableDevices,
  type DeviceChoice,
  LevelMeter,
  type LocalMedia,
  listDevices,
  openLocalMedia,
  stopLocalMedia,
} from './local-media';
import { TrackVideo } from './MediaElements';
import { deviceErrorText } from './messages';

export interface JoinChoice {
  media: LocalMedia;
  cameraOn: boolean;
  microphoneOn: boolean;
  displayName: string;
}

export function DeviceCheck({ onJoin }: { onJoin(choice: JoinChoice): void }) {
  const { t } = useI18n();
  const text = t.conference.check;
  const [choice, setChoice] = useState<DeviceChoice>({ cameraId: null, microphoneId: null });
  const [media, setMedia] = useState<LocalMedia | null>(null);
  const [devices, setDevices] = useState<AvailableDevices>({ cameras: [], microphones: [] });
  const [cameraOn, setCameraOn] = useState(true);
  const [microphoneOn, setMicrophoneOn] = useState(true);
  const [displayName, setDisplayName] = useState('');
  const handedOver = useRef(false);

  useEffect(() => {
    let cancelled = false;
    let opened: LocalMedia | null = null;
    setMedia(null);
    void openLocalMedia(choice).then(async (result) => {
      if (cancelled) {
        stopLocalMedia(result);
        return;
      }
      opened = result;
      setMedia(result);
      const available = await listDevices().catch(() => undefined);
      if (!cancelled && available) setDevices(available);
    });
    return () => {
      cancelled = true;
      if (!handedOver.current) stopLocalMedia(opened);
    };
  }, [choice]);

  const join = () => {
    if (!media) return;
    handedOver.current = true;
    onJoin({ media, cameraOn, microphoneOn, displayName: displayName.trim() });
  };

  const cameraId = media?.camera?.getSettings().deviceId ?? choice.cameraId ?? '';
  const microphoneId = media?.microphone?.getSettings().deviceId ?? choice.microphoneId ?? '';

  return (
    <main className="conference-check" data-testid="conference-check">
      <div className="conference-check-language">
        <LanguageSwitch />
      </div>
      <header>
        <p className="conference-eyebrow">{t.conference.title}</p>
        <h1>{text.title}</h1>
        <p className="muted">{text.subtitle}</p>
      </header>

      <div className="conference-check-body">
        <figure className="conference-check-preview" aria-label={text.preview}>
          {media?.camera && cameraOn ? (
            <TrackVideo track={media.camera} mirrored testId="conference-preview" />
          ) : (
            <figcaption className="conference-check-nopreview">
              {media ? text.noPreview : text.opening}
            </figcaption>
          )}
        </figure>

        <form
          className="conference-check-form"
          onSubmit={(event) => {
            event.preventDefault();
            join();
          }}
        >
          <label className="field">
            {text.camera}
            <select
              value={cameraId}
              disabled={devices.cameras.length === 0}
              onChange={(event) => setChoice({ ...choice, cameraId: event.target.value })}
              data-testid="conference-camera-select"
            >
              {devices.cameras.map((device, index) => (
                <option key={device.deviceId} value={device.deviceId}>
                  {device.label || `${text.camera} ${index + 1}`}
                </option>
              ))}
            </select>
          </label>
          {media?.cameraError && (
            <p className="banner banner-error" role="alert">
              {deviceErrorText(t, media.cameraError)}
            </p>
          )}

          <label className="field">
            {text.microphone}
            <select
              value={microphoneId}
              disabled={devices.microphones.length === 0}
              onChange={(event) => setChoice({ ...choice, microphoneId: event.target.value })}
              data-testid="conference-microphone-select"
            >
              {devices.microphones.map((device, index) => (
                <option key={device.deviceId} value={device.deviceId}>
                  {device.label || `${text.microphone} ${index + 1}`}
                </option>
              ))}
            </select>
          </label>
          {media?.microphone ? (
            <MicrophoneLevel track={media.microphone} label={text.level} hint={text.levelHint} />
          ) : (
            media?.microphoneError && (
              <p className="banner banner-error" role="alert">
                {deviceErrorText(t, media.microphoneError)}
              </p>
            )
          )}

          <label className="conference-check-toggle">
            <input
              type="checkbox"
              checked={cameraOn && Boolean(media?.camera)}
              disabled={!media?.camera}
              onChange={(event) => setCameraOn(event.target.checked)}
              data-testid="conference-camera-on"
            />
            {text.cameraOnJoin}
          </label>
          <label className="conference-check-toggle">
            <input
              type="checkbox"
              checked={microphoneOn && Boolean(media?.microphone)}
              disabled={!media?.microphone}
              onChange={(event) => setMicrophoneOn(event.target.checked)}
              data-testid="conference-microphone-on"
            />
            {text.microphoneOnJoin}
          </label>

          <label className="field">
            {text.displayName}
            <input
              value={displayName}
              maxLength={80}
              onChange={(event) => setDisplayName(event.target.value)}
              data-testid="conference-display-name"
            />
            <span className="muted conference-hint">{text.displayNameHint}</span>
          </label>

          <button
            type="submit"
            className="button button-primary"
            disabled={!media}
            data-testid="conference-join"
          >
            {text.join}
          </button>
        </form>
      </div>
    </main>
  );
}

/** A bar that follows the microphone's loudness, updated per frame without re-rendering. */
function MicrophoneLevel({
  track,
  label,
  hint,
}: {
  track: MediaStreamTrack;
  label: string;
  hint: string;
}) {
  const bar = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const meter = new LevelMeter(track);
    let frame = requestAnimationFrame(function draw() {
      bar.current?.style.setProperty('--level', meter.level().toFixed(3));
      frame = requestAnimationFrame(draw);
    });
    return () => {
      cancelAnimationFrame(frame);
      meter.close();
    };
  }, [track]);
  return (
    <div className="conference-level">
      <span>{label}</span>
      <div
        ref={bar}
        className="conference-level-bar"
        aria-hidden="true"
        data-testid="conference-level"
      />
      <span className="muted conference-hint">{hint}</span>
    </div>
  );
}
