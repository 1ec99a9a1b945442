// `/conference/{id}/speaker`: the active speaker alone, full screen, for a second screen or a
// projector in an operations room (signed-in users only; it joins as a viewer).
import { LanguageSwitch } from '../components/LanguageSwitch';
import { Redirect } from '../router';
import { useSession } from '../session';
import { ActiveSpeakerPanel } from './ActiveSpeakerPanel';

export default function SpeakerScreen({ conferenceId }: { conferenceId: string }) {
  const { state } = useSession();
  if (state.status !== 'signed-in') return <Redirect to="/login" />;
  return (
    <main className="conference-speaker-screen" data-testid="conference-speaker-screen">
      <div className="conference-check-language">
        <LanguageSwitch />
      </div>
      <ActiveSpeakerPanel conferenceId={conferenceId} withAudio />
    </main>
  );
}
