// Everyone in the meeting, chair first and raised hands next, with their microphone state;
// for the chair, the controls to mute and to give the floor.
import { useEffect, useState } from 'react';
import { useI18n } from '../i18n/i18n';
import type { ConferenceClient } from './conference-client';
import { HandIcon } from './HandIcon';
import type { PeerInfo } from './protocol';
import { isMicrophoneMuted, rosterOrder } from './roster';

const MUTED_NOTICE_MS = 5_000;

export function PeoplePanel({
  client,
  self,
  peers,
  floor,
  activeSpeaker,
  selfMicrophoneOn,
}: {
  client: ConferenceClient;
  self: PeerInfo;
  /** This browser knows its own microphone state before the server echoes it. */
  selfMicrophoneOn: boolean;
  peers: PeerInfo[];
  floor: string | null;
  activeSpeaker: string | null;
}) {
  const { t } = useI18n();
  const text = t.conference;
  const isChair = self.role === 'chair';
  const everyone = rosterOrder([self, ...peers]);
  // "Muted N sites" after mute-all, for a few seconds.
  const [muted, setMuted] = useState<number | null>(null);
  useEffect(() => {
    if (muted === null) return;
    const timer = setTimeout(() => setMuted(null), MUTED_NOTICE_MS);
    return () => clearTimeout(timer);
  }, [muted]);

  return (
    <section className="conference-side" aria-labelledby="conference-people-title">
      <header className="conference-side-header">
        <h2 id="conference-people-title">{text.people.title(everyone.length)}</h2>
      </header>
      {isChair && (
        <div className="conference-chair" data-testid="conference-chair-controls">
          <h3>{text.chair.title}</h3>
          <button
            type="button"
            className="button"
            onClick={() => void client.muteAll().then((count) => setMuted(count ?? null))}
            data-testid="conference-mute-all"
          >
            {text.chair.muteAll}
          </button>
          {floor !== null && (
            <button
              type="button"
              className="button button-quiet"
              onClick={() => void client.giveFloor(null)}
            >
              {text.chair.takeFloor}
            </button>
          )}
          {muted !== null && (
            <output className="conference-chair-result" data-testid="conference-muted-count">
              {text.chair.mutedCount(muted)}
            </output>
          )}
        </div>
      )}
      <ul className="conference-people" data-testid="conference-people">
        {everyone.map((peer) => {
          const isSelf = peer.peerId === self.peerId;
          const muted = isSelf ? !selfMicrophoneOn : isMicrophoneMuted(peer);
          return (
            <li
              key={peer.peerId}
              className={peer.peerId === activeSpeaker ? 'conference-person-speaking' : undefined}
              data-testid={`conference-person-${peer.peerId}`}
            >
              <div className="conference-person-name">
                <span>
                  <strong>{peer.displayName}</strong>
                  {isSelf && <span className="muted"> ({text.meeting.you})</span>}
                </span>
                <span className="muted conference-person-role">
                  {text.roles[peer.role] ?? peer.role}
                  {peer.peerId === floor ? ` · ${text.meeting.hasFloor}` : ''}
                </span>
              </div>
              <div className="conference-person-state">
                {peer.handRaised && (
                  <span
                    className="conference-badge conference-badge-hand"
                    title={text.meeting.handRaised}
                  >
                    <HandIcon />
                  </span>
                )}
                {peer.role !== 'viewer' && muted && (
                  <span className="conference-badge conference-badge-muted">
                    {text.meeting.microphoneOff}
                  </span>
                )}
              </div>
              {isChair && !isSelf && peer.role !== 'viewer' && (
                <div className="conference-person-actions">
                  {!muted && (
                    <button
                      type="button"
                      className="button button-small"
                      onClick={() => void client.muteOne(peer.peerId)}
                      data-testid={`conference-mute-${peer.peerId}`}
                    >
                      {text.chair.muteOne}
                    </button>
                  )}
                  {peer.peerId !== floor && (
                    <button
                      type="button"
                      className="button button-small"
                      onClick={() => void client.giveFloor(peer.peerId)}
                      data-testid={`conference-floor-${peer.peerId}`}
                    >
                      {text.chair.giveFloor}
                    </button>
                  )}
                </div>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
