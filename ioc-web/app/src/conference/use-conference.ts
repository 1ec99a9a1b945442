// React's view of a ConferenceClient: its snapshot, re-rendered on every change.
import { useSyncExternalStore } from 'react';
import type { ConferenceClient, ConferenceSnapshot } from './conference-client';

export function useConferenceSnapshot(client: ConferenceClient): ConferenceSnapshot {
  return useSyncExternalStore(client.subscribe, client.getSnapshot);
}
