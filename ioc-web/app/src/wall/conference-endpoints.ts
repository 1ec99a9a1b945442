// Live conferences as the wall shows them: each invited unit's endpoint (connected or not,
// link quality, hand raised) from the room feed's `conference.endpoints` updates, already
// filtered to the room's units by the server. Parsers drop malformed rows, as wall-api does.

export type LinkQuality = 'good' | 'fair' | 'poor';

export interface WallEndpoint {
  unit: string | null;
  peerId: string | null;
  displayName: string;
  role: string;
  connected: boolean;
  quality: LinkQuality | null;
  handRaised: boolean;
  audioMuted: boolean;
  packetLoss: number;
  rttMs: number | null;
}

export interface WallConference {
  id: string;
  title: string;
  activeSpeaker: string | null;
  endpoints: WallEndpoint[];
  ended: boolean;
}

const QUALITIES: readonly LinkQuality[] = ['good', 'fair', 'poor'];

export function conferenceOf(row: unknown): WallConference | undefined {
  if (!isRecord(row) || typeof row.conferenceId !== 'string') return undefined;
  const endpoints = (Array.isArray(row.endpoints) ? row.endpoints : []).flatMap(
    (e): WallEndpoint[] => {
      if (!isRecord(e) || typeof e.displayName !== 'string') return [];
      const connected = e.connected === true;
      return [
        {
          unit: typeof e.unit === 'string' ? e.unit : null,
          peerId: typeof e.peerId === 'string' ? e.peerId : null,
          displayName: e.displayName.normalize('NFC'),
          role: typeof e.role === 'string' ? e.role : 'participant',
          connected,
          quality: connected ? (QUALITIES.find((q) => q === e.quality) ?? null) : null,
          handRaised: e.handRaised === true,
          audioMuted: e.audioMuted === true,
          packetLoss: typeof e.packetLoss === 'number' ? e.packetLoss : 0,
          rttMs: typeof e.rttMs === 'number' ? e.rttMs : null,
        },
      ];
    },
  );
  return {
    id: row.conferenceId,
    title: typeof row.title === 'string' ? row.title.normalize('NFC') : row.conferenceId,
    activeSpeaker: typeof row.activeSpeaker === 'string' ? row.activeSpeaker : null,
    endpoints,
    ended: row.ended === true,
  };
}

/** How an endpoint is drawn and listed: its link, or not connected. */
export type EndpointState = LinkQuality | 'offline';

export function endpointState(endpoint: WallEndpoint): EndpointState {
  if (!endpoint.connected) return 'offline';
  return endpoint.quality ?? 'good';
}

export function isSpeaking(conference: WallConference, endpoint: WallEndpoint): boolean {
  return endpoint.peerId !== null && endpoint.peerId === conference.activeSpeaker;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
