// How the meeting's link is doing, in one of five words the page shows.
import type { ConferenceSnapshot } from './conference-client';

export type Tone = 'up' | 'warn' | 'down';

/** One line on how the meeting's link is doing: joined, recovering, reconnecting, waiting. */
export function connectionStatus(snapshot: ConferenceSnapshot): {
  key: 'connecting' | 'joined' | 'weak' | 'reconnecting' | 'waiting';
  tone: Tone;
} {
  switch (snapshot.phase) {
    case 'joined':
      if (snapshot.connection === 'disconnected' || snapshot.connection === 'failed') {
        return { key: 'weak', tone: 'warn' };
      }
      return snapshot.connection === 'connected'
        ? { key: 'joined', tone: 'up' }
        : { key: 'connecting', tone: 'warn' };
    case 'reconnecting':
      return { key: 'reconnecting', tone: 'down' };
    case 'waiting':
      return { key: 'waiting', tone: 'warn' };
    default:
      return { key: 'connecting', tone: 'warn' };
  }
}
