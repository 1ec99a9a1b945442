// Conference endpoints on the map: one marker per invited unit at the unit's centre. Each
// state has its own shape as well as its own colour (never colour alone): connected with a
// good link a filled circle, fair a diamond, poor a triangle, not connected a hollow ring; the
// active speaker's marker is drawn larger. Icons are inline SVG (no files, no network).
import type { Layer } from '@deck.gl/core';
import { IconLayer } from '@deck.gl/layers';
import {
  type EndpointState,
  endpointState,
  isSpeaking,
  type WallConference,
} from './conference-endpoints';

export const ENDPOINT_COLOURS: Record<EndpointState, string> = {
  good: '#009e73', // bluish green (Okabe–Ito)
  fair: '#f0e442', // yellow
  poor: '#d55e00', // vermillion
  offline: '#96a0aa', // grey, hollow
};

/** The shape of each state, as SVG markup on a 64×64 canvas (also used by the panel). */
export const ENDPOINT_SHAPES: Record<EndpointState, string> = {
  good: '<circle cx="32" cy="32" r="22"/>',
  fair: '<path d="M32 6 58 32 32 58 6 32Z"/>',
  poor: '<path d="M32 6 60 56H4Z"/>',
  offline: '<circle cx="32" cy="32" r="19" fill="none" stroke-width="8"/>',
};

export interface EndpointMark {
  unit: string;
  name: string;
  position: [number, number];
  state: EndpointState;
  speaking: boolean;
}

/** A mark per endpoint whose unit is on the map; several conferences: the best link wins. */
export function endpointMarks(
  conferences: readonly WallConference[],
  centroids: ReadonlyMap<string, [number, number]>,
): EndpointMark[] {
  const rank: Record<EndpointState, number> = { good: 3, fair: 2, poor: 1, offline: 0 };
  const marks = new Map<string, EndpointMark>();
  for (const conference of conferences) {
    for (const endpoint of conference.endpoints) {
      const position = endpoint.unit ? centroids.get(endpoint.unit) : undefined;
      if (!endpoint.unit || !position) continue;
      const state = endpointState(endpoint);
      const speaking = isSpeaking(conference, endpoint);
      const known = marks.get(endpoint.unit);
      if (known && rank[known.state] >= rank[state] && !speaking) continue;
      marks.set(endpoint.unit, {
        unit: endpoint.unit,
        name: endpoint.displayName,
        position,
        state,
        speaking: speaking || Boolean(known?.speaking),
      });
    }
  }
  return [...marks.values()];
}

function iconUrl(state: EndpointState): string {
  const colour = ENDPOINT_COLOURS[state];
  const paint =
    state === 'offline'
      ? `stroke="${colour}"`
      : `fill="${colour}" stroke="#060e16" stroke-width="4"`;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><g ${paint}>${ENDPOINT_SHAPES[state]}</g></svg>`;
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}

interface Icon {
  id: string;
  url: string;
  width: number;
  height: number;
  anchorY: number;
  mask: boolean;
}

const ICONS = {} as Record<EndpointState, Icon>;
for (const state of Object.keys(ENDPOINT_COLOURS) as EndpointState[]) {
  ICONS[state] = {
    id: state,
    url: iconUrl(state),
    width: 64,
    height: 64,
    anchorY: 32,
    mask: false,
  };
}

export function conferenceLayer(marks: readonly EndpointMark[], scale: number): Layer {
  return new IconLayer<EndpointMark>({
    id: 'conference-endpoints',
    data: marks as EndpointMark[],
    getPosition: (m) => m.position,
    getIcon: (m) => ICONS[m.state],
    sizeUnits: 'pixels',
    getSize: (m) => (m.speaking ? 2.6 : 1.6) * scale,
    updateTriggers: { getSize: scale },
  });
}
