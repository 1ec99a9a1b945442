// What end-to-end tests (and a curious technician in DevTools) read from a conference page:
// `window.__iocConference` (the meeting) and `window.__iocActiveSpeaker` (the wall panel).
import type { ConferenceClient } from './conference-client';

export function describeClient(client: ConferenceClient, focus: () => string | null) {
  return {
    probe() {
      const s = client.snapshot;
      return {
        phase: s.phase,
        connection: s.connection,
        refusal: s.refusal,
        lastError: s.lastError,
        title: s.conference?.title ?? null,
        self: s.self && {
          peerId: s.self.peerId,
          role: s.self.role,
          displayName: s.self.displayName,
          handRaised: s.self.handRaised,
        },
        peers: s.peers.map((p) => ({
          peerId: p.peerId,
          displayName: p.displayName,
          role: p.role,
          handRaised: p.handRaised,
          producers: p.producers,
        })),
        activeSpeaker: s.activeSpeaker,
        floor: s.floor,
        focus: focus(),
        media: s.media.map(({ track: _track, ...rest }) => rest),
        local: s.local,
        chat: s.chat.map((m) => ({ peerId: m.peerId, text: m.text })),
      };
    },
    stats: () => client.stats(),
    switchDevice: (kind: 'camera' | 'microphone', deviceId: string) =>
      client.switchDevice(kind, deviceId),
    serverStats: () => client.serverStats(),
  };
}

type Description = ReturnType<typeof describeClient>;

declare global {
  interface Window {
    __iocConference?: Description;
    __iocActiveSpeaker?: Description;
  }
}

/** Exposes the description under `name` until the returned function is called. */
export function exposeClient(
  name: '__iocConference' | '__iocActiveSpeaker',
  description: Description,
): () => void {
  window[name] = description;
  return () => {
    if (window[name] === description) delete window[name];
  };
}
