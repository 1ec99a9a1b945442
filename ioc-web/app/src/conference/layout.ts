// Which remote peer fills the large focus tile, and which simulcast layer each video asks the
// SFU for: the focus tile the top layer (2), thumbnails the lowest (0), so a commune on a thin
// link spends its bandwidth on the one picture people look at.
import type { MediaSource } from './protocol';

export const FOCUS_SPATIAL_LAYER = 2;
export const THUMBNAIL_SPATIAL_LAYER = 0;

export interface FocusInputs {
  /** Remote peers in join order (never the local one). */
  peerIds: readonly string[];
  selfId: string | null;
  /** A peer the user pinned by clicking its tile. */
  pinned: string | null;
  /** A peer sharing its screen: what everyone wants to see. */
  screenSharer: string | null;
  floor: string | null;
  activeSpeaker: string | null;
  /** The focus before this change: a pause in speech should not flip the big tile. */
  previous: string | null;
}

/** The remote peer for the focus tile, or null when nobody else is in the meeting. */
export function chooseFocus(inputs: FocusInputs): string | null {
  const present = (id: string | null): id is string =>
    id !== null && id !== inputs.selfId && inputs.peerIds.includes(id);
  for (const candidate of [
    inputs.pinned,
    inputs.screenSharer,
    inputs.activeSpeaker,
    inputs.floor,
    inputs.previous,
  ]) {
    if (present(candidate)) return candidate;
  }
  return inputs.peerIds.find((id) => id !== inputs.selfId) ?? null;
}

export interface LayeredMedia {
  consumerId: string;
  peerId: string;
  kind: 'audio' | 'video';
  source: MediaSource;
  type: 'simple' | 'simulcast' | 'svc' | 'pipe';
}

/** The spatial layer each simulcast camera consumer should ask for, given the focus. */
export function preferredLayers(
  media: readonly LayeredMedia[],
  focus: string | null,
): Map<string, number> {
  const layers = new Map<string, number>();
  for (const item of media) {
    if (item.kind !== 'video' || item.source !== 'camera') continue;
    if (item.type !== 'simulcast' && item.type !== 'svc') continue;
    layers.set(
      item.consumerId,
      item.peerId === focus ? FOCUS_SPATIAL_LAYER : THUMBNAIL_SPATIAL_LAYER,
    );
  }
  return layers;
}
