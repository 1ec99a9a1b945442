import { lazy, Suspense } from 'react';
import { useI18n } from '../i18n/i18n';
import {
  type EndpointState,
  endpointState,
  isSpeaking,
  type WallConference,
  type WallEndpoint,
} from './conference-endpoints';
import { ENDPOINT_COLOURS, ENDPOINT_SHAPES } from './conference-layer';

// Loaded only on walls that show the speaker's video: it brings mediasoup-client along.
const ActiveSpeakerPanel = lazy(() =>
  import('../conference/ActiveSpeakerPanel').then((m) => ({ default: m.ActiveSpeakerPanel })),
);

/** Rows that fit beside the other panels on a 1080p wall. */
const MAX_ROWS = 8;

/** Who needs eyes first: the speaker, raised hands, then the worst links, then by name. */
const ORDER: Record<EndpointState, number> = { offline: 0, poor: 1, fair: 2, good: 3 };

function rowsOf(conference: WallConference): WallEndpoint[] {
  return [...conference.endpoints].sort(
    (a, b) =>
      Number(isSpeaking(conference, b)) - Number(isSpeaking(conference, a)) ||
      Number(b.handRaised) - Number(a.handRaised) ||
      ORDER[endpointState(a)] - ORDER[endpointState(b)] ||
      a.displayName.localeCompare(b.displayName, 'vi'),
  );
}

/**
 * "Điểm cầu": each live conference's endpoints in the room (the server sends only those),
 * connected out of invited, each with its link quality (shape and word, not colour alone),
 * raised hands and the active speaker highlighted. Nothing when no conference is live.
 */
export function ConferencePanel({
  conferences,
  speakerVideo = false,
}: {
  conferences: readonly WallConference[];
  /** Show the active speaker's video (the province IOC room), not only the name. */
  speakerVideo?: boolean;
}) {
  const { t } = useI18n();
  const c = t.wall.conference;
  if (conferences.length === 0) return null;
  return (
    <>
      {conferences.map((conference) => {
        const rows = rowsOf(conference);
        const connected = conference.endpoints.filter((e) => e.connected).length;
        const shown = rows.slice(0, MAX_ROWS);
        const speaker = conference.endpoints.find((e) => isSpeaking(conference, e));
        return (
          <section
            key={conference.id}
            className="wall-panel wall-conference"
            data-testid="wall-conference"
            data-conference-id={conference.id}
            aria-label={c.title}
          >
            <h2>
              {c.title}
              <span
                className="wall-count wall-conference-count"
                data-testid="wall-conference-connected"
                title={c.connected(connected, conference.endpoints.length)}
              >
                {connected}/{conference.endpoints.length}
              </span>
            </h2>
            <p className="wall-muted wall-conference-title">{conference.title}</p>
            {speakerVideo && (
              <Suspense fallback={null}>
                <ActiveSpeakerPanel conferenceId={conference.id} className="wall-speaker-video" />
              </Suspense>
            )}
            {speaker && (
              <div
                className="wall-speaker-slot"
                data-testid="wall-speaker-slot"
                data-conference-id={conference.id}
                data-peer-id={speaker.peerId ?? ''}
              >
                {c.speaking}: {speaker.displayName}
              </div>
            )}
            <ol className="wall-endpoint-list">
              {shown.map((endpoint) => {
                const state = endpointState(endpoint);
                const speaking = isSpeaking(conference, endpoint);
                return (
                  <li
                    key={`${endpoint.unit ?? ''}|${endpoint.peerId ?? endpoint.displayName}`}
                    className="wall-endpoint"
                    data-testid="wall-endpoint"
                    data-unit={endpoint.unit ?? ''}
                    data-state={state}
                    data-speaking={speaking}
                  >
                    <EndpointIcon state={state} />
                    <span className="wall-endpoint-name">{endpoint.displayName}</span>
                    <span className="wall-endpoint-meta">
                      {speaking && <strong className="wall-endpoint-speaking">{c.speaking}</strong>}
                      {endpoint.handRaised && <span>{c.handRaised}</span>}
                      {endpoint.connected && endpoint.audioMuted && <span>{c.muted}</span>}
                      <span data-testid="wall-endpoint-state">{c.states[state]}</span>
                    </span>
                  </li>
                );
              })}
            </ol>
            {rows.length > shown.length && (
              <p className="wall-muted">{c.more(rows.length - shown.length)}</p>
            )}
          </section>
        );
      })}
    </>
  );
}

/** The map marker's own shape and colour, so the list and the map read alike. */
export function EndpointIcon({ state }: { state: EndpointState }) {
  const colour = ENDPOINT_COLOURS[state];
  const paint =
    state === 'offline' ? { stroke: colour } : { fill: colour, stroke: '#060e16', strokeWidth: 4 };
  return (
    <svg
      className="wall-endpoint-icon"
      viewBox="0 0 64 64"
      aria-hidden
      // biome-ignore lint/security/noDangerouslySetInnerHtml: constant shapes of this module
      dangerouslySetInnerHTML={{ __html: `<g>${ENDPOINT_SHAPES[state]}</g>` }}
      {...paint}
    />
  );
}
