// `/conference/{id}` for commune staff: open the join link (`?t=<token>`) or come signed in,
// check camera and microphone, then take part. Loaded lazily: mediasoup-client stays out of
// the console's and the wall's bundles.
import './conference.css';
import { type ReactNode, useCallback, useEffect, useRef, useState } from 'react';
import { LanguageSwitch } from '../components/LanguageSwitch';
import { useI18n } from '../i18n/i18n';
import { Link } from '../router';
import { useSession } from '../session';
import { ConferenceClient } from './conference-client';
import { DeviceCheck, type JoinChoice } from './DeviceCheck';
import { joinTokenOf } from './join-link';
import { type LocalMedia, stopLocalMedia } from './local-media';
import { MeetingView } from './MeetingView';
import { conferenceErrorText } from './messages';
import { useConferenceSnapshot } from './use-conference';

type Stage = { kind: 'check' } | { kind: 'meeting'; choice: JoinChoice } | { kind: 'left' };

export default function ConferencePage({ conferenceId }: { conferenceId: string }) {
  const { t } = useI18n();
  const { state } = useSession();
  const [token] = useState(() => joinTokenOf(window.location.search));
  const [stage, setStage] = useState<Stage>({ kind: 'check' });

  if (!token && state.status !== 'signed-in') {
    return (
      <Notice title={t.conference.access.title} testId="conference-access">
        <p>{t.conference.access.body}</p>
        <Link to="/login">{t.conference.access.signIn}</Link>
      </Notice>
    );
  }

  switch (stage.kind) {
    case 'check':
      return <DeviceCheck onJoin={(choice) => setStage({ kind: 'meeting', choice })} />;
    case 'meeting':
      return (
        <MeetingSession
          conferenceId={conferenceId}
          token={token}
          choice={stage.choice}
          onLeft={() => setStage({ kind: 'left' })}
        />
      );
    case 'left':
      return (
        <Notice title={t.conference.ended.left} testId="conference-left">
          <button
            type="button"
            className="button button-primary"
            onClick={() => setStage({ kind: 'check' })}
            data-testid="conference-rejoin"
          >
            {t.conference.ended.rejoin}
          </button>
        </Notice>
      );
  }
}

/** One seat from join to leave: owns the client and, from the device check on, the local tracks. */
function MeetingSession({
  conferenceId,
  token,
  choice,
  onLeft,
}: {
  conferenceId: string;
  token: string | undefined;
  choice: JoinChoice;
  onLeft(): void;
}) {
  const [client, setClient] = useState<ConferenceClient | null>(null);

  useEffect(() => {
    const next = new ConferenceClient({
      conferenceId,
      token,
      displayName: choice.displayName || undefined,
      local: {
        camera: choice.media.camera,
        microphone: choice.media.microphone,
        cameraOn: choice.cameraOn,
        microphoneOn: choice.microphoneOn,
      },
    });
    next.start();
    setClient(next);
    return () => void next.leave();
  }, [conferenceId, token, choice]);

  // The camera and microphone are released when the seat ends, however it ends. Deferred, so
  // that React's development double mount (StrictMode) does not stop tracks still in use.
  const release = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => {
    clearTimeout(release.current);
    return () => {
      release.current = setTimeout(() => stopLocalMedia(choice.media), 0);
    };
  }, [choice.media]);

  const leave = useCallback(async () => {
    await client?.leave();
    onLeft();
  }, [client, onLeft]);

  if (!client) return null;
  return <SeatView client={client} media={choice.media} onLeave={() => void leave()} />;
}

function SeatView({
  client,
  media,
  onLeave,
}: {
  client: ConferenceClient;
  media: LocalMedia;
  onLeave(): void;
}) {
  const { t } = useI18n();
  const snapshot = useConferenceSnapshot(client);
  const over = snapshot.phase === 'refused' || snapshot.phase === 'ended';
  // Turn the camera light off as soon as the seat is lost for good.
  useEffect(() => {
    if (over) stopLocalMedia(media);
  }, [over, media]);
  if (snapshot.phase === 'refused' && snapshot.refusal) {
    return (
      <Notice title={t.conference.title} testId="conference-refused">
        <p className="banner banner-error" role="alert" data-code={snapshot.refusal.code}>
          {conferenceErrorText(t, snapshot.refusal)}
        </p>
      </Notice>
    );
  }
  if (snapshot.phase === 'ended') {
    const reason = snapshot.endedReason ?? '';
    return (
      <Notice
        title={t.conference.ended.reasons[reason] ?? t.conference.ended.ended}
        testId="conference-ended"
      />
    );
  }
  return <MeetingView client={client} onLeave={onLeave} />;
}

function Notice({
  title,
  testId,
  children,
}: {
  title: string;
  testId: string;
  children?: ReactNode;
}) {
  return (
    <main className="splash conference-notice" data-testid={testId}>
      <div className="conference-check-language">
        <LanguageSwitch />
      </div>
      <h1>{title}</h1>
      {children}
    </main>
  );
}
