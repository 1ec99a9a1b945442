// The meeting itself: the focus tile and thumbnails, the control bar, the people and chat
// panels, and the notices (muted by the chair, a failed action, the link recovering).
import { useEffect, useMemo, useRef, useState } from 'react';
import { LanguageSwitch } from '../components/LanguageSwitch';
import { formatTime } from '../i18n/datetime';
import { useI18n } from '../i18n/i18n';
import { ChatPanel } from './ChatPanel';
import { ConnectionBadge } from './ConnectionBadge';
import type { ConferenceClient } from './conference-client';
import { DeviceMenu } from './DeviceMenu';
import { HandIcon } from './HandIcon';
import { TrackAudio } from './MediaElements';
import { conferenceErrorText, deviceErrorText } from './messages';
import { PeoplePanel } from './PeoplePanel';
import { raisedHands } from './roster';
import { buildStage } from './stage';
import { describeClient, exposeClient } from './test-hook';
import { useConferenceSnapshot } from './use-conference';
import { VideoTile } from './VideoTile';

const ERROR_NOTICE_MS = 8_000;

type SidePanel = 'people' | 'chat' | null;

export function MeetingView({ client, onLeave }: { client: ConferenceClient; onLeave(): void }) {
  const { t } = useI18n();
  const text = t.conference;
  const snapshot = useConferenceSnapshot(client);
  const [pinned, setPinned] = useState<string | null>(null);
  const [side, setSide] = useState<SidePanel>('people');
  const [readChat, setReadChat] = useState(0);
  const previousFocus = useRef<string | null>(null);
  // The camera in use now: a device switch replaces the track.
  const localCamera = snapshot.tracks.camera;

  const stage = useMemo(
    () =>
      buildStage({
        self: snapshot.self,
        peers: snapshot.peers,
        media: snapshot.media,
        activeSpeaker: snapshot.activeSpeaker,
        floor: snapshot.floor,
        pinned,
        previousFocus: previousFocus.current,
        localCamera,
        localCameraOn: snapshot.local.cameraOn,
        localMicrophoneOn: snapshot.local.microphoneOn,
      }),
    [snapshot, pinned, localCamera],
  );

  useEffect(() => {
    previousFocus.current = stage.focusPeer;
    client.setFocus(stage.focusCameraPeer);
  }, [client, stage.focusPeer, stage.focusCameraPeer]);

  useEffect(
    () =>
      exposeClient(
        '__iocConference',
        describeClient(client, () => previousFocus.current),
      ),
    [client],
  );

  // A failed action is shown for a while, then cleared.
  useEffect(() => {
    if (!snapshot.lastError) return;
    const timer = setTimeout(() => client.clearError(), ERROR_NOTICE_MS);
    return () => clearTimeout(timer);
  }, [client, snapshot.lastError]);

  useEffect(() => {
    if (!snapshot.local.deviceError) return;
    const timer = setTimeout(() => client.clearDeviceError(), ERROR_NOTICE_MS);
    return () => clearTimeout(timer);
  }, [client, snapshot.local.deviceError]);

  useEffect(() => {
    if (side === 'chat') setReadChat(snapshot.chat.length);
  }, [side, snapshot.chat.length]);

  const { self, local } = snapshot;
  const unread = side === 'chat' ? 0 : snapshot.chat.length - readChat;
  const hands = raisedHands(snapshot.peers).length;
  const canShare =
    self !== null && self.role !== 'viewer' && Boolean(navigator.mediaDevices?.getDisplayMedia);
  const toggleSide = (panel: Exclude<SidePanel, null>) => setSide(side === panel ? null : panel);

  return (
    <div className="conference" data-testid="conference" data-phase={snapshot.phase}>
      <header className="conference-header">
        <div className="conference-heading">
          <p className="conference-eyebrow">{text.title}</p>
          <h1 data-testid="conference-title">{snapshot.conference?.title ?? '…'}</h1>
          {snapshot.conference && (
            <p className="muted">
              {text.meeting.endsAt(formatTime(new Date(snapshot.conference.endsAt)).slice(0, 5))}
            </p>
          )}
        </div>
        <div className="conference-header-side">
          {hands > 0 && (
            <span className="conference-badge conference-badge-hand">
              <HandIcon /> {text.people.hands(hands)}
            </span>
          )}
          <ConnectionBadge snapshot={snapshot} />
          <LanguageSwitch />
        </div>
      </header>

      <div className="conference-notices">
        {local.mutedBy !== null && (
          <p className="banner banner-info" role="status" data-testid="conference-muted-notice">
            <span>{text.mutedNotice(local.mutedBy)}</span>
          </p>
        )}
        {snapshot.phase === 'waiting' && snapshot.refusal && (
          <p className="banner banner-info" role="status">
            {conferenceErrorText(t, snapshot.refusal)}
          </p>
        )}
        {local.deviceError && (
          <p className="banner banner-error" role="alert" data-testid="conference-device-error">
            <span>
              {text.deviceSwitchFailed[local.deviceError.kind]}{' '}
              {deviceErrorText(t, local.deviceError.error)}
            </span>
            <button
              type="button"
              className="button button-quiet"
              onClick={() => client.clearDeviceError()}
            >
              {text.dismiss}
            </button>
          </p>
        )}
        {snapshot.lastError && (
          <p className="banner banner-error" role="alert" data-testid="conference-error">
            <span>{conferenceErrorText(t, snapshot.lastError)}</span>
            <button
              type="button"
              className="button button-quiet"
              onClick={() => client.clearError()}
            >
              {text.dismiss}
            </button>
          </p>
        )}
      </div>

      <div className="conference-body">
        <section className="conference-stage" aria-label={text.title}>
          <div className="conference-focus">
            {stage.focus ? (
              <VideoTile
                tile={stage.focus}
                size="focus"
                pinned={pinned !== null && pinned === stage.focusPeer}
                onSelect={() => setPinned(null)}
              />
            ) : (
              <p className="conference-alone muted">{text.meeting.alone}</p>
            )}
          </div>
          <div className="conference-strip" data-testid="conference-thumbnails">
            {stage.thumbnails.map((tile) => (
              <VideoTile
                key={tile.peerId}
                tile={tile}
                size="thumbnail"
                onSelect={tile.isSelf ? undefined : () => setPinned(tile.peerId)}
              />
            ))}
          </div>
        </section>

        {side === 'people' && self && (
          <PeoplePanel
            client={client}
            self={self}
            peers={snapshot.peers}
            floor={snapshot.floor}
            activeSpeaker={snapshot.activeSpeaker}
            selfMicrophoneOn={local.microphoneOn}
          />
        )}
        {side === 'chat' && (
          <ChatPanel client={client} messages={snapshot.chat} selfId={self?.peerId ?? null} />
        )}
      </div>

      <nav className="conference-controls" aria-label={text.controls.label}>
        <button
          type="button"
          className={`button conference-control${local.microphoneOn ? '' : ' conference-control-off'}`}
          aria-pressed={!local.microphoneOn}
          disabled={!local.hasMicrophone || snapshot.phase !== 'joined'}
          onClick={() => void client.setMicrophone(!local.microphoneOn)}
          data-testid="conference-microphone"
        >
          {local.microphoneOn ? text.controls.microphoneOff : text.controls.microphoneOn}
        </button>
        <button
          type="button"
          className={`button conference-control${local.cameraOn ? '' : ' conference-control-off'}`}
          aria-pressed={!local.cameraOn}
          disabled={!local.hasCamera || snapshot.phase !== 'joined'}
          onClick={() => void client.setCamera(!local.cameraOn)}
          data-testid="conference-camera"
        >
          {local.cameraOn ? text.controls.cameraOff : text.controls.cameraOn}
        </button>
        {(local.hasCamera || local.hasMicrophone) && <DeviceMenu client={client} local={local} />}
        {canShare && (
          <button
            type="button"
            className="button conference-control"
            aria-pressed={local.screenOn}
            disabled={snapshot.phase !== 'joined'}
            onClick={() =>
              void (local.screenOn ? client.stopScreenShare() : client.startScreenShare())
            }
            data-testid="conference-screen"
          >
            {local.screenOn ? text.controls.stopShare : text.controls.shareScreen}
          </button>
        )}
        {self && self.role !== 'viewer' && (
          <button
            type="button"
            className="button conference-control"
            aria-pressed={self.handRaised}
            disabled={snapshot.phase !== 'joined'}
            onClick={() => void client.raiseHand(!self.handRaised)}
            data-testid="conference-hand"
          >
            <HandIcon /> {self.handRaised ? text.controls.lowerHand : text.controls.raiseHand}
          </button>
        )}
        <span className="conference-controls-gap" />
        <button
          type="button"
          className="button conference-control"
          aria-pressed={side === 'people'}
          onClick={() => toggleSide('people')}
          data-testid="conference-people-toggle"
        >
          {text.controls.people}
        </button>
        <button
          type="button"
          className="button conference-control"
          aria-pressed={side === 'chat'}
          onClick={() => toggleSide('chat')}
          data-testid="conference-chat-toggle"
        >
          {text.controls.chat}
          {unread > 0 && <span className="conference-unread">{unread}</span>}
        </button>
        <button
          type="button"
          className="button conference-control conference-leave"
          onClick={onLeave}
          data-testid="conference-leave"
        >
          {text.controls.leave}
        </button>
      </nav>

      {snapshot.media
        .filter((m) => m.kind === 'audio')
        .map((m) => (
          <TrackAudio key={m.consumerId} track={m.track} />
        ))}
    </div>
  );
}
