// The active speaker of a conference as a panel for the IOC wall: receive-only (it joins as a
// viewer with the wall's signed-in session), the speaker's camera at the top simulcast layer,
// the name underneath. Everything it needs is in its props; it reconnects by itself.
import './conference.css';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useI18n } from '../i18n/i18n';
import { ConferenceClient } from './conference-client';
import { chooseFocus } from './layout';
import { TrackAudio, TrackVideo } from './MediaElements';
import { initialsOf } from './roster';
import { describeClient, exposeClient } from './test-hook';
import { useConferenceSnapshot } from './use-conference';

export interface ActiveSpeakerPanelProps {
  /** The conference to show (its id, as in `/conference/{id}`). */
  conferenceId: string;
  /** Play the speaker's voice too; off by default (wall screens are usually silent). */
  withAudio?: boolean;
  /** Extra class for the panel's root, to place and size it on the wall. */
  className?: string;
}

export function ActiveSpeakerPanel({
  conferenceId,
  withAudio = false,
  className,
}: ActiveSpeakerPanelProps) {
  const [client, setClient] = useState<ConferenceClient | null>(null);
  useEffect(() => {
    const next = new ConferenceClient({ conferenceId, asViewer: true });
    next.start();
    setClient(next);
    return () => void next.leave();
  }, [conferenceId]);
  if (!client) return null;
  return <SpeakerView client={client} withAudio={withAudio} className={className} />;
}

function SpeakerView({
  client,
  withAudio,
  className,
}: {
  client: ConferenceClient;
  withAudio: boolean;
  className?: string;
}) {
  const { t } = useI18n();
  const text = t.conference.panel;
  const snapshot = useConferenceSnapshot(client);
  const previous = useRef<string | null>(null);

  const speakers = useMemo(
    () => snapshot.peers.filter((p) => p.role !== 'viewer'),
    [snapshot.peers],
  );
  const speakerId = chooseFocus({
    peerIds: speakers.map((p) => p.peerId),
    selfId: snapshot.self?.peerId ?? null,
    pinned: null,
    screenSharer: null,
    floor: snapshot.floor,
    activeSpeaker: snapshot.activeSpeaker,
    previous: previous.current,
  });
  const speaker = speakers.find((p) => p.peerId === speakerId) ?? null;
  const video = snapshot.media.find(
    (m) => m.peerId === speakerId && m.source === 'camera' && m.paused === null,
  );

  useEffect(() => {
    previous.current = speakerId;
    client.setFocus(speakerId);
  }, [client, speakerId]);

  useEffect(
    () =>
      exposeClient(
        '__iocActiveSpeaker',
        describeClient(client, () => previous.current),
      ),
    [client],
  );

  let status: string | null = null;
  if (snapshot.phase === 'refused') status = text.refused;
  else if (snapshot.phase === 'ended') status = text.ended;
  else if (snapshot.phase === 'reconnecting') status = text.reconnecting;
  else if (snapshot.phase !== 'joined') status = text.connecting;
  else if (!speaker) status = text.nobody;

  return (
    <section
      className={`conference-speaker-panel${className ? ` ${className}` : ''}`}
      aria-label={text.title}
      data-testid="active-speaker-panel"
      data-phase={snapshot.phase}
    >
      <header className="conference-speaker-header">
        <span className="conference-eyebrow">{text.title}</span>
        {snapshot.conference && <strong>{snapshot.conference.title}</strong>}
      </header>
      <div className="conference-speaker-video">
        {video && status === null ? (
          <TrackVideo track={video.track} fit="contain" testId="active-speaker-video" />
        ) : speaker && status === null ? (
          <div className="conference-tile-avatar">{initialsOf(speaker.displayName)}</div>
        ) : (
          <p className="conference-speaker-status">{status}</p>
        )}
      </div>
      {speaker && status === null && (
        <footer className="conference-speaker-name" data-testid="active-speaker-name">
          {speaker.displayName}
          {speaker.role === 'chair' && (
            <span className="conference-badge">{t.conference.roles.chair}</span>
          )}
        </footer>
      )}
      {withAudio &&
        snapshot.media
          .filter((m) => m.kind === 'audio')
          .map((m) => <TrackAudio key={m.consumerId} track={m.track} />)}
    </section>
  );
}
